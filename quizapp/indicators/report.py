"""The annual indicator report of a unit, built from a report snapshot, as XLSX and PDF."""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from markupsafe import Markup, escape
from sqlalchemy import exists, or_, select
from sqlalchemy.orm import Session

from quizapp.errors import NotFound
from quizapp.i18n import N_
from quizapp.indicators import maths
from quizapp.indicators import services as I
from quizapp.indicators.core import KIND_LABELS, Condition, Entry, Indicator, Kind, Plan, Target
from quizapp.indicators.maths import STATUS_LABELS, Count, Status
from quizapp.indicators.models import IndicatorEntry, Snapshot, SnapshotValue
from quizapp.orgs.models import Unit, UnitType
from quizapp.policy import Actor, can_manage
from quizapp.timeutil import format_date, format_datetime, local_today

Gettext = Callable[[str], str]


def report_snapshot(
    session: Session, key: str, year: int, now: datetime, refresh: bool = False
) -> Snapshot:
    """The latest snapshot of the plan's year taken for a report, or a new one (reason
    "report") when there is none or `refresh` asks for it; flushed, never committed.

    A report snapshot computed with an older version of the plan's definitions is not
    reused: its lines would be printed under the current labels and targets.
    """
    row, _plan = I.get_plan(session, key)
    if not refresh:
        snap = session.scalar(
            select(Snapshot)
            .where(Snapshot.plan_key == key, Snapshot.year == year, Snapshot.reason == "report")
            .order_by(Snapshot.taken_at.desc(), Snapshot.id.desc())
            .limit(1)
        )
        if snap is not None and snap.definition_at == row.updated_at:
            return snap
    return I.take_snapshot(session, key, year, now, reason="report")


# --- what a report holds (plain values: the PDF template is given nothing else) ----------


@dataclass(frozen=True)
class Cell:
    """One unit's figure on one line: the counts and the value shown (a rate, a reported
    number, or 1/0 for yes/no)."""

    count: Count
    value: float | None


@dataclass(frozen=True)
class ReportLine:
    indicator: Indicator
    line: int
    label: str  # the population of a computed line ("" for other kinds)
    measure: str  # "rate", "number" (reported quantity) or "yes_no"
    total: Cell  # the unit with its whole subtree, as stored in the snapshot
    direct: Cell | None  # the unit's own people (or itself): total minus the children (rates)
    children: dict[int, Cell]
    target: Target | None  # in force for the period (the last one once all have passed)
    projected: float | None
    gap: float | None
    status: Status | None  # None: no target to judge against

    @property
    def self_reported(self) -> bool:
        ind = self.indicator
        return ind.kind is Kind.REPORTED or (
            ind.kind is Kind.UNIT_LEVEL and ind.unit_level.condition is Condition.ATTESTED
        )

    @property
    def suffix(self) -> str:
        if self.measure == "rate":
            return "%"
        return self.indicator.reported.unit if self.measure == "number" else ""


@dataclass(frozen=True)
class UnitRow:
    id: int
    code: str
    name: str
    confirmed_at: datetime | None


@dataclass(frozen=True)
class PlanReport:
    plan: Plan
    unit: UnitRow
    parent_name: str
    place: str
    year: int
    period: maths.Period
    snapshot_id: int
    taken_at: datetime
    as_of: datetime
    lines: tuple[ReportLine, ...]
    children: tuple[UnitRow, ...]
    unit_types: dict[str, str]  # key -> name, for the notes on unit-level indicators
    counted: dict[str, tuple[str, ...]]  # unit-level code -> the unit types counted over
    # code -> (unit name, comment, evidence link) entered by the unit and the units below
    entries: dict[str, list[tuple[str, str, str]]]

    @property
    def has_direct(self) -> bool:
        """Whether anyone (or the unit itself) is counted in the unit, not below it."""
        return any(line.direct and line.direct.count.denominator for line in self.lines)


def _measure(ind: Indicator) -> str:
    if ind.kind is Kind.REPORTED and ind.reported.entry is Entry.NUMBER:
        return "number"
    if ind.kind is Kind.REPORTED and ind.reported.entry is Entry.YES_NO:
        return "yes_no"
    return "rate"


