"""Organiser pages of study programmes: the builder (programme, lessons, order, status)
and progress (per unit and member, the follow-up export, the completion chart). Routes are
added to the programmes blueprint."""

from __future__ import annotations

from datetime import date

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from quizapp.banks.services import visible_banks
from quizapp.charts import line_chart
from quizapp.errors import DomainError
from quizapp.extensions import db
from quizapp.forms import db_int, to_choices
from quizapp.orgs.forms import ConfirmForm
from quizapp.orgs.models import Unit
from quizapp.orgs.population import LABELS as POPULATION_LABELS
from quizapp.orgs.scope import in_subtrees, managed_units, unit_choices
from quizapp.programmes import reports as R
from quizapp.programmes import services as S
from quizapp.programmes.blueprint import bp
from quizapp.programmes.forms import LessonForm, ProgrammeForm
from quizapp.programmes.models import Lesson, Programme
from quizapp.programmes.views import STATUS_LABELS
from quizapp.rights.watch import logged
from quizapp.timeutil import local_today
from quizapp.web import actor, now, organiser_required, run_service, t

# --- organisers ---------------------------------------------------------------------------


@bp.get("/org/programmes")
@organiser_required
def index():
    a = actor()
    stmt = (
        select(Programme)
        .join(Unit, Unit.id == Programme.owner_unit_id)
        .order_by(Programme.created_at.desc())
    )
    if not a.is_admin:
        stmt = stmt.where(in_subtrees(Unit.path, a))
    return render_template("programmes/index.html", programmes=db.session.scalars(stmt).all())


def _programme_form(programme: Programme | None = None) -> ProgrammeForm:
    form = ProgrammeForm(obj=programme)
    form.owner_unit_id.choices = unit_choices(managed_units(actor()))
    form.unit_ids.choices = unit_choices(managed_units(actor()))
    if request.method == "GET":
        if programme is not None:
            form.starts_on.data = local_today(programme.starts_at)
            form.ends_on.data = local_today(programme.ends_at)
            form.unit_ids.data = programme.unit_ids
            form.populations.data = programme.populations
            form.order.data = "sequential" if programme.sequential else "free"
        else:
            today = local_today(now())
            # A union year by default: from today to 15 October (the reporting date).
            end = date(today.year + (today >= date(today.year, 10, 15)), 10, 15)
            form.starts_on.data, form.ends_on.data = today, end
    return form


def _programme_data(form: ProgrammeForm, key: str = "") -> S.ProgrammeData:
    return S.ProgrammeData(
        title=form.title.data,
        owner_unit_id=form.owner_unit_id.data,
        starts_on=form.starts_on.data,
        ends_on=form.ends_on.data,
        description=form.description.data or "",
        unit_ids=tuple(form.unit_ids.data or ()),
        populations=tuple(form.populations.data or ()),
        admitted_in_period=form.admitted_in_period.data,
        self_enrol=form.self_enrol.data,
        sequential=form.order.data != "free",
        required_count=form.required_count.data or None,
        renewal_months=form.renewal_months.data or None,
        key=key,
        certificate_title=form.certificate_title.data or "",
        signatory_title=form.signatory_title.data or "",
        signatory_name=form.signatory_name.data or "",
    )


@bp.route("/org/programmes/new", methods=["GET", "POST"])
@organiser_required
def new():
    form = _programme_form()
    if form.validate_on_submit():
        ok, programme = run_service(
            form,
            lambda: S.create_programme(db.session, _programme_data(form), actor=actor(), now=now()),
        )
        if ok:
            return redirect(url_for("programmes.new_lesson", programme_id=programme.id))
    return render_template("programmes/programme_form.html", form=form, programme=None)


@bp.route("/org/programmes/<int:programme_id>/edit", methods=["GET", "POST"])
@organiser_required
def edit(programme_id: int):
    programme = S.get_managed_programme(db.session, programme_id, actor())
    form = _programme_form(programme)
    if form.validate_on_submit():
        ok, _result = run_service(
            form,
            lambda: S.update_programme(
                db.session,
                programme.id,
                _programme_data(form, programme.key),
                actor=actor(),
                now=now(),
            ),
        )
        if ok:
            flash(_("Changes saved."), "success")
            return redirect(url_for("programmes.manage", programme_id=programme.id))
    return render_template("programmes/programme_form.html", form=form, programme=programme)


