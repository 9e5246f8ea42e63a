"""Organiser pages of the contest builder: contests, rounds, status, preview, poster."""

from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import or_, select

from quizapp.banks.services import visible_banks
from quizapp.contests import services
from quizapp.contests.forms import ContestForm, RoundForm
from quizapp.contests.models import Contest, Round
from quizapp.errors import DomainError, Invalid
from quizapp.extensions import db
from quizapp.forms import to_choices
from quizapp.orgs.forms import ConfirmForm
from quizapp.orgs.models import Unit
from quizapp.orgs.views import _unit_choices
from quizapp.timeutil import from_local, local_input
from quizapp.web import actor, copy_errors, now, organiser_required, run_service, t

bp = Blueprint("contests", __name__, url_prefix="/org/contests")


@bp.get("")
@organiser_required
def index():
    a = actor()
    stmt = (
        select(Contest)
        .join(Unit, Unit.id == Contest.owner_unit_id)
        .order_by(Contest.created_at.desc())
    )
    if not a.is_admin:
        stmt = stmt.where(or_(*[Unit.path.startswith(p) for p in a.managed_paths]))
    return render_template("contests/index.html", contests=db.session.scalars(stmt).all())


def _contest_form(contest=None) -> ContestForm:
    form = ContestForm(obj=contest)
    form.owner_unit_id.choices = _unit_choices()
    form.unit_ids.choices = _unit_choices()
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
            form.bank_id.data = request.args.get("bank", type=int) or (
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
            db.session.commit()
        except Invalid as exc:
            db.session.rollback()
            copy_errors(form, exc)
        except DomainError as exc:
            db.session.rollback()
            form.form_errors.append(t(exc.message, exc.params))
        else:
            flash(_("%(title)s saved.", title=saved.title), "success")
            return redirect(url_for("contests.show", contest_id=contest.id))
    return render_template(
        "contests/round_form.html", form=form, contest=contest, rnd=rnd, options=options
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
        db.session.commit()
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
    from flask import current_app

    from quizapp.contests.poster import render_poster

    contest = services.get_managed_contest(db.session, contest_id, actor())
    url = current_app.config["BASE_URL"].rstrip("/") + url_for("take.landing", slug=contest.slug)
    pdf = render_poster(contest, url, now=now())
    return Response(
        pdf,
        mimetype="application/pdf",
        headers={"Content-Disposition": f'inline; filename="poster-{contest.slug}.pdf"'},
    )


# --- results ---------------------------------------------------------------------------------


@bp.route("/<int:contest_id>/rounds/<int:round_id>/results", methods=["GET", "POST"])
@organiser_required
def results(contest_id: int, round_id: int):
    from quizapp.contests import results as R
    from quizapp.orgs.population import LABELS

    rnd = R.get_managed_round(db.session, round_id, actor())
    if rnd.contest_id != contest_id:
        abort(404)
    if request.method == "POST":
        if not ConfirmForm().validate_on_submit():
            abort(400)
        try:
            if request.form.get("action") == "publish":
                R.publish_prizes(db.session, rnd.id, actor=actor(), now=now())
                flash(_("Prize list published."), "success")
            else:
                counts = {p: request.form.get(p, 0, type=int) or 0 for p in R.PRIZES}
                R.set_prize_counts(db.session, rnd.id, counts, actor=actor(), now=now())
                flash(_("Prize counts saved."), "success")
            db.session.commit()
        except Invalid as exc:
            db.session.rollback()
            flash(t(exc.message, exc.params), "error")
        return redirect(url_for("contests.results", contest_id=contest_id, round_id=round_id))
    unit_id = request.args.get("unit", type=int)
    from quizapp.orgs.services import get_managed_unit

    unit = get_managed_unit(db.session, unit_id, actor()) if unit_id else None
    population = request.args.get("population", "")
    ranking, actual = R.round_ranking(db.session, rnd, now(), unit=unit, population=population)
    full, _actual = (
        R.round_ranking(db.session, rnd, now()) if (unit or population) else (ranking, actual)
    )
    proposed = R.prize_list(full, rnd.prizes or {})
    nodes, totals, collective = R.unit_participation(db.session, rnd)
    items, test, questions, keys = R.item_analysis(db.session, rnd)
    return render_template(
        "contests/results.html",
        rnd=rnd,
        contest=rnd.contest,
        ranking=ranking[:500],
        total=len(ranking),
        actual=actual,
        proposed=proposed,
        published=R.published_prizes(db.session, rnd.id),
        confirm=ConfirmForm(),
        units=_unit_choices(),
        unit=unit,
        population=population,
        labels=LABELS,
        prize_names=R.PRIZE_NAMES,
        closed=now() >= rnd.closes_at,
        nodes=sorted(nodes, key=lambda n: (n.depth, n.name)),
        totals=totals,
        collective=collective,
        items=items[:100],
        test=test,
        questions=questions,
        keys=keys,
        regraded_after=_regraded_after(rnd),
    )


def _regraded_after(rnd) -> bool:
    from quizapp.contests import regrade
    from quizapp.contests import results as R

    published = R.published_prizes(db.session, rnd.id)
    fixes = regrade.round_corrections(db.session, rnd.id).values()
    return bool(published and any(f.created_at > published.published_at for f in fixes))


@bp.get("/<int:contest_id>/rounds/<int:round_id>/<any(results, prizes, units):kind>.<fmt>")
@organiser_required
def export_results(contest_id: int, round_id: int, kind: str, fmt: str):
    """Results, the prize list or unit participation as XLSX or CSV (UTF-8 with BOM)."""
    from quizapp.contests import results as R
    from quizapp.exports import to_csv, to_xlsx

    rnd = R.get_managed_round(db.session, round_id, actor())
    if rnd.contest_id != contest_id or fmt not in ("xlsx", "csv"):
        abort(404)
    if kind == "results":
        ranking, _actual = R.round_ranking(db.session, rnd, now())
        headers, rows = R.RESULT_HEADERS, R.results_table(db.session, rnd, ranking)
    elif kind == "prizes":
        published = R.published_prizes(db.session, rnd.id)
        if published is not None:
            entries = published.entries
        else:
            entries = R.prize_list(R.round_ranking(db.session, rnd, now())[0], rnd.prizes or {})
        headers = [
            "Giải",
            "Hạng",
            "Họ và tên",
            "Đơn vị",
            "Số câu đúng",
            "Số câu hỏi",
            "Dự đoán",
            "Thời gian làm bài (giây)",
            "Lý do xếp thứ tự",
        ]
        rows = [
            [
                e["prize_name"],
                e["rank"],
                e["name"],
                e["unit"],
                e["correct"],
                e["questions"],
                e["prediction"] if e["prediction"] is not None else "",
                e["duration_s"],
                e["why"],
            ]
            for e in entries
        ]
    else:
        nodes, totals, _collective = R.unit_participation(db.session, rnd)
        headers = [
            "Đơn vị",
            "Cấp",
            "Số người tham gia",
            "Số thành viên thuộc đối tượng",
            "Tỷ lệ tham gia (%)",
            "Điểm trung bình (%)",
            "Trung vị (%)",
            "Tỷ lệ đạt (%)",
        ]
        rows = []
        for n in sorted(nodes, key=lambda n: (n.depth, n.name)):
            tt = totals[n.id]
            rows.append(
                [
                    n.name,
                    n.depth,
                    tt.participants,
                    tt.eligible,
                    round(tt.rate * 100, 2) if tt.rate is not None else "",
                    round(tt.mean, 2) if tt.mean is not None else "",
                    round(tt.median, 2) if tt.median is not None else "",
                    round(tt.pass_rate * 100, 2) if tt.pass_rate is not None else "",
                ]
            )
    name = f"{kind}-{rnd.contest.slug}-tuan-{rnd.number}.{fmt}"
    if fmt == "csv":
        body, mime = to_csv(headers, rows), "text/csv; charset=utf-8"
    else:
        body = to_xlsx(headers, rows, f"Tuần {rnd.number}")
        mime = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return Response(
        body, mimetype=mime, headers={"Content-Disposition": f'attachment; filename="{name}"'}
    )


@bp.route(
    "/<int:contest_id>/rounds/<int:round_id>/questions/<int:version_id>/key",
    methods=["GET", "POST"],
)
@organiser_required
def correct_key(contest_id: int, round_id: int, version_id: int):
    """Fix a question's key for this round: preview every changed score, then regrade."""
    from quizapp.banks.models import QuestionVersion
    from quizapp.banks.serial import from_dict
    from quizapp.contests import regrade
    from quizapp.contests import results as R

    rnd = R.get_managed_round(db.session, round_id, actor())
    version = db.session.get(QuestionVersion, version_id)
    if rnd.contest_id != contest_id or version is None:
        abort(404)
    q = from_dict(version.content)
    fix = regrade.round_corrections(db.session, rnd.id).get(version_id)
    mode = request.form.get("mode", "rekey")
    if q.type.value == "truefalse":
        correct = [request.form.get("answer") == "true"] if request.method == "POST" else []
    else:
        correct = [int(i) for i in request.form.getlist("correct") if i.isdigit()]
    reason = request.form.get("reason", "")
    changes = None
    if request.method == "POST":
        if not ConfirmForm().validate_on_submit():
            abort(400)
        try:
            if request.form.get("action") == "apply":
                done = regrade.apply(
                    db.session, rnd, version_id, mode, correct, reason, actor=actor(), now=now()
                )
                db.session.commit()
                flash(
                    _("Regraded: %(n)s scores changed. Publish the prize list again.", n=len(done)),
                    "success",
                )
                return redirect(
                    url_for("contests.results", contest_id=contest_id, round_id=round_id)
                )
            changes = regrade.preview(db.session, rnd, version_id, mode, correct)
        except Invalid as exc:
            db.session.rollback()
            flash(t(exc.message, exc.params), "error")
    return render_template(
        "contests/correct_key.html",
        rnd=rnd,
        contest=rnd.contest,
        q=q,
        version=version,
        fix=fix,
        mode=mode,
        correct=correct,
        reason=reason,
        changes=changes,
        confirm=ConfirmForm(),
    )


@bp.get("/<int:contest_id>/rounds/<int:round_id>/dashboard")
@organiser_required
def dashboard(contest_id: int, round_id: int):
    """Live figures of a round, refreshed every 30 s (cached as long)."""
    from markupsafe import Markup

    from quizapp.contests import dashboard as D
    from quizapp.contests import results as R

    rnd = R.get_managed_round(db.session, round_id, actor())
    if rnd.contest_id != contest_id:
        abort(404)
    snap = D.snapshot(db.session, rnd, now())
    nodes, totals, _collective = R.unit_participation(db.session, rnd)
    children = [n for n in nodes if n.parent_id == rnd.contest.owner_unit_id]
    age = max(0, int((now() - snap.taken_at).total_seconds()))
    return render_template(
        "contests/dashboard.html",
        rnd=rnd,
        contest=rnd.contest,
        snap=snap,
        age=age,
        hours=Markup(D.bar_chart(snap.per_hour, title=_("Submissions per hour"))),  # noqa: S704
        histogram=Markup(D.bar_chart(snap.histogram, title=_("Score distribution"))),  # noqa: S704
        children=children,
        totals=totals,
    )


@bp.get("/<int:contest_id>/rounds/<int:round_id>/attempts/<int:attempt_id>.pdf")
@organiser_required
def attempt_pdf(contest_id: int, round_id: int, attempt_id: int):
    """One participant's attempt (questions, chosen and correct answers) for disputes."""
    from flask_babel import force_locale

    from quizapp.contests import attempts as A
    from quizapp.contests import results as R
    from quizapp.contests.models import Attempt
    from quizapp.orgs.models import Member
    from quizapp.pdf import html_to_pdf

    rnd = R.get_managed_round(db.session, round_id, actor())
    attempt = db.session.get(Attempt, attempt_id)
    if (
        rnd.contest_id != contest_id
        or attempt is None
        or attempt.round_id != rnd.id
        or attempt.status != "submitted"
    ):
        abort(404)
    member = db.session.get(Member, attempt.member_id) if attempt.member_id else None
    with force_locale("vi"):
        html = render_template(
            "contests/attempt_pdf.html",
            rnd=rnd,
            attempt=attempt,
            member=member,
            rows=A.review_rows(db.session, attempt),
            printed=now(),
        )
    return Response(
        html_to_pdf(html),
        mimetype="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="bai-lam-{attempt.id}.pdf"'},
    )


@bp.route("/<int:contest_id>/results", methods=["GET", "POST"])
@organiser_required
def contest_results(contest_id: int):
    """The ranking of the whole contest (all rounds), its prize list, with exports."""
    from quizapp.contests import results as R
    from quizapp.exports import to_csv, to_xlsx

    contest = services.get_managed_contest(db.session, contest_id, actor())
    if request.method == "POST":
        if not ConfirmForm().validate_on_submit():
            abort(400)
        try:
            if request.form.get("action") == "publish":
                R.publish_contest_prizes(db.session, contest, actor=actor(), now=now())
                flash(_("Prize list published."), "success")
            else:
                counts = {p: request.form.get(p, 0, type=int) or 0 for p in R.PRIZES}
                if any(not 0 <= v <= 1000 for v in counts.values()):
                    raise Invalid({"": "Prize counts are whole numbers from 0 to 1000."})
                contest.prizes = counts
                flash(_("Prize counts saved."), "success")
            db.session.commit()
        except Invalid as exc:
            db.session.rollback()
            flash(t(exc.message, exc.params), "error")
        return redirect(url_for("contests.contest_results", contest_id=contest.id))
    ranking = R.contest_ranking(db.session, contest, now())
    fmt = request.args.get("format")
    if fmt in ("xlsx", "csv"):
        headers = [
            "Hạng",
            "Họ và tên",
            "Đơn vị",
            "Số câu đúng",
            "Số câu hỏi",
            "Điểm",
            "Tổng độ lệch dự đoán",
            "Tổng thời gian (giây)",
        ]
        rows = [
            [
                r.rank,
                r.entry.name,
                r.entry.unit,
                r.entry.correct,
                r.entry.questions,
                float(r.entry.score),
                r.entry.prediction if r.entry.prediction is not None else "",
                r.entry.duration_s,
            ]
            for r in ranking
        ]
        name = f"ket-qua-{contest.slug}.{fmt}"
        body = to_csv(headers, rows) if fmt == "csv" else to_xlsx(headers, rows, "Cuộc thi")
        mime = (
            "text/csv; charset=utf-8"
            if fmt == "csv"
            else "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        )
        return Response(
            body, mimetype=mime, headers={"Content-Disposition": f'attachment; filename="{name}"'}
        )
    return render_template(
        "contests/contest_results.html",
        contest=contest,
        ranking=ranking[:500],
        total=len(ranking),
        proposed=R.prize_list(ranking, contest.prizes or {}),
        published=R.published_contest_prizes(db.session, contest.id),
        prize_names=R.PRIZE_NAMES,
        confirm=ConfirmForm(),
        closed=bool(contest.rounds) and all(now() >= r.closes_at for r in contest.rounds),
    )
