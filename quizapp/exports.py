"""Tables as XLSX or CSV (UTF-8 with BOM, so that Excel shows Vietnamese correctly) (pure)."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence


def to_csv(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> bytes:
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(headers)
    writer.writerows(rows)
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


def to_xlsx(headers: Sequence[str], rows: Sequence[Sequence[object]], title: str) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    ws = wb.active
    ws.title = title[:31]
    ws.append(list(headers))
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for row in rows:
        # Text that starts like a formula stays text (no formula injection from names).
        ws.append([f"'{v}" if isinstance(v, str) and v[:1] in "=+-@" else v for v in row])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