def _cell(v: SnapshotValue | None, measure: str) -> Cell:
    count = Count(v.numerator, v.denominator) if v else Count()
    return Cell(count, count.rate if measure == "rate" else (v.value if v else None))


def _judge(ind: Indicator, i: int, measure: str, actual: float | None, view, period, today):
    """(target, projected, gap, status) of a line against the target in force at the
    period's end (the last target once every deadline has passed)."""
    if measure == "yes_no":  # no targets: "yes" is met
        status = Status.NO_DATA if actual is None else (Status.MET if actual else Status.BEHIND)
        return None, None, None, status
    targets = ind.lines[i].targets if ind.kind is Kind.COMPUTED else ind.targets
    if not targets:
        return None, None, None, None
    in_force = maths.target_for(targets, period.end)
    target = in_force or max(targets, key=lambda t: t.deadline)
    projected = None
    if in_force is not None and actual is not None and actual < target.value:
        if ind.each_period:
            # Each year is held to the target on its own: the trend is projected to the
            # period's end, and a period that is over is met or behind, never on track.
            if today < period.end:
                number = measure == "number"
                projected = maths.project(
                    [(d, v) for d, v in view.trend if d <= today],
                    period.end,
                    origin=None if number else period.start,
                    cap=None if number else 100.0,
                )
        else:  # a level to reach by the deadline: the dashboard's projection
            projected = next(
                (
                    t.assessment.projected
                    for t in view.targets
                    if t.deadline == target.deadline and t.value == target.value
                ),
                None,
            )
    return (
        target,
        projected,
        maths.gap(actual, target.value),
        maths.status(actual, target.value, projected),
    )


def build_report(
    session: Session,
    key: str,
    unit_id: int,
    year: int,
    *,
    actor: Actor,
    now: datetime,
    refresh: bool = False,
    place: str = "",
) -> PlanReport:
    """A unit's report on one plan for reporting year `year`, every figure from the report
    snapshot (see `report_snapshot`). Raises NotFound for a plan or a unit out of scope."""
    unit = session.get(Unit, unit_id)
    if unit is None or not can_manage(actor, unit.path):
        raise NotFound(N_("Unit not found."))
    definition, plan = I.get_plan(session, key)
    snap = report_snapshot(session, key, year, now, refresh=refresh)
    period = plan.period(year)
    today = local_today(snap.as_of)
    views = I.dashboard(session, plan, snap, unit, today)
    # Children merged away since still appear when the snapshot counted them.
    children = session.scalars(
        select(Unit)
        .where(
            Unit.parent_id == unit.id,
            or_(
                Unit.archived_at.is_(None),
                exists().where(
                    SnapshotValue.snapshot_id == snap.id, SnapshotValue.unit_id == Unit.id
                ),
            ),
        )
        .order_by(Unit.name_folded, Unit.code)
    ).all()
    ids = [unit.id, *(c.id for c in children)]
    values = {
        (v.unit_id, v.code, v.line): v
        for v in session.scalars(
            select(SnapshotValue).where(
                SnapshotValue.snapshot_id == snap.id, SnapshotValue.unit_id.in_(ids)
            )
        )
    }
    lines = []
    for view in views:
        ind, i = view.indicator, view.line
        measure = _measure(ind)
        total = _cell(values.get((unit.id, ind.code, i)), measure)
        kids = {c.id: _cell(values.get((c.id, ind.code, i)), measure) for c in children}
        direct = None
        if measure == "rate":
            n = total.count.numerator - sum(k.count.numerator for k in kids.values())
            d = total.count.denominator - sum(k.count.denominator for k in kids.values())
            direct = Cell(Count(n, d), maths.rate(n, d))
        target, projected, gap, status = _judge(ind, i, measure, total.value, view, period, today)
        label = ind.lines[i].label if ind.kind is Kind.COMPUTED else ""
        lines.append(
            ReportLine(ind, i, label, measure, total, direct, kids, target, projected, gap, status)
        )
    confirmed = I.confirmations(session, key, year, ids)

    def as_row(u: Unit) -> UnitRow:
        c = confirmed.get(u.id)
        return UnitRow(u.id, u.code, u.name, c.confirmed_at if c else None)

    names = {unit.id: unit.name, **{c.id: c.name for c in children}}
    entries: dict[str, list[tuple[str, str, str]]] = {}
    for e in session.scalars(
        select(IndicatorEntry).where(
            IndicatorEntry.plan_key == key,
            IndicatorEntry.year == year,
            IndicatorEntry.unit_id.in_(ids),
        )
    ):
        if e.comment or e.evidence_url:
            item = (names[e.unit_id], e.comment or "", e.evidence_url or "")
            entries.setdefault(e.code, []).append(item)
    for items in entries.values():
        items.sort(key=lambda x: (x[0] != unit.name, x[0]))
    return PlanReport(
        plan=plan,
        unit=as_row(unit),
        parent_name=unit.parent.name if unit.parent else "",
        place=place or unit.name,
        year=year,
        period=period,
        snapshot_id=snap.id,
        taken_at=snap.taken_at,
        as_of=snap.as_of,
        lines=tuple(lines),
        children=tuple(as_row(c) for c in children),
        unit_types={t.key: t.name for t in session.scalars(select(UnitType))},
        counted={
            ind.code: I.unit_types_of(definition, ind)
            for ind in plan.indicators
            if ind.kind is Kind.UNIT_LEVEL
        },
        entries=entries,
    )