@bp.get("/org/programmes/<int:programme_id>")
@organiser_required
def manage(programme_id: int):
    programme = S.get_managed_programme(db.session, programme_id, actor())
    return render_template(
        "programmes/manage.html",
        programme=programme,
        confirm=ConfirmForm(),
        population_labels=POPULATION_LABELS,
    )


def _lesson_form(programme: Programme, item: Lesson | None = None) -> LessonForm:
    form = LessonForm(obj=item)
    banks = visible_banks(db.session, actor())
    form.bank_id.choices = to_choices((b.id, b.title) for b in banks)
    form.categories.choices = to_choices(
        (c.key, f"{b.title} › {c.title}") for b in banks for c in S.categories_of(db.session, b.id)
    )
    if request.method == "GET" and item is not None:
        rnd = item.round
        form.bank_id.data = rnd.bank_id
        form.categories.data = [i["category"] for i in rnd.blueprint if i.get("category")]
        form.questions.data = rnd.question_count
        form.pass_mark.data = rnd.pass_mark
        form.time_limit.data = rnd.time_limit_s // 60
        form.retry_wait.data = item.retry_wait_s // 60
    return form


def _lesson_data(form: LessonForm, item: Lesson | None) -> S.LessonData:
    return S.LessonData(
        title=form.title.data,
        bank_id=form.bank_id.data,
        categories=tuple(form.categories.data or ()),
        questions=form.questions.data,
        content=form.content.data or "",
        reading_minutes=form.reading_minutes.data,
        required=form.required.data,
        pass_mark=form.pass_mark.data if form.pass_mark.data is not None else 80,
        time_limit_s=form.time_limit.data * 60,
        max_attempts=form.max_attempts.data or None,
        retry_wait_s=(form.retry_wait.data or 0) * 60,
        key=item.key if item else "",
        sources=tuple(item.sources) if item else (),
    )


@bp.route("/org/programmes/<int:programme_id>/lessons/new", methods=["GET", "POST"])
@organiser_required
def new_lesson(programme_id: int):
    programme = S.get_managed_programme(db.session, programme_id, actor())
    return _save_lesson(programme, None)


@bp.route("/org/programmes/<int:programme_id>/lessons/<int:lesson_id>", methods=["GET", "POST"])
@organiser_required
def edit_lesson(programme_id: int, lesson_id: int):
    programme = S.get_managed_programme(db.session, programme_id, actor())
    item = db.session.get(Lesson, lesson_id)
    if item is None or item.programme_id != programme.id:
        abort(404)
    return _save_lesson(programme, item)


def _save_lesson(programme: Programme, item: Lesson | None):
    form = _lesson_form(programme, item)
    if form.validate_on_submit():
        try:
            ok, _saved = run_service(
                form,
                lambda: S.save_lesson(
                    db.session,
                    programme.id,
                    _lesson_data(form, item),
                    actor=actor(),
                    now=now(),
                    lesson_id=item.id if item else None,
                ),
            )
        except DomainError as exc:
            db.session.rollback()
            form.form_errors.append(t(exc.message, exc.params))
            ok = False
        if ok:
            flash(_("Lesson saved."), "success")
            return redirect(url_for("programmes.manage", programme_id=programme.id))
    return render_template(
        "programmes/lesson_form.html", form=form, programme=programme, lesson=item
    )


def _act(programme_id: int, call, done: str):
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        call()
        flash(done, "success")
    except DomainError as exc:
        db.session.rollback()
        if exc.status == 404:
            raise
        for texts in getattr(exc, "field_errors", {"": [exc.message]}).values():
            for m in texts:
                flash(t(m, exc.params), "error")
    return redirect(url_for("programmes.manage", programme_id=programme_id))


@bp.post("/org/programmes/<int:programme_id>/lessons/<int:lesson_id>/move")
@organiser_required
def move_lesson(programme_id: int, lesson_id: int):
    offset = -1 if request.form.get("direction") == "up" else 1
    return _act(
        programme_id,
        lambda: S.move_lesson(db.session, lesson_id, offset, actor=actor(), now=now()),
        _("Order saved."),
    )


