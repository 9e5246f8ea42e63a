"""Indicator pages: the dashboard of a unit (from snapshots) with drill-down, trends and
status; figures units enter; confirmations; the follow-up list; the plans' definitions."""

from __future__ import annotations

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from quizapp.charts import line_chart, target_bar
from quizapp.errors import DomainError
from quizapp.extensions import db
from quizapp.forms import db_int
from quizapp.indicators import compute as C
from quizapp.indicators import dashboard as D
from quizapp.indicators import services as I
from quizapp.indicators.core import KIND_LABELS, Entry, Kind
from quizapp.indicators.forms import DefinitionForm, EntryForm
from quizapp.indicators.maths import STATUS_LABELS
from quizapp.orgs.forms import ConfirmForm
from quizapp.orgs.models import Unit
from quizapp.orgs.scope import managed_units
from quizapp.policy import can_manage
from quizapp.timeutil import local_today
from quizapp.web import (
    actor,
    admin_required,
    copy_errors,
    now,
    organiser_required,
    paginate,
    t,
)

bp = Blueprint("indicators", __name__, url_prefix="/org/indicators")


def _context():
    """The plan, unit and year asked for (defaults: the first plan, the actor's top unit,
    the current reporting year), within the actor's scope."""
    I.load_shipped(db.session, now())
    available = I.plans(db.session)
    if not available:
        abort(404)
    key = request.values.get("plan") or available[0][0].key
    match = next(((r, p) for r, p in available if r.key == key), None)
    if match is None:
        abort(404)
    row, plan = match
    unit_id = request.values.get("unit", type=db_int)
    unit = db.session.get(Unit, unit_id) if unit_id else None
    if unit is None:
        mine = managed_units(actor())
        unit = min(mine, key=lambda u: u.depth) if mine else None
    if unit is None or not can_manage(actor(), unit.path):
        abort(404)
    year = request.values.get("year", type=db_int) or I.current_year(plan, now())
    if not 2000 <= year <= 2100:  # no plan reports outside these years
        abort(404)
    return available, row, plan, unit, year


@bp.get("")
@organiser_required
def dashboard():
    db.write_now()  # it may load the shipped plan definitions or store a snapshot
    available, _row, plan, unit, year = _context()
    snap = I.latest_snapshot(db.session, plan.key, year)
    if snap is None:  # the first visit of the year: compute once, then serve from it
        snap = I.take_snapshot(db.session, plan.key, year, now())
    today = local_today(now())
    lines = D.dashboard(db.session, plan, snap, unit, today)
    children = sorted({c for line in lines for c, *_rest in line.children}, key=lambda u: u.name)
    confirmed = I.confirmations(db.session, plan.key, year, [unit.id, *[c.id for c in children]])
    charts = {}
    for line in lines:
        main = line.main
        number = line.indicator.kind is Kind.REPORTED and (
            line.indicator.reported.entry is not Entry.PERCENTAGE
        )
        charts[(line.indicator.code, line.line)] = (
            target_bar(
                line.actual,
                main.value if main else None,
                top=100.0 if not number else max(line.actual or 0, main.value if main else 0, 1),
                title=line.label,
            ),
            line_chart(
                [(d.strftime("%d/%m/%y"), round(v, 1)) for d, v in line.trend],
                height=60,
                title=_("Trend"),
                target=main.value if main else None,
            )
            if len(line.trend) > 1
            else None,
        )
    period = plan.period(year)
    return render_template(
        "indicators/dashboard.html",
        plans=available,
        plan=plan,
        unit=unit,
        parents=_parents(unit),
        year=year,
        period=period,
        snap=snap,
        lines=lines,
        charts=charts,
        children=children,
        unit_urls=_unit_urls(plan, year, children),
        top=TOP_CHILDREN,
        confirmed=confirmed,
        days_left=plan.days_until_due(today),
        kind_labels=KIND_LABELS,
        status_labels=STATUS_LABELS,
        confirm=ConfirmForm(),
        years=range(max(2022, year - 4), I.current_year(plan, now()) + 1),
    )


# Units below shown per line on the dashboard (furthest behind first); the whole table is one
# click away. A province has about a hundred units below and thirty-odd lines: all of them
# would make a page of 1,700 rows, slow on a phone and over 100 ms to render.
TOP_CHILDREN = 5


