"""Roster files (units and members, CSV or XLSX) read into rows and row problems (pure)."""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date

from quizapp.i18n import N_
from quizapp.orgs.population import ALIASES, Population
from quizapp.spreadsheets import SpreadsheetRefused, XlsxLimits, read_rows
from quizapp.textutil import clean_name, fold, normalise_email, normalise_phone
from quizapp.timeutil import parse_date

# Column key → Vietnamese header written in templates and exports. Headers in files are
# matched after folding, so "Ho va ten" and "HỌ VÀ TÊN" both work.
MEMBER_COLUMNS: dict[str, str] = {
    "code": "Mã đoàn viên",
    "full_name": "Họ và tên",
    "birth_date": "Ngày sinh",
    "phone": "Số điện thoại",
    "email": "Email",
    "unit_code": "Mã đơn vị",
    "categories": "Đối tượng",
    "admitted_on": "Ngày vào Đoàn",
    "cccd": "Số CCCD",
}
MEMBER_REQUIRED = ("full_name", "unit_code", "categories")
UNIT_COLUMNS: dict[str, str] = {
    "code": "Mã đơn vị",
    "name": "Tên đơn vị",
    "type": "Loại đơn vị",
    "parent_code": "Mã đơn vị cấp trên",
}
UNIT_REQUIRED = ("code", "name", "type")
HEADER_ALIASES = {
    "ma doan vien": "code",
    "ma thanh vien": "code",
    "ma": "code",
    "ho ten": "full_name",
    "ho va ten": "full_name",
    "ten": "full_name",
    "ngay sinh": "birth_date",
    "ngay thang nam sinh": "birth_date",
    "so dien thoai": "phone",
    "dien thoai": "phone",
    "sdt": "phone",
    "email": "email",
    "e-mail": "email",
    "ma don vi": "unit_code",
    "doi tuong": "categories",
    "ngay vao doan": "admitted_on",
    "ngay ket nap": "admitted_on",
    "so cccd": "cccd",
    "cccd": "cccd",
    "can cuoc cong dan": "cccd",
    "ten don vi": "name",
    "loai don vi": "type",
    "ma don vi cap tren": "parent_code",
}
MAX_ROWS = 50_000