@bp.post("/org/programmes/<int:programme_id>/lessons/<int:lesson_id>/delete")
@organiser_required
def delete_lesson(programme_id: int, lesson_id: int):
    return _act(
        programme_id,
        lambda: S.delete_lesson(db.session, lesson_id, actor=actor(), now=now()),
        _("Lesson deleted."),
    )


@bp.post("/org/programmes/<int:programme_id>/status")
@organiser_required
def status(programme_id: int):
    target = request.form.get("status", "")
    return _act(
        programme_id,
        lambda: S.set_status(db.session, programme_id, target, actor=actor(), now=now()),
        _("Status changed."),
    )


def _scope(programme: Programme) -> Unit:
    """The unit whose subtree the organiser looks at (their own, or one they choose)."""
    a = actor()
    unit_id = request.args.get("unit", type=db_int)
    unit = db.session.get(Unit, unit_id) if unit_id else None
    if (
        unit is not None
        and (a.is_admin or any(unit.path.startswith(p) for p in a.managed_paths))
        and unit.path.startswith(programme.owner_unit.path)
    ):
        return unit
    if a.is_admin or any(programme.owner_unit.path.startswith(p) for p in a.managed_paths):
        return programme.owner_unit
    # An organiser below the owner sees their own part of the tree.
    mine = [u for u in managed_units(actor()) if u.path.startswith(programme.owner_unit.path)]
    if not mine:
        abort(404)
    return min(mine, key=lambda u: u.depth)


def _visible_programme(programme_id: int) -> Programme:
    """Organisers of the owner unit and of units below it (for their part) see progress."""
    programme = db.session.get(Programme, programme_id)
    a = actor()
    if programme is None or not (
        a.is_admin
        or any(
            programme.owner_unit.path.startswith(p) or p.startswith(programme.owner_unit.path)
            for p in a.managed_paths
        )
    ):
        abort(404)
    return programme


@bp.get("/org/programmes/<int:programme_id>/progress")
@organiser_required
def progress(programme_id: int):
    programme = _visible_programme(programme_id)
    scope = _scope(programme)
    population = request.args.get("population") or None
    status_filter = request.args.get("status") or None
    moment = now()
    units = R.unit_progress(db.session, programme, scope, moment, population=population)
    members = R.member_progress(
        db.session, programme, scope, moment, status=status_filter, population=population
    )
    page = max(1, request.args.get("page", 1, type=db_int) or 1)
    per_page = 50
    series = R.completions_over_time(db.session, programme, scope, moment)
    chart = line_chart(
        [(d.strftime("%d/%m"), n) for d, n in series],
        title=_("Members who completed the programme, over time"),
    )
    shown = members[(page - 1) * per_page : page * per_page]
    logged("programme.progress", unit_path=scope.path, people=len(shown), object_id=programme.id)
    return render_template(
        "programmes/progress.html",
        programme=programme,
        scope=scope,
        units=units,
        total=R.totals(units),
        members=shown,
        member_count=len(members),
        page=page,
        pages=max(1, -(-len(members) // per_page)),
        chart=chart,
        population=population,
        status_filter=status_filter,
        population_labels=POPULATION_LABELS,
        status_labels=STATUS_LABELS,
    )


@bp.get("/org/programmes/<int:programme_id>/progress/not-completed.xlsx")
@organiser_required
def export_not_completed(programme_id: int):
    from quizapp.exports import to_xlsx

    programme = _visible_programme(programme_id)
    scope = _scope(programme)
    population = request.args.get("population") or None
    rows = R.member_progress(
        db.session, programme, scope, now(), status="not_completed", population=population
    )
    data = to_xlsx(
        [_("Full name"), _("Unit"), _("Phone number"), _("Status"), _("Lessons passed")],
        [(m.name, m.unit_name, m.phone or "", _(STATUS_LABELS[m.status]), m.passed) for m in rows],
        title=_("Not completed"),
    )
    logged(
        "programme.not_completed.export",
        unit_path=scope.path,
        people=len(rows),
        object_id=programme.id,
    )
    name = f"chua-hoan-thanh-{programme.key}-{scope.code}.xlsx"
    return Response(
        data,
        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