def build_reports(
    session: Session,
    unit_id: int,
    year: int,
    *,
    actor: Actor,
    now: datetime,
    keys: Sequence[str] | None = None,
    refresh: bool = False,
    place: str = "",
) -> list[PlanReport]:
    """One report per plan of `keys` (default: every plan), in that order."""
    keys = list(keys) if keys else [row.key for row, _plan in I.plans(session)]
    return [
        build_report(
            session, key, unit_id, year, actor=actor, now=now, refresh=refresh, place=place
        )
        for key in keys
    ]


# --- text shared by the workbook and the PDF ---------------------------------------------

NO_TARGET = N_("No target set")
SELF_REPORTED = N_("(self-reported)")
TITLE = N_("Report on the results of implementation, year %(year)s")
PERIOD = N_("Reporting period: from %(start)s to %(end)s")
SOURCE = N_("Figures from snapshot no. %(id)s taken at %(taken)s, counted up to %(as_of)s.")
CONFIRMED = N_("Confirmed on %(d)s")
NOT_CONFIRMED = N_("Not confirmed")
DATED = N_("day %(d)s month %(m)s year %(y)s")
SECTIONS = (
    N_("Results by indicator"),
    N_("Results of the units below"),
    N_("Actual against target"),
    N_("Notes"),
)
HEADERS = (
    N_("Indicator"),
    N_("Content"),
    N_("Population"),
    N_("Measured as"),
    N_("Counted"),
    N_("Out of"),
    N_("Actual"),
    N_("Unit of measure"),
    N_("Target"),
    N_("Deadline"),
    N_("Gap to target"),
    N_("Assessment"),
)
DIRECT = N_("Directly in the unit")
TOTAL = N_("Total")
NO_CHILDREN = N_("This unit has no units below.")
GENERAL_NOTE = N_("General note")
SELF_REPORTED_LIST = N_("Indicators reported by the units themselves")
UNIT_TYPES = N_("Units counted: %(types)s")
UNIT_TYPES_CHOSEN = N_("Units counted (chosen by the organiser): %(types)s")
COMMENT = N_("comment: %(text)s")
EVIDENCE = N_("evidence: %(url)s")
ROLL_UP = N_(
    "A unit's rate is the sum of the counts of the units below it and of its own roster "
    "divided by the sum of their totals, never an average of rates."
)
GAP_NOTE = N_(
    "Gap = target minus actual, in percentage points for rates; a positive gap is what "
    "remains to be done."
)
STATUS_COLOURS = {
    Status.MET: "#1e7b34",
    Status.ON_TRACK: "#0b57d0",
    Status.BEHIND: "#b3261e",
    Status.NO_DATA: "#9e9e9e",
}


def _decimal(value: float, digits: int | None = None) -> str:
    """Vietnamese figures: "75,0", "2,5", "1.234"."""
    text = f"{value:,.{digits}f}" if digits is not None else f"{value:,g}"
    return text.replace(",", "\x00").replace(".", ",").replace("\x00", ".")


