"""An organiser on a phone imports a GIFT file with one error, sees the line, fixes it,
imports, edits a question and sees the live preview."""

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import no_horizontal_scroll

pytestmark = pytest.mark.browser

GIFT = """// Câu hỏi thử
$CATEGORY: An ninh mạng/Chương I

::HL:: Luật An ninh mạng 2025 có hiệu lực từ ngày nào? {
=01/7/2026
~10/12/2025
~01/01/2026
}

::CT:: Lực lượng chuyên trách bảo vệ an ninh mạng được bố trí tại Bộ Công an và Bộ Quốc phòng. {T}
"""
BROKEN = GIFT.replace("~01/01/2026\n}", "~01/01/2026\n")


def login(page, base):
    page.goto(base + "/login")
    page.fill("#identifier", "tinhdoan@quizapp.local")
    page.fill("#password", "quizapp2026")
    page.locator("main form button[type=submit]").last.click()
    page.wait_for_url("**/org")


def test_gift_import_fix_edit_preview(live_server, page, check_a11y, tmp_path):
    login(page, live_server)
    page.goto(live_server + "/org/banks/new")
    page.fill("#title", "Ngân hàng thử trên điện thoại")
    page.locator("main form button[type=submit]").last.click()
    page.wait_for_url("**/org/banks/*")
    bank_url = page.url

    bad = tmp_path / "cau-hoi.gift"
    bad.write_text(BROKEN, encoding="utf-8")
    page.goto(bank_url.replace("/org/banks/", "/org/banks/import?bank="))
    page.set_input_files("#file", str(bad))
    page.locator("main form button[type=submit]").last.click()
    rows = page.locator("table.problems tbody tr.error")
    assert rows.count() == 1
    cells = rows.first.locator("td").all_inner_texts()
    assert cells[0].strip() == "4" and cells[1] == "HL"
    assert page.locator("form[action$='/import/confirm']").count() == 0
    assert check_a11y(page) == [] and no_horizontal_scroll(page)

    good = tmp_path / "cau-hoi-sua.gift"
    good.write_text(GIFT, encoding="utf-8")
    page.goto(bank_url.replace("/org/banks/", "/org/banks/import?bank="))
    page.set_input_files("#file", str(good))
    page.locator("main form button[type=submit]").last.click()
    page.locator("form[action$='/import/confirm'] button[type=submit]").click()
    page.wait_for_url(bank_url)
    assert check_a11y(page) == [] and no_horizontal_scroll(page)

    # Search without diacritics, open the question, edit it and watch the preview.
    page.fill("#q", "hieu luc")
    page.locator("form[role=search] button[type=submit]").click()
    items = page.locator("ol.qlist li")
    assert items.count() == 1
    items.first.locator("a").first.click()
    page.wait_for_selector("#editor")
    page.fill("#option_text_2", "15/8/2026")
    expect(page.locator("#preview")).to_contain_text("15/8/2026")
    assert page.locator("#preview input[type=radio]").count() == 3
    assert check_a11y(page) == []
    page.locator("#editor button[type=submit]").click()
    page.wait_for_selector(".flash-success")
    assert "2" in page.locator("main p.muted").first.inner_text()  # key hl, version 2
