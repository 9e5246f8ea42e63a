"""Roster import through the pages: preview with row errors, fix, confirm, audit."""

import io

from sqlalchemy import func, select

from quizapp.audit.models import AuditEntry
from quizapp.orgs.models import Member
from tests.factories import make_unit
from tests.services.test_roster_import import GOOD, xlsx


def upload(client, content, name="ds.xlsx"):
    return client.post(
        "/org/import",
        data={"kind": "members", "file": (io.BytesIO(content), name)},
        content_type="multipart/form-data",
    )


def test_preview_shows_bad_row_then_fixed_file_imports(client, login_as, session):
    province = make_unit(session, "Tỉnh Đoàn", code="TD")
    ward = make_unit(
        session, "Đoàn phường Long Xuyên", parent=province, code="LX", type_key="commune"
    )
    make_unit(session, "Chi đoàn Mỹ Long", parent=ward, code="LX-ML")
    session.commit()
    login_as("organiser", ward)
    rows = [list(r) for r in GOOD]
    rows[1][2] = "32/13/1999"
    page = upload(client, xlsx(rows)).get_data(as_text=True)
    assert "Từ chối: 1" in page and "Ngày sinh" in page and "không phải là ngày" in page
    assert 'action="/org/import/confirm"' not in page
    assert session.scalar(select(func.count()).select_from(Member)) == 0
    page = upload(client, xlsx(GOOD)).get_data(as_text=True)
    assert "Tạo mới: 3" in page
    token = page.split('name="token" type="hidden" value="')[1].split('"')[0]
    resp = client.post("/org/import/confirm", data={"token": token})
    assert resp.status_code == 302
    assert session.scalar(select(func.count()).select_from(Member)) == 3
    assert session.scalar(
        select(AuditEntry.summary).where(AuditEntry.action == "import.members")
    ).startswith("ds.xlsx: +3")
    assert client.post("/org/import/confirm", data={"token": token}).status_code == 404
    again = upload(client, xlsx(GOOD)).get_data(as_text=True)
    assert "Không thay đổi: 3" in again and "Nothing to import" not in again


def test_export_roundtrips_through_import(client, login_as, session):
    from openpyxl import load_workbook

    province = make_unit(session, "Tỉnh Đoàn", code="TD")
    ward = make_unit(
        session, "Đoàn phường Long Xuyên", parent=province, code="LX", type_key="commune"
    )
    make_unit(session, "Chi đoàn Mỹ Long", parent=ward, code="LX-ML")
    session.commit()
    login_as("organiser", ward)
    token = (
        upload(client, xlsx(GOOD))
        .get_data(as_text=True)
        .split('name="token" type="hidden" value="')[1]
        .split('"')[0]
    )
    client.post("/org/import/confirm", data={"token": token})
    exported = client.get("/org/members/export.xlsx")
    assert exported.status_code == 200
    wb = load_workbook(io.BytesIO(exported.data))
    names = sorted(r[1] for r in wb.worksheets[0].iter_rows(min_row=2, values_only=True))
    assert names == ["Lê Minh Khoa", "Nguyễn Thị Lan", "Trần Văn Hùng"]
    again = upload(client, exported.data, "export.xlsx").get_data(as_text=True)
    assert "Không thay đổi: 3" in again


def test_pending_roster_keeps_no_citizen_id_in_plain_text(client, login_as, session):
    """Between preview and confirmation the upload is kept sealed (AES-GCM): the 12-digit
    citizen ID of the file is nowhere in the database, and confirming still imports it."""
    import csv

    from quizapp.orgs.models import PendingImport
    from tests.services.test_roster_import import HEADERS

    province = make_unit(session, "Tỉnh Đoàn", code="TD")
    ward = make_unit(
        session, "Đoàn phường Long Xuyên", parent=province, code="LX", type_key="commune"
    )
    make_unit(session, "Chi đoàn Mỹ Long", parent=ward, code="LX-ML")
    session.commit()
    login_as("organiser", ward)
    buf = io.StringIO()
    csv.writer(buf).writerows([HEADERS, *GOOD])
    page = upload(client, buf.getvalue().encode(), "ds.csv").get_data(as_text=True)
    assert "Tạo mới: 3" in page
    stored = session.scalar(select(PendingImport.content))
    assert b"012345678901" not in stored and b"Tr\xe1\xba\xa7n" not in stored
    token = page.split('name="token" type="hidden" value="')[1].split('"')[0]
    assert client.post("/org/import/confirm", data={"token": token}).status_code == 302
    hung = session.scalar(select(Member).where(Member.code == "DV002"))
    assert hung.cccd_hash and "012345678901" not in hung.cccd_hash
