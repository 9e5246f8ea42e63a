"""Roster import: preview, all-or-nothing, idempotent re-import, CSV with BOM, units files."""

import io

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from quizapp.errors import Invalid
from quizapp.orgs.importing import apply_import, plan_import
from quizapp.orgs.models import Member, Unit
from quizapp.orgs.roster import MEMBER_COLUMNS, parse_roster, template_xlsx
from quizapp.policy import SYSTEM, Actor
from tests.factories import make_member, make_unit

HEADERS = list(MEMBER_COLUMNS.values())
KEY = "test-pii-key"


def xlsx(rows, headers=HEADERS) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.append(headers)
    for r in rows:
        ws.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


@pytest.fixture()
def units(session):
    province = make_unit(session, "Tỉnh Đoàn", code="TD")
    ward = make_unit(
        session, "Đoàn phường Long Xuyên", parent=province, code="LX", type_key="commune"
    )
    branch = make_unit(session, "Chi đoàn Mỹ Long", parent=ward, code="LX-ML")
    other = make_unit(session, "Đoàn xã khác", parent=province, code="XK", type_key="commune")
    return province, ward, branch, other


GOOD = [
    [
        "DV001",
        "Nguyễn Thị Lan",
        "05/09/2008",
        "0912 345 001",
        "lan@example.vn",
        "LX-ML",
        "Đoàn viên; Học sinh, sinh viên",
        "26/03/2024",
        "",
    ],
    [
        "DV002",
        "Trần Văn Hùng",
        "12/01/1999",
        "+84912345002",
        "",
        "LX-ML",
        "Cán bộ Đoàn; Đoàn viên",
        "",
        "012345678901",
    ],
    ["", "Lê Minh Khoa", "", "0912345003", "", "LX", "thanh nien", "", ""],
]


def members_count(session):
    return session.scalar(select(func.count()).select_from(Member))


def test_valid_file_previews_then_imports(session, units, now):
    plan = plan_import(session, "members", "ds.xlsx", xlsx(GOOD), actor=SYSTEM, pii_key=KEY)
    assert plan.ok and len(plan.creates) == 3 and members_count(session) == 0
    apply_import(session, "members", "ds.xlsx", xlsx(GOOD), actor=SYSTEM, pii_key=KEY, now=now)
    lan = session.scalar(select(Member).where(Member.code == "DV001"))
    assert lan.phone == "0912345001" and lan.unit.code == "LX-ML"
    assert lan.population == {"member", "pupil"} and lan.admitted_on.year == 2024
    hung = session.scalar(select(Member).where(Member.code == "DV002"))
    assert hung.cccd_hash and "012345678901" not in hung.cccd_hash
    assert members_count(session) == 3


def test_bad_rows_are_each_reported_and_nothing_is_written(session, units, now):
    make_member(session, units[2], "Đã có", phone="0912999999", code="DV999")
    bad = GOOD + [
        ["DV010", "Phạm Văn Bình", "31/02/2008", "0912345010", "", "LX-ML", "Đoàn viên", "", ""],
        ["DV011", "Võ Thị Hoa", "01/01/2008", "0912345011", "", "KHONG-CO", "Đoàn viên", "", ""],
        ["DV012", "Đặng Văn Tú", "01/01/2008", "0912345001", "", "LX-ML", "Đoàn viên", "", ""],
        ["DV013", "", "01/01/2008", "0912345013", "", "LX-ML", "Đoàn viên", "", ""],
        ["DV014", "Hồ Thị Mai", "01/01/2008", "0912345014", "", "LX-ML", "Sinh viên năm 5", "", ""],
        ["DV015", "Bùi Văn An", "01/01/2008", "12345", "", "LX-ML", "Thanh niên", "", ""],
        ["DV016", "Ngô Văn Tâm", "01/01/2008", "0912999999", "", "LX-ML", "Thanh niên", "", ""],
    ]
    content = xlsx(bad)
    plan = plan_import(session, "members", "ds.xlsx", content, actor=SYSTEM, pii_key=KEY)
    found = {(p.row, p.column) for p in plan.problems}
    assert found == {
        (5, "Ngày sinh"),  # 31/02 is no date
        (6, "Mã đơn vị"),  # unknown unit code
        (7, "Số điện thoại"),  # duplicate of row 2 in the same file
        (8, "Họ và tên"),  # missing name
        (9, "Đối tượng"),  # unknown population category
        (10, "Số điện thoại"),  # not a phone number
        (11, "Số điện thoại"),  # used by a member already saved
    }
    dup = next(p for p in plan.problems if p.row == 7)
    assert dup.params == {"first": 2}
    with pytest.raises(Invalid):
        apply_import(session, "members", "ds.xlsx", content, actor=SYSTEM, pii_key=KEY, now=now)
    assert members_count(session) == 1  # only the member made by the test