def _parents(unit: Unit) -> list[Unit]:
    """The unit's ancestors within the actor's scope, the top first (for the breadcrumb)."""
    parents = []
    cursor = unit
    while cursor.parent_id and can_manage(actor(), cursor.parent.path):
        cursor = cursor.parent
        parents.insert(0, cursor)
    return parents


def _unit_urls(plan, year: int, units) -> dict[int, str]:
    """Each unit's dashboard address, built once per page rather than once per table row."""
    if not units:
        return {}
    sample = url_for(".dashboard", plan=plan.key, unit=0, year=year)
    head, tail = sample.split("unit=0", 1)
    return {u.id: f"{head}unit={u.id}{tail}" for u in units}


@bp.get("/units")
@organiser_required
def units_below():
    """One indicator line of a unit: every unit below with its figure, furthest behind
    first (the dashboard shows the first few)."""
    _available, _row, plan, unit, year = _context()
    try:
        ind = plan.indicator(request.values.get("code", ""))
    except KeyError:
        abort(404)
    index = request.values.get("line", 0, type=db_int)
    snap = I.latest_snapshot(db.session, plan.key, year)
    if snap is None:
        return redirect(url_for(".dashboard", plan=plan.key, unit=unit.id, year=year))
    lines = D.dashboard(db.session, plan, snap, unit, local_today(now()), only=(ind.code, index))
    if not lines:
        abort(404)
    line = lines[0]
    return render_template(
        "indicators/units.html",
        plan=plan,
        unit=unit,
        parents=_parents(unit),
        year=year,
        snap=snap,
        line=line,
        unit_urls=_unit_urls(plan, year, [c for c, *_rest in line.children]),
        kind_labels=KIND_LABELS,
    )


@bp.post("/snapshot")
@organiser_required
def refresh():
    if not ConfirmForm().validate_on_submit():
        abort(400)
    _available, _row, plan, unit, year = _context()
    snap = I.refresh_snapshot(db.session, plan.key, year, actor=actor(), now=now())
    flash(_("Figures updated (%(s)s s).", s=f"{snap.seconds:.2f}"), "success")
    return redirect(url_for(".dashboard", plan=plan.key, unit=unit.id, year=year))


@bp.post("/confirm")
@organiser_required
def confirm():
    if not ConfirmForm().validate_on_submit():
        abort(400)
    _available, _row, plan, unit, year = _context()
    I.confirm(db.session, plan.key, year, unit.id, actor=actor(), now=now())
    flash(_("The figures of %(unit)s are confirmed.", unit=unit.name), "success")
    return redirect(url_for(".dashboard", plan=plan.key, unit=unit.id, year=year))


@bp.route("/entry", methods=["GET", "POST"])
@organiser_required
def entry():
    _available, _row, plan, unit, year = _context()
    try:
        ind = plan.indicator(request.values.get("code", ""))
    except KeyError:
        abort(404)
    if ind.kind is Kind.COMPUTED:
        abort(404)
    current = I.entries_for(db.session, plan.key, year, unit.id).get(ind.code)
    form = EntryForm(obj=current)
    if request.method == "GET" and current is not None and current.yes is not None:
        form.yes.data = "yes" if current.yes else "no"
    if form.validate_on_submit():
        data = I.EntryData(
            value=form.value.data,
            numerator=form.numerator.data,
            denominator=form.denominator.data,
            yes=None if not form.yes.data else form.yes.data == "yes",
            comment=form.comment.data or "",
            evidence_url=(form.evidence_url.data or "").strip(),
        )
        try:
            I.save_entry(
                db.session, plan.key, ind.code, year, unit.id, data, actor=actor(), now=now()
            )
        except I.Invalid as exc:
            db.session.rollback()
            copy_errors(form, exc)
        else:
            flash(
                _("Saved. The dashboard shows it after the next update of the figures."), "success"
            )
            return redirect(url_for(".dashboard", plan=plan.key, unit=unit.id, year=year))
    return render_template(
        "indicators/entry.html",
        plan=plan,
        ind=ind,
        unit=unit,
        year=year,
        form=form,
        current=current,
        kind_labels=KIND_LABELS,
    )


def _line(plan):
    try:
        ind = plan.indicator(request.values.get("code", ""))
        line = ind.lines[request.values.get("line", 0, type=db_int)]
    except (KeyError, IndexError):
        abort(404)
    return ind, line


