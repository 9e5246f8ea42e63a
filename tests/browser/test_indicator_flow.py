"""The provincial organiser's indicator dashboard at phone and desktop size: drill-down
from the province to a commune through the "units below" table; axe-core on each page."""

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import no_horizontal_scroll

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def plans(live_app, live_clock):

    from quizapp.extensions import db
    from quizapp.indicators.services import load_shipped

    with live_app.app_context():
        load_shipped(db.session, live_clock.now())
        db.session.commit()


@pytest.mark.parametrize("size", [(390, 844), (1280, 900)], ids=["phone", "desktop"])
def test_dashboard_drill_down(live_server, plans, browser, check_a11y, size):
    context = browser.new_context(viewport={"width": size[0], "height": size[1]}, locale="vi-VN")
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        page.goto(live_server + "/login")
        page.fill("#identifier", "tinhdoan@quizapp.local")
        page.fill("#password", "quizapp2026")
        page.locator("main form button[type=submit]").click()
        page.wait_for_url(lambda url: "/login" not in url)
        page.goto(f"{live_server}/org/indicators?plan=an-giang-311")
        expect(page.locator("h1")).to_contain_text("Tỉnh Đoàn An Giang")
        first = page.locator("li.indicator", has_text="1.6 / 2.6").first
        expect(first.locator(".status").first).to_be_visible()
        assert check_a11y(page) == [] and no_horizontal_scroll(page)
        first.locator("details summary").first.click()
        link = first.locator("details table a").first
        commune = link.inner_text()
        link.click()
        page.wait_for_url("**unit=*")
        expect(page.locator("h1")).to_contain_text(commune)
        expect(page.locator("nav.crumbs")).to_contain_text("Tỉnh Đoàn An Giang")
        assert check_a11y(page) == [] and no_horizontal_scroll(page)
    finally:
        context.close()
