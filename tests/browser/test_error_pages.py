"""Error pages on a phone, in Vietnamese first: what a participant meets on a wrong or
outdated link reads in the interface's language and passes axe-core."""

import pytest

from tests.browser.conftest import no_horizontal_scroll

pytestmark = pytest.mark.browser

PAGES = [
    ("/khong-co-trang-nay", 404, "Trang này không tồn tại.", "This page does not exist."),
    ("/logout", 405, "Thao tác này không được phép ở đây.", "This action is not allowed here."),
]


def test_error_pages_read_in_the_interface_language(live_server, page, check_a11y):
    for path, status, vietnamese, english in PAGES:
        response = page.goto(live_server + path)
        assert response.status == status
        heading = page.locator("h1").inner_text()
        assert heading == vietnamese and english not in page.content()
        assert no_horizontal_scroll(page) and check_a11y(page) == [], path
    page.get_by_role("button", name="English").click()
    for path, _status, vietnamese, english in PAGES:
        page.goto(live_server + path)
        assert page.locator("h1").inner_text() == english
        assert vietnamese not in page.content()
