"""The annual report as an XLSX workbook: one sheet per plan."""

from __future__ import annotations

import io
from collections.abc import Sequence

from quizapp.exports import neutralise
from quizapp.i18n import N_
from quizapp.indicators.report.build import (
    Gettext,
    PlanReport,
    ReportLine,
)
from quizapp.indicators.report.text import (
    DIRECT,
    HEADERS,
    NO_CHILDREN,
    SECTIONS,
    TOTAL,
    Text,
    notes,
)

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
        cell = ws.cell(row=row, column=col, value=neutralise(value))
        if cell.data_type == "f":
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