def test_reimport_changes_nothing_and_updates_are_detected(session, units, now):
    content = xlsx(GOOD)
    apply_import(session, "members", "ds.xlsx", content, actor=SYSTEM, pii_key=KEY, now=now)
    again = plan_import(session, "members", "ds.xlsx", content, actor=SYSTEM, pii_key=KEY)
    assert (len(again.creates), len(again.updates), again.unchanged) == (0, 0, 3)
    apply_import(session, "members", "ds.xlsx", content, actor=SYSTEM, pii_key=KEY, now=now)
    assert members_count(session) == 3
    changed = [list(r) for r in GOOD]
    changed[2][1] = "Lê Minh Khoa Nam"  # matched by phone (no code)
    changed[0][5] = "LX"  # moved to the ward
    plan = plan_import(session, "members", "ds.xlsx", xlsx(changed), actor=SYSTEM, pii_key=KEY)
    assert {r.row: set(c) for r, c in plan.updates} == {2: {"unit_id"}, 4: {"full_name"}}
    apply_import(session, "members", "ds.xlsx", xlsx(changed), actor=SYSTEM, pii_key=KEY, now=now)
    assert session.scalar(select(Member).where(Member.code == "DV001")).unit.code == "LX"
    assert members_count(session) == 3


def test_csv_with_bom_and_semicolons(session, units, now):
    lines = [";".join(HEADERS)] + [";".join(f'"{c}"' for c in row) for row in GOOD]
    content = ("\ufeff" + "\r\n".join(lines)).encode("utf-8")
    plan = plan_import(session, "members", "ds.csv", content, actor=SYSTEM, pii_key=KEY)
    assert plan.ok and len(plan.creates) == 3
    plain = "\n".join(",".join(f'"{c}"' for c in r) for r in [HEADERS] + GOOD).encode()
    assert plan_import(session, "members", "ds.csv", plain, actor=SYSTEM, pii_key=KEY).ok


def test_headers_without_diacritics_and_missing_required_column():
    ascii_headers = [
        "Ma doan vien",
        "Ho va ten",
        "Ngay sinh",
        "So dien thoai",
        "Email",
        "Ma don vi",
        "Doi tuong",
        "Ngay vao Doan",
        "So CCCD",
    ]
    parsed = parse_roster("members", "x.xlsx", xlsx(GOOD, ascii_headers))
    assert not parsed.problems and len(parsed.rows) == 3
    missing = parse_roster("members", "x.xlsx", xlsx([["A"]], ["Họ và tên"]))
    assert {(p.row, p.column) for p in missing.problems} == {(1, "Mã đơn vị"), (1, "Đối tượng")}
    assert parse_roster("members", "x.csv", b"\xff\xfe garbage").problems


def test_organiser_cannot_import_into_other_units(session, units):
    _p, ward, _branch, other = units
    rows = [["", "Người ngoài", "", "0912000777", "", "XK", "Thanh niên", "", ""]]
    plan = plan_import(
        session,
        "members",
        "x.xlsx",
        xlsx(rows),
        actor=Actor(user_id=None, managed_paths=(ward.path,)),
        pii_key=KEY,
    )
    assert [(p.row, p.column) for p in plan.problems] == [(2, "Mã đơn vị")]


def test_units_file_builds_a_nested_tree(session, units, now):
    headers = ["Mã đơn vị", "Tên đơn vị", "Loại đơn vị", "Mã đơn vị cấp trên"]
    rows = [
        ["LX-MB", "Chi đoàn Mỹ Bình", "Chi đoàn", "LX"],
        ["LX-MB-1", "Tổ 1", "branch", "LX-MB"],
        ["LX-ML", "Chi đoàn Mỹ Long (đổi tên)", "Chi đoàn", "LX"],
    ]
    content = xlsx(rows, headers)
    plan = plan_import(session, "units", "dv.xlsx", content, actor=SYSTEM, pii_key=KEY)
    assert plan.ok and len(plan.creates) == 2 and len(plan.updates) == 1
    apply_import(session, "units", "dv.xlsx", content, actor=SYSTEM, pii_key=KEY, now=now)
    leaf = session.scalar(select(Unit).where(Unit.code == "LX-MB-1"))
    assert leaf.parent.code == "LX-MB" and leaf.depth == 3
    again = plan_import(session, "units", "dv.xlsx", content, actor=SYSTEM, pii_key=KEY)
    assert again.unchanged == 3 and not again.creates and not again.updates
    bad = plan_import(
        session,
        "units",
        "dv.xlsx",
        xlsx([["Z", "Z", "Không biết", "NOPE"]], headers),
        actor=SYSTEM,
        pii_key=KEY,
    )
    assert {(p.row, p.column) for p in bad.problems} == {
        (2, "Loại đơn vị"),
        (2, "Mã đơn vị cấp trên"),
    }


def test_template_has_vietnamese_headers():
    from openpyxl import load_workbook

    wb = load_workbook(io.BytesIO(template_xlsx("members")))
    headers = [c.value for c in wb.worksheets[0][1]]
    assert headers[1] == "Họ và tên *" and "Hướng dẫn" in wb.sheetnames
    parsed = parse_roster("members", "t.xlsx", template_xlsx("members"))
    assert not parsed.problems or parsed.problems[0].message == "The file is empty."
