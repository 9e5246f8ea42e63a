"""Tables as XLSX or CSV (UTF-8 with BOM, so that Excel shows Vietnamese correctly) (pure),
and the one rule every export applies to cells that came from user input."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence

# OWASP "CSV injection": a spreadsheet reads a cell starting with one of these as a formula
# (or, for TAB and CR, strips them and reads what follows).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: object) -> object:
    """A text that a spreadsheet would read as a formula, prefixed with a single quote so it
    stays text; every other value (numbers, dates, None, the empty string) unchanged.

    A text that already looks neutralised ("'-") gets a quote too, so that `unneutralise`
    gives every text back exactly."""
    if isinstance(value, str) and _quoted_formula(value):
        return "'" + value
    return value


def _quoted_formula(text: str) -> bool:
    """A formula start, after any number of quotes ("=1", "'=1", "''=1")."""
    return text.lstrip("'").startswith(FORMULA_START)


def unneutralise(value: object) -> object:
    """The inverse of `neutralise`, for imports that read our own exports back."""
    if isinstance(value, str) and value[:1] == "'" and _quoted_formula(value[1:]):
        return value[1:]
    return value


def append_row(ws, values: Iterable[object]) -> None:
    """Append a row to an openpyxl sheet with every text neutralised and stored as text."""
    ws.append([neutralise(v) for v in values])
    for cell in ws[ws.max_row]:
        if cell.data_type == "f":  # cannot happen after neutralise; belt and braces
            cell.data_type = "s"


def to_csv(headers: Sequence[str], rows: Iterable[Sequence[object]]) -> bytes:
    """Texts are quoted (a neutralised one included), numbers are not, so they stay numbers."""
    buf = io.StringIO()
    writer = csv.writer(buf, quoting=csv.QUOTE_NONNUMERIC)
    writer.writerow([neutralise(h) for h in headers])
    writer.writerows([neutralise(v) for v in row] for row in rows)
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


def to_xlsx(
    headers: Sequence[str],
    rows: Iterable[Sequence[object]],
    title: str,
    *,
    indents: Sequence[int] | None = None,
    sheets: Sequence[tuple[str, Sequence[str], Iterable[Sequence[object]]]] = (),
) -> bytes:
    """`indents`, when given, holds each row's indent level for its first cell (a tree of
    units shown as Excel's own cell indentation, which sorting and filtering keep);
    `sheets`: more sheets after the first, each (title, headers, rows)."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    wb = Workbook()
    ws = wb.active
    ws.title = title[:31]
    append_row(ws, headers)
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for i, row in enumerate(rows):
        append_row(ws, row)
        if indents and i < len(indents) and indents[i] > 0:
            ws.cell(row=ws.max_row, column=1).alignment = Alignment(indent=indents[i])
    for sheet_title, sheet_headers, sheet_rows in sheets:
        extra = wb.create_sheet(sheet_title[:31])
        append_row(extra, sheet_headers)
        for cell in extra[1]:
            cell.font = Font(bold=True)
        for row in sheet_rows:
            append_row(extra, row)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
