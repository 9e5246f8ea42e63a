"""Organiser pages of the contest builder: contests, rounds, status, preview, poster."""

from __future__ import annotations

from datetime import timedelta

from flask import (
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from sqlalchemy import select

from quizapp.banks.models import Bank
from quizapp.banks.services import visible_banks
from quizapp.contests import services
from quizapp.contests.blueprints import contests as contests_blueprint
from quizapp.contests.forms import ContestForm, RoundForm
from quizapp.contests.models import Contest, Round
from quizapp.errors import DomainError, Invalid
from quizapp.extensions import db
from quizapp.forms import db_int, to_choices
from quizapp.orgs.forms import ConfirmForm
from quizapp.orgs.models import Unit
from quizapp.orgs.scope import in_subtrees, managed_units, unit_choices
from quizapp.timeutil import from_local, local_input
from quizapp.web import actor, copy_errors, now, organiser_required, run_service, t

bp = contests_blueprint


@bp.get("")
@organiser_required
def index():
    a = actor()
    stmt = (
        select(Contest)
        .join(Unit, Unit.id == Contest.owner_unit_id)
        .where(Contest.kind == "contest")
        .order_by(Contest.created_at.desc())
    )
    if not a.is_admin:
        stmt = stmt.where(in_subtrees(Unit.path, a))
    from quizapp.contests import follow as F

    followed = [
        (c, F.participation(db.session, c, paths))
        for c, paths in F.followed_contests(db.session, a)
    ]
    return render_template(
        "contests/index.html", contests=db.session.scalars(stmt).all(), followed=followed
    )


def _contest_form(contest=None) -> ContestForm:
    form = ContestForm(obj=contest)
    form.owner_unit_id.choices = unit_choices(managed_units(actor()))
    form.unit_ids.choices = unit_choices(managed_units(actor()))
    if request.method == "GET" and contest is not None:
        form.unit_ids.data = contest.unit_ids
        form.populations.data = contest.populations
        form.ranking_order.data = ",".join(contest.ranking_order)
    return form


def _contest_data(form: ContestForm) -> services.ContestData:
    return services.ContestData(
        title=form.title.data,
        owner_unit_id=form.owner_unit_id.data,
        description=form.description.data or "",
        rules=form.rules.data or "",
        eligibility=form.eligibility.data,
        unit_ids=tuple(form.unit_ids.data or ()),
        populations=tuple(form.populations.data or ()),
        one_page=form.one_page.data,
        mask_names=form.mask_names.data,
        points_weight=form.points_weight.data or 0,
        ranking_order=tuple(form.ranking_order.data.split(",")),
    )


@bp.route("/new", methods=["GET", "POST"])
@organiser_required
def new():
    form = _contest_form()
    if form.validate_on_submit():
        ok, contest = run_service(
            form,
            lambda: services.create_contest(
                db.session, _contest_data(form), actor=actor(), now=now()
            ),
        )
        if ok:
            return redirect(url_for("contests.new_round", contest_id=contest.id))
    return render_template("contests/contest_form.html", form=form, contest=None)


@bp.route("/<int:contest_id>/edit", methods=["GET", "POST"])
@organiser_required
def edit(contest_id: int):
    contest = services.get_managed_contest(db.session, contest_id, actor())
    form = _contest_form(contest)
    if form.validate_on_submit():
        ok, _result = run_service(
            form,
            lambda: services.update_contest(
                db.session, contest.id, _contest_data(form), actor=actor(), now=now()
            ),
        )
        if ok:
            from quizapp.contests import results as R

            for rnd in contest.rounds:  # masked names and ranking order show at once
                R.ranking_changed_on_commit(db, current_app.extensions["quizapp_cache"], rnd.id)
            flash(_("Changes saved."), "success")
            return redirect(url_for("contests.show", contest_id=contest.id))
    return render_template("contests/contest_form.html", form=form, contest=contest)


@bp.get("/<int:contest_id>")
@organiser_required
def show(contest_id: int):
    contest = services.get_managed_contest(db.session, contest_id, actor())
    warnings = {r.id: services.superseded_in_round(db.session, r, now()) for r in contest.rounds}
    started = {r.id: services.has_attempts(db.session, r.id) for r in contest.rounds}
    return render_template(
        "contests/show.html",
        contest=contest,
        warnings=warnings,
        started=started,
        confirm=ConfirmForm(),
        now=now(),
    )


def _round_form(rnd: Round | None, contest: Contest) -> RoundForm:
    form = RoundForm(obj=rnd)
    banks = visible_banks(db.session, actor())
    form.bank_id.choices = to_choices((b.id, b.title) for b in banks)
    if request.method == "GET":
        if rnd is not None:
            form.opens_at.data = local_input(rnd.opens_at)
            form.closes_at.data = local_input(rnd.closes_at)
            form.time_limit.data = rnd.time_limit_s // 60
            form.fixed_keys.data = ", ".join(rnd.fixed_keys or [])
            for i, item in enumerate(rnd.blueprint[: len(form.blueprint)]):
                row = form.blueprint[i]
                row.count.data = item.get("count", 0)
                row.category.data = item.get("category") or ""
                row.difficulty.data = item.get("difficulty") or ""
        else:
            start = local_input(now()).replace(minute=0, second=0, microsecond=0)
            form.opens_at.data = start + timedelta(hours=1)
            form.closes_at.data = start + timedelta(days=7, hours=1)
            form.title.data = _("Round %(n)s", n=len(contest.rounds) + 1)
            form.bank_id.data = request.args.get("bank", type=db_int) or (
                banks[0].id if banks else None
            )
    bank_id = form.bank_id.data or (banks[0].id if banks else None)
    bank = next((b for b in banks if b.id == bank_id), None)
    options = services.blueprint_options(db.session, bank) if bank else []
    cats = [("", _("Whole bank"))] + [(o["key"], o["title"]) for o in options[1:]]
    for row in form.blueprint:
        row.category.choices = to_choices(cats)
    return form, options


def _round_data(form: RoundForm) -> services.RoundData:
    blueprint = tuple(
        {
            "count": r.count.data,
            "category": r.category.data or None,
            "difficulty": r.difficulty.data or None,
        }
        for r in form.blueprint
        if r.count.data
    )
    keys = tuple(k.strip() for k in (form.fixed_keys.data or "").split(",") if k.strip())
    return services.RoundData(
        title=form.title.data or "",
        opens_at=from_local(form.opens_at.data),
        closes_at=from_local(form.closes_at.data),
        time_limit_s=form.time_limit.data * 60,
        bank_id=form.bank_id.data,
        blueprint=blueprint,
        fixed_keys=keys,
        shuffle_questions=form.shuffle_questions.data,
        shuffle_options=form.shuffle_options.data,
        attempts_allowed=form.attempts_allowed.data,
        counting=form.counting.data,
        pass_mark=form.pass_mark.data or 0,
        review=form.review.data,
        prediction=form.prediction.data,
        prediction_min_correct=form.prediction_min_correct.data,
        prediction_question=form.prediction_question.data or "",
        include_unverified=form.include_unverified.data,
    )


def _round_page(contest: Contest, rnd: Round | None):
    form, options = _round_form(rnd, contest)
    if form.validate_on_submit():
        try:
            saved = services.save_round(
                db.session,
                contest.id,
                _round_data(form),
                actor=actor(),
                now=now(),
                round_id=rnd.id if rnd else None,
            )
        except Invalid as exc:
            db.session.rollback()
            copy_errors(form, exc)
        except DomainError as exc:
            db.session.rollback()
            form.form_errors.append(t(exc.message, exc.params))
        else:
            from quizapp.contests import results as R

            # closing time, prediction and prizes change the ranking; the title shows on it
            R.ranking_changed_on_commit(db, current_app.extensions["quizapp_cache"], saved.id)
            flash(_("%(title)s saved.", title=saved.title), "success")
            return redirect(url_for("contests.show", contest_id=contest.id))
    bank = db.session.get(Bank, form.bank_id.data) if form.bank_id.data else None
    unverified = services.unverified_in_bank(db.session, bank) if bank else 0
    return render_template(
        "contests/round_form.html",
        form=form,
        contest=contest,
        rnd=rnd,
        options=options,
        unverified=unverified,
    )


@bp.route("/<int:contest_id>/rounds/new", methods=["GET", "POST"])
@organiser_required
def new_round(contest_id: int):
    return _round_page(services.get_managed_contest(db.session, contest_id, actor()), None)


@bp.route("/<int:contest_id>/rounds/<int:round_id>", methods=["GET", "POST"])
@organiser_required
def edit_round(contest_id: int, round_id: int):
    contest = services.get_managed_contest(db.session, contest_id, actor())
    rnd = db.session.get(Round, round_id)
    if rnd is None or rnd.contest_id != contest.id:
        abort(404)
    return _round_page(contest, rnd)


@bp.post("/<int:contest_id>/status")
@organiser_required
def status(contest_id: int):
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        services.set_status(
            db.session, contest_id, request.form.get("status", ""), actor=actor(), now=now()
        )
    except (Invalid, DomainError) as exc:
        db.session.rollback()
        if exc.status == 404:
            raise
        flash(t(exc.message, exc.params), "error")
    else:
        flash(_("Status changed."), "success")
    return redirect(url_for("contests.show", contest_id=contest_id))


@bp.get("/<int:contest_id>/poster.pdf")
@organiser_required
def poster(contest_id: int):
    from quizapp.contests.poster import render_poster

    contest = services.get_managed_contest(db.session, contest_id, actor())
    url = current_app.config["BASE_URL"].rstrip("/") + url_for("take.landing", slug=contest.slug)
    pdf = render_poster(contest, url, now=now())
    return Response(
        pdf,
        mimetype="application/pdf",
        headers={"Content-Disposition": f'inline; filename="poster-{contest.slug}.pdf"'},
    )