class Text:
    """Labels and figures as the report prints them, through `gettext`."""

    def __init__(self, gettext: Gettext) -> None:
        self.gettext = gettext

    def t(self, msgid: str, **params: object) -> str:
        text = self.gettext(msgid)
        return text % params if params else text

    def title(self, r: PlanReport) -> str:
        return self.t(TITLE, year=r.year)

    def period(self, r: PlanReport) -> str:
        return self.t(PERIOD, start=format_date(r.period.start), end=format_date(r.period.end))

    def source(self, r: PlanReport) -> str:
        return self.t(
            SOURCE,
            id=r.snapshot_id,
            taken=format_datetime(r.taken_at),
            as_of=format_datetime(r.as_of),
        )

    def dated(self, r: PlanReport) -> str:
        """ "Tỉnh Đoàn An Giang, ngày 20 tháng 11 năm 2026": the day the figures were taken."""
        day = local_today(r.taken_at)
        when = self.t(DATED, d=f"{day.day:02d}", m=f"{day.month:02d}", y=day.year)
        return f"{r.place}, {when}"

    def confirmed(self, u: UnitRow) -> str:
        if u.confirmed_at is None:
            return self.t(NOT_CONFIRMED)
        return self.t(CONFIRMED, d=format_date(u.confirmed_at))

    def kind(self, line: ReportLine) -> str:
        text = self.t(KIND_LABELS[line.indicator.kind])
        if line.self_reported and line.indicator.kind is not Kind.REPORTED:
            text += " " + self.t(SELF_REPORTED)
        return text

    def status(self, line: ReportLine) -> str:
        return self.t(NO_TARGET) if line.status is None else self.t(STATUS_LABELS[line.status])

    def number(self, line: ReportLine, value: float | None) -> str:
        """A value of the line: "75,0%", "3 bài viết/tuần", "Có"."""
        if value is None:
            return "—"
        if line.measure == "rate":
            return _decimal(value, 1) + "%"
        if line.measure == "yes_no":
            return self.t(N_("Yes") if value else N_("No"))
        return f"{_decimal(value)} {line.suffix}".strip()

    def target(self, line: ReportLine) -> str:
        if line.target is None:
            return "—"
        value = line.target.value
        return _decimal(value) + "%" if line.measure == "rate" else self.number(line, value)

    def gap(self, line: ReportLine) -> str:
        if line.gap is None:
            return "—"
        return _decimal(line.gap, 1) if line.measure == "rate" else _decimal(line.gap)

    def counts(self, cell: Cell) -> str:
        c = cell.count
        return f"{_decimal(c.numerator)}/{_decimal(c.denominator)}" if c.denominator else ""

    def types(self, r: PlanReport, ind: Indicator) -> str:
        """Which units a unit-level indicator counts, saying so when the organiser chose."""
        keys = r.counted.get(ind.code, ind.unit_level.unit_types)
        names = ", ".join(r.unit_types.get(k, k) for k in keys)
        chosen = set(keys) != set(ind.unit_level.unit_types)
        return self.t(UNIT_TYPES_CHOSEN if chosen else UNIT_TYPES, types=names)

    def chart(self, line: ReportLine) -> Markup:
        """Two horizontal bars, actual and target, on a 0-100 scale for rates."""
        actual, target = line.total.value, line.target.value if line.target else None
        top = 100.0 if line.measure == "rate" else max(actual or 0, target or 0, 1) * 1.15
        colour = STATUS_COLOURS.get(line.status, "#9e9e9e")
        rows = [
            (self.t(N_("Actual")), actual, colour, self.number(line, actual)),
            (self.t(N_("Target")), target, "#5f6368", self.target(line)),
        ]
        width, left, bar = 250, 56, 130
        parts = [
            f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} 40" width="{width}" '
            f'height="40" font-family="DejaVu Sans" font-size="8" role="img">'
        ]
        for n, (name, value, fill, shown) in enumerate(rows):
            y = 3 + n * 18
            parts.append(f'<text x="0" y="{y + 9}">{escape(name)}</text>')
            parts.append(f'<rect x="{left}" y="{y}" width="{bar}" height="12" fill="#ececec"/>')
            if value is not None:
                w = bar * min(value, top) / top
                parts.append(
                    f'<rect x="{left}" y="{y}" width="{w:.1f}" height="12" fill="{fill}"/>'
                )
            parts.append(f'<text x="{left + bar + 4}" y="{y + 9}">{escape(shown)}</text>')
        parts.append("</svg>")
        return Markup("".join(parts))  # noqa: S704 - every text above is escaped


