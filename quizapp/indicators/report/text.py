"""The report's words and number formats, shared by the workbook and the PDF."""

from __future__ import annotations

from dataclasses import dataclass

from markupsafe import Markup, escape

from quizapp.i18n import N_
from quizapp.indicators.core import KIND_LABELS, Indicator, Kind
from quizapp.indicators.maths import STATUS_LABELS, Status
from quizapp.indicators.report.build import (
    Cell,
    Gettext,
    PlanReport,
    ReportLine,
    UnitRow,
)
from quizapp.timeutil import format_date, format_datetime, local_today

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
