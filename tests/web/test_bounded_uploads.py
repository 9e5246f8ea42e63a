"""Bombs through the real upload pages: a clear message naming the limit, nothing stored,
and a 413 page for a body over the upload limit."""

import io

from tests.factories import make_unit
from tests.unit.test_bounded_imports import png_bomb, rows_sheet, workbook_with_sheet
from tests.web.test_bank_pages import bank  # noqa: F401  (fixture)

DIMENSION_BOMB = workbook_with_sheet(rows_sheet(2, dimension="A1:XFD1048576"))


def test_roster_import_refuses_a_declared_huge_sheet(client, login_as, session):
    unit = make_unit(session, "Tỉnh Đoàn", code="TD")
    session.commit()
    login_as("organiser", unit)
    page = client.post(
        "/org/import",
        data={"kind": "members", "file": (io.BytesIO(DIMENSION_BOMB), "ds.xlsx")},
        content_type="multipart/form-data",
    ).get_data(as_text=True)
    assert "1048576" in page and "50000" in page and "Bảng tính khai báo" in page
    assert 'action="/org/import/confirm"' not in page


def test_bank_import_refuses_a_declared_huge_sheet(client, login_as, bank):  # noqa: F811
    login_as("organiser", bank.owner_unit)
    page = client.post(
        "/org/banks/import",
        data={
            "file": (io.BytesIO(DIMENSION_BOMB), "cau-hoi.xlsx"),
            "format": "auto",
            "bank_id": str(bank.id),
            "owner_unit_id": str(bank.owner_unit_id),
        },
        content_type="multipart/form-data",
    ).get_data(as_text=True)
    assert "1048576" in page and "Bảng tính khai báo" in page
    assert 'action="/org/banks/import/confirm"' not in page


def test_unit_image_pixel_bomb_is_refused(app, client, login_as, session):
    unit = make_unit(session, "Tỉnh Đoàn", code="TD")
    session.commit()
    login_as("organiser", unit)
    resp = client.post(
        f"/org/units/{unit.id}/images",
        data={"logo": (io.BytesIO(png_bomb(20_000, 20_000)), "logo.png")},
        content_type="multipart/form-data",
    )
    page = resp.get_data(as_text=True)
    assert resp.status_code == 200 and "25000000" in page and "điểm ảnh" in page


def test_a_body_over_the_upload_limit_is_a_413_page(app, client, login_as, session):
    unit = make_unit(session, "Tỉnh Đoàn", code="TD")
    session.commit()
    login_as("organiser", unit)
    app.config["MAX_CONTENT_LENGTH"] = 10_000
    resp = client.post(
        "/org/import",
        data={"kind": "members", "file": (io.BytesIO(b"x" * 20_000), "ds.csv")},
        content_type="multipart/form-data",
    )
    assert resp.status_code == 413 and "<html" in resp.get_data(as_text=True).lower()