@dataclass(frozen=True)
class Note:
    heading: str
    paragraphs: list[str]
    listed: bool = False  # printed as a list


def notes(r: PlanReport, text: Text) -> list[Note]:
    """The notes section, in print order: the plan's note (the levels abolished in 2025),
    each indicator's note, the self-reported indicators, how figures are read."""
    out: list[Note] = []
    if r.plan.note:
        out.append(Note(text.t(GENERAL_NOTE), [r.plan.note]))
    for ind in r.plan.indicators:
        body = [ind.note] if ind.note else []
        if ind.unit_level:
            body.append(text.types(r, ind))
        if body:
            out.append(Note(f"{ind.label} – {ind.title}", body))
    listed: list[str] = []
    for line in r.lines:
        ind = line.indicator
        if line.self_reported and line.line == 0:
            item = f"{ind.label} – {ind.title} {text.t(SELF_REPORTED)}"
            for name, comment, url in r.entries.get(ind.code, []):
                said = [text.t(COMMENT, text=comment)] if comment else []
                said += [text.t(EVIDENCE, url=url)] if url else []
                item += f". {name}: {'; '.join(said)}"
            listed.append(item)
    if listed:
        out.append(Note(text.t(SELF_REPORTED_LIST), listed, listed=True))
    out.append(Note("", [text.t(ROLL_UP), text.t(GAP_NOTE)]))
    return out


# --- the workbook ------------------------------------------------------------------------


def report_xlsx(reports: Sequence[PlanReport], gettext: Gettext = str) -> bytes:
    """One sheet per plan: title rows, the indicator table, the units below, the notes."""
    from openpyxl import Workbook

    wb = Workbook()
    wb.remove(wb.active)
    for r in reports:
        _sheet(wb.create_sheet(r.plan.key[:31]), r, Text(gettext))
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _sheet(ws, r: PlanReport, text: Text) -> None:
    from openpyxl.styles import Alignment, Font

    bold = Font(bold=True)

    def put(row: int, col: int, value: object, *, font=None, fmt: str | None = None) -> None:
        cell = ws.cell(row=row, column=col, value=value)
        if isinstance(value, str) and value[:1] == "=":
            cell.data_type = "s"  # names and texts stay text, never a formula
        if font is not None:
            cell.font = font
        if fmt:
            cell.number_format = fmt

    put(1, 1, r.unit.name.upper(), font=bold)
    put(2, 1, text.title(r), font=Font(bold=True, size=14))
    put(3, 1, r.plan.title)
    put(4, 1, text.period(r))
    put(5, 1, text.source(r))
    put(6, 1, f"{text.t(N_('Figures confirmed'))}: {text.confirmed(r.unit)}")
    row = 8
    put(row, 1, f"I. {text.t(SECTIONS[0]).upper()}", font=bold)
    row += 1
    for col, header in enumerate(HEADERS, start=1):
        put(row, col, text.t(header), font=bold)
    for line in r.lines:
        row += 1
        ind, rate = line.indicator, line.measure == "rate"
        put(row, 1, ind.label)
        put(row, 2, ind.title)
        put(row, 3, line.label)
        put(row, 4, text.kind(line))
        if rate:
            put(row, 5, line.total.count.numerator, fmt="#,##0")
            put(row, 6, line.total.count.denominator, fmt="#,##0")
        put(row, 7, _held(line, line.total.value, text), fmt="0.0" if rate else None)
        put(row, 8, line.suffix)
        if line.target is not None:
            put(row, 9, line.target.value)
            put(row, 10, line.target.deadline, fmt="DD/MM/YYYY")
        put(row, 11, line.gap, fmt="0.0" if rate else None)
        put(row, 12, text.status(line))
    row += 2
    put(row, 1, f"II. {text.t(SECTIONS[1]).upper()}", font=bold)
    row += 1
    if not r.children:
        put(row, 1, text.t(NO_CHILDREN))
    else:
        put(row, 1, text.t(N_("Unit")), font=bold)
        put(row, 2, text.t(N_("Figures confirmed")), font=bold)
        for n, line in enumerate(r.lines):
            col = 3 + 3 * n
            name = f"{line.indicator.label} – {line.label or line.indicator.title}"
            put(row, col, name, font=bold)
            ws.merge_cells(start_row=row, start_column=col, end_row=row, end_column=col + 2)
            ws.cell(row=row, column=col).alignment = Alignment(wrap_text=True, vertical="top")
            for k, header in enumerate((N_("Counted"), N_("Out of"), N_("Actual"))):
                put(row + 1, col + k, text.t(header), font=bold)
        row += 1
        units = [(c.name, c.id, text.confirmed(c), None) for c in r.children]
        if r.has_direct:
            units.append((text.t(DIRECT), None, "", "direct"))
        units.append((text.t(TOTAL), None, text.confirmed(r.unit), "total"))
        for name, uid, confirmed, which in units:
            row += 1
            put(row, 1, name, font=bold if which == "total" else None)
            put(row, 2, confirmed)
            for n, line in enumerate(r.lines):
                cell = (
                    line.total
                    if which == "total"
                    else line.direct
                    if which == "direct"
                    else line.children[uid]
                )
                if cell is None:
                    continue
                col = 3 + 3 * n
                if line.measure == "rate":
                    put(row, col, cell.count.numerator, fmt="#,##0")
                    put(row, col + 1, cell.count.denominator, fmt="#,##0")
                    put(row, col + 2, cell.value, fmt="0.0")
                else:
                    put(row, col + 2, _held(line, cell.value, text))
    row += 2
    put(row, 1, f"III. {text.t(SECTIONS[3]).upper()}", font=bold)
    for note in notes(r, text):
        if note.heading:
            row += 1
            put(row, 1, note.heading, font=bold)
        for paragraph in note.paragraphs:
            row += 1
            put(row, 1, f"- {paragraph}" if note.listed else paragraph)
    widths = (24, 40, 28, 20, 10, 10, 10, 14, 10, 12, 12, 16)
    for letter, width in zip("ABCDEFGHIJKL", widths, strict=True):
        ws.column_dimensions[letter].width = width