@bp.get("/followup")
@organiser_required
def followup():
    """Members in a computed line's denominator but not its numerator, in the scope."""
    _available, _row, plan, unit, year = _context()
    ind, line = _line(plan)
    counted = request.args.get("counted") == "1"
    page = paginate(C.not_counted(db.session, plan, line, year, now(), unit.path, counted=counted))
    return render_template(
        "indicators/followup.html",
        plan=plan,
        ind=ind,
        line=line,
        unit=unit,
        year=year,
        page=page,
        line_index=request.values.get("line", 0, type=db_int),
        counted=counted,
    )


@bp.get("/followup.xlsx")
@organiser_required
def followup_export():
    from quizapp.exports import to_xlsx

    _available, _row, plan, unit, year = _context()
    ind, line = _line(plan)
    counted = request.args.get("counted") == "1"
    members = db.session.scalars(
        C.not_counted(db.session, plan, line, year, now(), unit.path, counted=counted)
    ).all()
    data = to_xlsx(
        [_("Full name"), _("Unit"), _("Phone number"), _("Date admitted")],
        [
            (
                m.full_name,
                m.unit.name,
                m.phone or "",
                m.admitted_on.strftime("%d/%m/%Y") if m.admitted_on else "",
            )
            for m in members
        ],
        title=f"{ind.code} {line.label}"[:31],
    )
    name = f"chua-dat-{plan.key}-{ind.code}-{unit.code}-{year}.xlsx"
    return Response(
        data,
        mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@bp.get("/report.<fmt>")
@organiser_required
def report(fmt: str):
    """The annual report of the unit (this plan, or every plan with plan=all) as XLSX or
    PDF, from the year's report snapshot (taken on first request)."""
    db.write_now()  # it may load the shipped plan definitions or store a snapshot
    from quizapp.indicators import report as R

    if fmt not in ("xlsx", "pdf"):
        abort(404)
    _available, _row, plan, unit, year = _context()
    keys = None if request.args.get("all") == "1" else [plan.key]
    reports = R.build_reports(
        db.session,
        unit.id,
        year,
        actor=actor(),
        now=now(),
        keys=keys,
        refresh=request.args.get("refresh") == "1",
    )
    data = R.render_report(reports, fmt)
    mimetype = (
        "application/pdf"
        if fmt == "pdf"
        else "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    name = R.report_filename(unit.code, year, fmt)
    return Response(
        data, mimetype=mimetype, headers={"Content-Disposition": f'attachment; filename="{name}"'}
    )


@bp.get("/plans")
@organiser_required
def definitions():
    I.load_shipped(db.session, now())
    from quizapp.orgs.models import UnitType

    a = actor()
    return render_template(
        "indicators/plans.html",
        plans=I.plans(db.session),
        kind_labels=KIND_LABELS,
        unit_types=db.session.scalars(select(UnitType).order_by(UnitType.sort_order)).all(),
        types_of=I.unit_types_of,
        may_choose=a.is_admin or any(p.count("/") == 2 for p in a.managed_paths),
        confirm=ConfirmForm(),
    )


@bp.post("/plans/<key>/unit-types")
@organiser_required
def unit_types(key: str):
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        I.set_unit_types(
            db.session,
            key,
            request.form.get("code", ""),
            request.form.getlist("unit_types"),
            actor=actor(),
            now=now(),
        )
        flash(_("Saved. The next update of the figures counts over these units."), "success")
    except DomainError as exc:
        db.session.rollback()
        flash(t(exc.message, exc.params), "error")
    return redirect(url_for(".definitions"))


@bp.route("/plans/<key>/edit", methods=["GET", "POST"])
@admin_required
def edit_definition(key: str):
    row, _plan = I.get_plan(db.session, key)
    form = DefinitionForm(obj=row)
    if form.validate_on_submit():
        try:
            I.save_definition(db.session, key, form.source.data, actor=actor(), now=now())
        except DomainError as exc:
            db.session.rollback()
            if isinstance(exc, I.Invalid):
                copy_errors(form, exc)
            else:
                flash(t(exc.message, exc.params), "error")
        else:
            flash(_("Definitions saved. New snapshots use them."), "success")
            return redirect(url_for(".definitions"))
    return render_template("indicators/plan_edit.html", row=row, form=form)
