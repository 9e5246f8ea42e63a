"""An organiser on a phone imports a roster with one bad row, sees the row, fixes it, imports."""

import io

import pytest
from openpyxl import Workbook

from quizapp.orgs.roster import MEMBER_COLUMNS
from tests.browser.conftest import no_horizontal_scroll

pytestmark = pytest.mark.browser


def roster(tmp_path, birth: str):
    wb = Workbook()
    ws = wb.active
    ws.append(list(MEMBER_COLUMNS.values()))
    ws.append(
        [
            "NEW001",
            "Trịnh Thị Kiều",
            "02/02/2008",
            "0977000001",
            "",
            "AG-LX-ML",
            "Đoàn viên",
            "26/03/2026",
            "",
        ]
    )
    ws.append(["NEW002", "Đinh Văn Lộc", birth, "0977000002", "", "AG-LX-MB", "Thanh niên", "", ""])
    buf = io.BytesIO()
    wb.save(buf)
    path = tmp_path / "danh-sach.xlsx"
    path.write_bytes(buf.getvalue())
    return path


def test_import_with_bad_row_then_fixed(live_server, page, check_a11y, tmp_path):
    page.goto(live_server + "/login")
    page.get_by_label("Số điện thoại hoặc email").fill("longxuyen@quizapp.local")
    page.get_by_label("Mật khẩu").fill("quizapp2026")
    page.get_by_role("button", name="Đăng nhập").click()
    page.wait_for_url("**/org")
    assert check_a11y(page) == []
    page.get_by_role("link", name="Nhập từ tệp").first.click()
    assert check_a11y(page) == [] and no_horizontal_scroll(page)

    page.set_input_files("#file", str(roster(tmp_path, "30/02/2008")))
    page.get_by_role("button", name="Kiểm tra tệp").click()
    row = page.locator("table.problems tbody tr")
    assert row.count() == 1
    cells = row.first.locator("td").all_inner_texts()
    assert cells[0] == "3" and cells[1] == "Ngày sinh" and "30/02/2008" in cells[2]
    assert page.get_by_role("button", name="Nhập", exact=True).count() == 0
    assert check_a11y(page) == [] and no_horizontal_scroll(page)

    page.get_by_role("link", name="Tải lên tệp đã sửa").click()
    page.set_input_files("#file", str(roster(tmp_path, "28/02/2008")))
    page.get_by_role("button", name="Kiểm tra tệp").click()
    assert "Tạo mới: 2" in page.content()
    page.get_by_role("button", name="Nhập", exact=True).click()
    page.wait_for_url("**/org/members")
    assert "Nhập xong" in page.content() or "2" in page.locator(".flash").first.inner_text()
    page.get_by_label("Tìm theo tên, số điện thoại hoặc mã").fill("dinh van loc")
    page.get_by_role("button", name="Lọc").click()
    assert "Đinh Văn Lộc" in page.content()
    assert check_a11y(page) == [] and no_horizontal_scroll(page)