def _held(line: ReportLine, value: float | None, text: Text) -> float | str | None:
    """A value as a workbook cell holds it: the number itself, or "Có"/"Không"."""
    if value is None or line.measure != "yes_no":
        return value
    return text.number(line, value)


# --- the PDF -------------------------------------------------------------------------------


def report_html(reports: Sequence[PlanReport], gettext: Gettext) -> str:
    """The PDF's HTML (needs an application and a request context, as templates do)."""
    from flask import render_template

    text = Text(gettext)
    return render_template(
        "indicators/report_pdf.html",
        reports=reports,
        f=text,
        notes={r.plan.key: notes(r, text) for r in reports},
        sections=SECTIONS,
    )


# A province with a hundred communes prints some 25 pages: well over a request's 20 s
# budget on a small server, so reports get their own limit (they are bulk work).
REPORT_RENDER_TIMEOUT_S = 180


def render_report(
    reports: Sequence[PlanReport], fmt: str, *, timeout: float = REPORT_RENDER_TIMEOUT_S
) -> bytes:
    """The report as "xlsx" or "pdf" bytes, in Vietnamese whatever the UI language (needs an
    application and a request context); raises quizapp.pdf.RenderTimeout after `timeout`."""
    from flask_babel import force_locale, gettext

    from quizapp.pdf import html_to_pdf

    with force_locale("vi"):
        if fmt == "xlsx":
            return report_xlsx(reports, gettext)
        if fmt == "pdf":
            return html_to_pdf(report_html(reports, gettext), timeout=timeout)
    raise ValueError(f"unknown report format {fmt!r}")


def report_filename(unit_code: str, year: int, fmt: str) -> str:
    safe = re.sub(r"[^A-Za-z0-9_-]+", "-", unit_code).strip("-") or "unit"
    return f"bao-cao-chi-tieu-{safe}-{year}.{fmt}"