@dataclass(frozen=True)
class RowProblem:
    row: int
    column: str  # the header as written in the template
    message: str  # English msgid with %(name)s placeholders
    params: Mapping[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class MemberRow:
    row: int
    full_name: str
    unit_code: str
    categories: tuple[str, ...]
    code: str | None = None
    birth_date: date | None = None
    phone: str | None = None
    email: str | None = None
    admitted_on: date | None = None
    cccd: str | None = None


@dataclass(frozen=True)
class UnitRow:
    row: int
    code: str
    name: str
    type: str
    parent_code: str | None = None


@dataclass(frozen=True)
class RosterFile:
    kind: str  # "members" or "units"
    rows: tuple[MemberRow | UnitRow, ...]
    problems: tuple[RowProblem, ...]


class UnreadableFile(ValueError):
    """The file is neither a readable CSV nor an XLSX workbook."""


def read_table(
    filename: str, content: bytes, limits: XlsxLimits | None = None
) -> list[list[object]]:
    """Rows of the first sheet (XLSX, within `limits`) or of the CSV (UTF-8 with or without
    BOM, , or ;). SpreadsheetRefused for a workbook over a limit."""
    if filename.lower().endswith(".xlsx") or content[:2] == b"PK":
        return read_rows(content, limits)
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise UnreadableFile("encoding") from exc
    first = text.split("\n", 1)[0]
    delimiter = ";" if first.count(";") > first.count(",") else ","
    return [list(r) for r in csv.reader(io.StringIO(text), delimiter=delimiter)]


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def parse_roster(
    kind: str, filename: str, content: bytes, limits: XlsxLimits | None = None
) -> RosterFile:
    """Read a roster file of `kind` ("members" or "units") into rows and problems."""
    columns = MEMBER_COLUMNS if kind == "members" else UNIT_COLUMNS
    required = MEMBER_REQUIRED if kind == "members" else UNIT_REQUIRED
    try:
        table = read_table(filename, content, limits)
    except SpreadsheetRefused as exc:
        return RosterFile(kind, (), (RowProblem(0, "", exc.message, exc.params),))
    except UnreadableFile:
        msg = N_("The file cannot be read: upload an XLSX workbook or a UTF-8 CSV file.")
        return RosterFile(kind, (), (RowProblem(0, "", msg),))
    table = [r for r in table if any(_cell(c) for c in r)] if table else []
    if not table:
        return RosterFile(kind, (), (RowProblem(1, "", N_("The file is empty.")),))
    aliases = HEADER_ALIASES if kind == "members" else {**HEADER_ALIASES, "ma don vi": "code"}
    header = [aliases.get(fold(_cell(h)).rstrip(" *"), "") for h in table[0]]
    problems: list[RowProblem] = []
    for key in required:
        if key not in header:
            problems.append(RowProblem(1, columns[key], N_("Required column is missing.")))
    if problems:
        return RosterFile(kind, (), tuple(problems))
    if len(table) - 1 > MAX_ROWS:
        msg = N_("The file has more than %(max)s rows; split it.")
        return RosterFile(kind, (), (RowProblem(0, "", msg, {"max": MAX_ROWS}),))
    rows: list[MemberRow | UnitRow] = []
    for index, raw in enumerate(table[1:], start=2):
        values = {k: _cell(raw[i]) if i < len(raw) else "" for i, k in enumerate(header) if k}
        raw_by_key = {k: raw[i] for i, k in enumerate(header) if k and i < len(raw)}
        parse = _member_row if kind == "members" else _unit_row
        row, row_problems = parse(index, values, raw_by_key)
        problems.extend(row_problems)
        if row is not None and not row_problems:
            rows.append(row)
    return RosterFile(kind, tuple(rows), tuple(problems))


def _date(values, raw, key, row, problems, columns) -> date | None:
    try:
        return parse_date(raw.get(key) if not isinstance(raw.get(key), str) else values.get(key))
    except ValueError:
        problems.append(
            RowProblem(
                row,
                columns[key],
                N_("“%(value)s” is not a date (use dd/mm/yyyy)."),
                {"value": values.get(key, "")},
            )
        )
        return None


def _member_row(row: int, values: dict, raw: dict) -> tuple[MemberRow | None, list[RowProblem]]:
    c = MEMBER_COLUMNS
    problems: list[RowProblem] = []
    name = clean_name(values.get("full_name", ""))
    if not name:
        problems.append(RowProblem(row, c["full_name"], N_("The name is missing.")))
    unit_code = values.get("unit_code", "")
    if not unit_code:
        problems.append(RowProblem(row, c["unit_code"], N_("The unit code is missing.")))
    cats: list[str] = []
    for part in values.get("categories", "").replace("|", ";").split(";"):
        if not part.strip():
            continue
        pop = ALIASES.get(fold(part))
        if pop is None:
            problems.append(
                RowProblem(
                    row,
                    c["categories"],
                    N_("Unknown population category “%(value)s”."),
                    {"value": part.strip()},
                )
            )
        elif pop.value not in cats:
            cats.append(pop.value)
    if not cats and not any(p.column == c["categories"] for p in problems):
        problems.append(RowProblem(row, c["categories"], N_("The population category is missing.")))
    birth = _date(values, raw, "birth_date", row, problems, c)
    admitted = _date(values, raw, "admitted_on", row, problems, c)
    phone = None
    if values.get("phone"):
        phone = normalise_phone(values["phone"])
        if phone is None:
            problems.append(
                RowProblem(
                    row,
                    c["phone"],
                    N_("“%(value)s” is not a phone number."),
                    {"value": values["phone"]},
                )
            )
    email = None
    if values.get("email"):
        email = normalise_email(values["email"])
        if email is None:
            problems.append(
                RowProblem(
                    row,
                    c["email"],
                    N_("“%(value)s” is not an e-mail address."),
                    {"value": values["email"]},
                )
            )
    cccd = values.get("cccd") or None
    if cccd and not (cccd.isdigit() and len(cccd) == 12):
        problems.append(RowProblem(row, c["cccd"], N_("A citizen ID has 12 digits.")))
    if admitted and Population.MEMBER.value not in cats and Population.CADRE.value not in cats:
        problems.append(
            RowProblem(
                row, c["admitted_on"], N_("An admission date is only for union members and cadres.")
            )
        )
    if problems:
        return None, problems
    return MemberRow(
        row=row,
        full_name=name,
        unit_code=unit_code,
        categories=tuple(cats),
        code=values.get("code") or None,
        birth_date=birth,
        phone=phone,
        email=email,
        admitted_on=admitted,
        cccd=cccd,
    ), []


def _unit_row(row: int, values: dict, raw: dict) -> tuple[UnitRow | None, list[RowProblem]]:
    c = UNIT_COLUMNS
    problems = [
        RowProblem(row, c[k], N_("This value is required."))
        for k in UNIT_REQUIRED
        if not values.get(k)
    ]
    if problems:
        return None, problems
    return UnitRow(
        row=row,
        code=values["code"],
        name=clean_name(values["name"]),
        type=values["type"],
        parent_code=values.get("parent_code") or None,
    ), []


def template_xlsx(kind: str) -> bytes:
    """An empty workbook with the Vietnamese headers and a sheet of instructions."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    columns = MEMBER_COLUMNS if kind == "members" else UNIT_COLUMNS
    required = MEMBER_REQUIRED if kind == "members" else UNIT_REQUIRED
    wb = Workbook()
    ws = wb.active
    ws.title = "Danh sách" if kind == "members" else "Đơn vị"
    ws.append([h + (" *" if k in required else "") for k, h in columns.items()])
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for i in range(len(columns)):
        ws.column_dimensions[chr(ord("A") + i)].width = 22
    help_ws = wb.create_sheet("Hướng dẫn")
    for line in TEMPLATE_HELP[kind]:
        help_ws.append([line])
    return _save(wb)


def rows_xlsx(kind: str, rows: list[list[object]]) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    from quizapp.exports import append_row

    columns = MEMBER_COLUMNS if kind == "members" else UNIT_COLUMNS
    wb = Workbook()
    ws = wb.active
    ws.title = "Danh sách" if kind == "members" else "Đơn vị"
    append_row(ws, columns.values())
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for r in rows:
        append_row(ws, r)
    return _save(wb)


def _save(wb) -> bytes:
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


TEMPLATE_HELP = {
    "members": [
        "Cột có dấu * là bắt buộc. Mỗi dòng là một người.",
        "Mã đoàn viên: mã riêng của người đó (nếu có); nhập lại tệp sẽ cập nhật theo mã này "
        "hoặc theo số điện thoại.",
        "Ngày sinh, Ngày vào Đoàn: dạng dd/mm/yyyy, ví dụ 05/09/2008.",
        "Số điện thoại: 10 chữ số, bắt đầu bằng 0 (có thể ghi +84).",
        "Mã đơn vị: mã của Chi đoàn/đơn vị trên hệ thống (xem trang Đơn vị).",
        "Đối tượng: một hoặc nhiều giá trị, ngăn cách bằng dấu chấm phẩy (;): Cán bộ Đoàn; "
        "Đoàn viên; Hội viên; Thanh niên; Thiếu niên, nhi đồng; Cán bộ, nhà giáo; "
        "Học sinh, sinh viên.",
        "Số CCCD: 12 chữ số, không bắt buộc; chỉ lưu dưới dạng mã băm để chống trùng lặp.",
        "Tệp CSV: mã hóa UTF-8 (có hoặc không có BOM), ngăn cách bằng dấu phẩy hoặc chấm phẩy.",
    ],
    "units": [
        "Cột có dấu * là bắt buộc. Mỗi dòng là một đơn vị.",
        "Mã đơn vị: duy nhất trên toàn hệ thống (chữ, số, dấu chấm, gạch ngang).",
        "Loại đơn vị: mã hoặc tên loại, ví dụ: Tỉnh Đoàn; Đoàn xã/phường; Đoàn cơ sở; Chi đoàn.",
        "Mã đơn vị cấp trên: để trống nếu là đơn vị gốc; đơn vị cấp trên có thể nằm trong cùng "
        "tệp (ở dòng phía trên) hoặc đã có trên hệ thống.",
    ],
}
