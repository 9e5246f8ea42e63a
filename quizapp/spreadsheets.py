"""Reading uploaded XLSX workbooks within bounds (pure): the zip, the declared sheet size,
then rows and cells while streaming, each checked before memory can grow.

An XLSX file is a zip of XML; 1 MB of it can hold gigabytes of cells (a "zip bomb"), and a
sheet can declare a size that makes a reader allocate for it. openpyxl checks neither, so
every import of a workbook goes through `read_rows`.
"""

from __future__ import annotations

import io
import re
import warnings
import zipfile
from dataclasses import dataclass
from typing import Any

from quizapp.exports import unneutralise
from quizapp.i18n import N_


@dataclass(frozen=True)
class XlsxLimits:
    """Bounds of one uploaded workbook (configurable: QUIZAPP_IMPORT_MAX_*)."""

    max_uncompressed: int = 50 * 1024 * 1024  # bytes, all zip members together
    max_ratio: int = 100  # uncompressed / compressed, for members above 1 MB
    max_rows: int = 50_000
    max_cells: int = 500_000

    @classmethod
    def from_config(cls, config: Any) -> XlsxLimits:
        return cls(
            max_uncompressed=int(config.get("IMPORT_MAX_UNCOMPRESSED_MB", 50)) * 1024 * 1024,
            max_ratio=int(config.get("IMPORT_MAX_RATIO", 100)),
            max_rows=int(config.get("IMPORT_MAX_ROWS", 50_000)),
            max_cells=int(config.get("IMPORT_MAX_CELLS", 500_000)),
        )


class SpreadsheetRefused(ValueError):
    """The workbook is over a limit or unreadable; `message` (an N_ id) and `params` say why."""

    def __init__(self, message: str, **params: object) -> None:
        super().__init__(message % params if params else message)
        self.message, self.params = message, params


_RATIO_FLOOR = (
    1024 * 1024
)  # small members (styles, shared strings of a short list) may compress well
_DIMENSION = re.compile(
    rb'<(?:\w+:)?dimension\s+ref="([A-Z]{1,3}[0-9]{1,7})(?::([A-Z]{1,3}[0-9]{1,7}))?"'
)
_CELL = re.compile(r"([A-Z]{1,3})([0-9]+)")


def _cell_position(ref: str) -> tuple[int, int]:
    letters, digits = _CELL.fullmatch(ref).groups()  # type: ignore[union-attr]
    column = 0
    for ch in letters:
        column = column * 26 + ord(ch) - 64
    return int(digits), column


def check_zip(content: bytes, limits: XlsxLimits) -> None:
    """Refuse a workbook whose members would decompress beyond the limits, before reading."""
    try:
        zf = zipfile.ZipFile(io.BytesIO(content))
    except zipfile.BadZipFile as exc:
        raise SpreadsheetRefused(N_("The file is not an Excel workbook (.xlsx).")) from exc
    with zf:
        infos = zf.infolist()
        total = sum(i.file_size for i in infos)
        if total > limits.max_uncompressed:
            raise SpreadsheetRefused(
                N_("The workbook unpacks to %(size)s MB, more than the limit of %(max)s MB."),
                size=total // (1024 * 1024),
                max=limits.max_uncompressed // (1024 * 1024),
            )
        for info in infos:
            ratio = info.file_size / max(info.compress_size, 1)
            if info.file_size > _RATIO_FLOOR and ratio > limits.max_ratio:
                raise SpreadsheetRefused(
                    N_("The workbook is compressed %(ratio)s times; the limit is %(max)s."),
                    ratio=int(ratio),
                    max=limits.max_ratio,
                )
        for info in infos:
            if info.filename.startswith("xl/worksheets/") and info.filename.endswith(".xml"):
                with zf.open(info) as fh:
                    head = fh.read(4096)  # the dimension comes first; reading stops here
                match = _DIMENSION.search(head)
                if match and match.group(2):
                    rows, cols = _cell_position(match.group(2).decode())
                    if rows > limits.max_rows + 1 or rows * cols > limits.max_cells:
                        raise SpreadsheetRefused(
                            N_(
                                "The sheet declares %(rows)s rows × %(cols)s columns; limits: "
                                "%(max_rows)s rows, %(max_cells)s cells."
                            ),
                            rows=rows,
                            cols=cols,
                            max_rows=limits.max_rows,
                            max_cells=limits.max_cells,
                        )


def read_rows(content: bytes, limits: XlsxLimits | None = None) -> list[list[object]]:
    """The first sheet's rows, values only, each text read back through `unneutralise`.

    Raises SpreadsheetRefused when the file is not a workbook or is over a limit: the zip and
    the declared size are checked before openpyxl opens it, rows and cells while streaming.
    """
    from openpyxl import load_workbook

    limits = limits or XlsxLimits()
    check_zip(content, limits)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # openpyxl warns about features it drops on read
            wb = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a broken file
        raise SpreadsheetRefused(N_("The file is not an Excel workbook (.xlsx).")) from exc
    rows: list[list[object]] = []
    cells = 0
    try:
        ws = wb.worksheets[0]
        for row in ws.iter_rows(values_only=True):
            if len(rows) >= limits.max_rows + 1:  # + the header row
                raise SpreadsheetRefused(
                    N_("The sheet has more than %(max)s rows; split it."), max=limits.max_rows
                )
            cells += len(row)
            if cells > limits.max_cells:
                raise SpreadsheetRefused(
                    N_("The sheet has more than %(max)s cells; split it."), max=limits.max_cells
                )
            rows.append([unneutralise(v) for v in row])
    except SpreadsheetRefused:
        raise
    except Exception as exc:  # a broken sheet inside a valid zip
        raise SpreadsheetRefused(N_("The file is not an Excel workbook (.xlsx).")) from exc
    finally:
        wb.close()
    return rows
