"""A member registers on a phone by walking the unit tree, logs in and out (axe on every page)."""

import pytest

from tests.browser.conftest import no_horizontal_scroll

pytestmark = pytest.mark.browser


def visit_ok(page, check_a11y, seen):
    assert no_horizontal_scroll(page), page.url
    violations = check_a11y(page)
    assert violations == [], (page.url, violations)
    seen.append(page.url)


def test_register_walk_tree_login_logout(live_server, page, check_a11y):
    seen = []
    page.goto(live_server + "/")
    visit_ok(page, check_a11y, seen)
    page.get_by_role("link", name="Đăng ký").first.click()
    page.wait_for_selector("#unit-level-0")
    visit_ok(page, check_a11y, seen)

    page.get_by_label("Họ và tên").fill("Võ Thị Ngọc Ánh")
    page.get_by_label("Ngày sinh").fill("2005-04-30")
    page.get_by_label("Số điện thoại").fill("0933 111 222")
    page.get_by_label("Mật khẩu (ít nhất 8 ký tự)").fill("hoa sen 2026")
    # Walk the tree: province → ward → branch, whatever the depth.
    page.select_option("#unit-level-0", label="Tỉnh Đoàn An Giang (Tỉnh Đoàn)")
    page.wait_for_selector("#unit-level-1")
    page.select_option("#unit-level-1", label="Đoàn phường Long Xuyên (Đoàn xã, phường, đặc khu)")
    page.wait_for_selector("#unit-level-2")
    page.select_option("#unit-level-2", label="Chi đoàn khu phố Mỹ Long (Chi đoàn)")
    assert "Chi đoàn khu phố Mỹ Long" in page.locator("#unit-chosen").inner_text()
    page.get_by_label("Thanh niên", exact=True).check()
    page.get_by_label("Tôi đồng ý cho phép xử lý dữ liệu cá nhân", exact=False).check()
    page.get_by_role("button", name="Đăng ký").click()

    # Registered and logged in at once, back on the page the visitor came from.
    page.wait_for_url(live_server + "/")
    assert "Chào mừng bạn! Tài khoản đã sẵn sàng và bạn đã đăng nhập." in page.content()
    assert "Võ Thị Ngọc Ánh" in page.content()
    page.get_by_role("button", name="Đăng xuất").click()
    page.wait_for_url(live_server + "/")
    page.get_by_role("link", name="Đăng nhập").first.click()
    page.wait_for_url("**/login")
    visit_ok(page, check_a11y, seen)
    page.get_by_label("Số điện thoại hoặc email").fill("0933111222")
    page.get_by_label("Mật khẩu").fill("hoa sen 2026")
    page.get_by_role("button", name="Đăng nhập").click()
    page.wait_for_url(live_server + "/")
    assert "Võ Thị Ngọc Ánh" in page.content()
    visit_ok(page, check_a11y, seen)
    page.get_by_role("link", name="Tài khoản của tôi").first.click()
    assert "Chi đoàn khu phố Mỹ Long" in page.content()
    visit_ok(page, check_a11y, seen)

    page.get_by_role("button", name="Đăng xuất").click()
    page.wait_for_url(live_server + "/")
    assert page.get_by_role("link", name="Đăng nhập").first.is_visible()
    page.goto(live_server + "/me")
    assert "/login" in page.url
    assert len(seen) == 5


def test_search_finds_unit_without_diacritics(live_server, page):
    page.goto(live_server + "/register")
    page.get_by_label("Tìm đơn vị của bạn").fill("thoai ngoc hau")
    page.get_by_role("button", name="Đoàn trường THPT chuyên Thoại Ngọc Hầu", exact=False).click()
    assert "Thoại Ngọc Hầu" in page.locator("#unit-chosen").inner_text()
