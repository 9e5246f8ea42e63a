"""Taking a round on a phone: start to finish, losing the connection half-way, and the
countdown submitting the attempt; axe-core on every quiz page."""

import itertools
from datetime import timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from tests.browser.conftest import no_horizontal_scroll

pytestmark = pytest.mark.browser
_phones = itertools.count(1)


@pytest.fixture(scope="module")
def contests(live_app, live_clock):
    """Two published contests of the demo province: one question per screen, and all on one
    page; 4 questions each, 10 minutes, answers shown immediately."""
    from quizapp.extensions import db
    from quizapp.orgs.models import Unit
    from tests.contest_helpers import make_bank, make_contest

    now = live_clock.now()
    with live_app.app_context():
        province = db.session.scalar(select(Unit).where(Unit.code == "AG"))
        bank = make_bank(db.session, province, now, key="bank-browser")
        screen = make_contest(db.session, province, bank, now, count=4)
        onepage = make_contest(db.session, province, bank, now, count=4)
        onepage.one_page = True
        db.session.commit()
        return {"screen": screen.slug, "onepage": onepage.slug}


def new_member(live_app) -> str:
    """A fresh member of Chi đoàn khu phố Mỹ Long with an account; returns the phone."""
    from quizapp.auth.models import User
    from quizapp.auth.services import hash_password
    from quizapp.extensions import db
    from quizapp.orgs.members import MemberData, create_member
    from quizapp.orgs.models import Unit
    from quizapp.policy import SYSTEM

    phone = f"0966{next(_phones):06d}"
    with live_app.app_context():
        unit = db.session.scalar(select(Unit).where(Unit.code == "AG-LX-ML"))
        m = create_member(
            db.session,
            MemberData(
                full_name="Lâm Thị Thu", unit_id=unit.id, categories=("youth",), phone=phone
            ),
            actor=SYSTEM,
            pii_key="browser",
            now=live_app.extensions["quizapp_clock"].now(),
        )
        db.session.add(
            User(
                display_name=m.full_name,
                phone=phone,
                member_id=m.id,
                password_hash=hash_password("quizapp2026"),
            )
        )
        db.session.commit()
    return phone


def login(page, base, phone):
    page.goto(base + "/login")
    page.fill("#identifier", phone)
    page.fill("#password", "quizapp2026")
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(base + "/")


def start(page, base, slug):
    page.goto(f"{base}/c/{slug}")
    page.locator("main form button[type=submit]").first.click()
    page.wait_for_url("**/attempts/*")


def choose_first_option(page, pos):
    page.locator(f".slot[data-position='{pos}'] label.option").first.click()


def test_take_a_round_start_to_finish(live_server, live_app, contests, page, check_a11y):
    page.on("dialog", lambda d: d.accept())
    login(page, live_server, new_member(live_app))
    page.goto(f"{live_server}/c/{contests['screen']}")
    assert check_a11y(page) == []
    start(page, live_server, contests["screen"])
    assert check_a11y(page) == [] and no_horizontal_scroll(page)
    for pos in range(1, 5):
        expect(page.locator(".qhead")).to_contain_text(f"Câu {pos}/4")
        choose_first_option(page, pos)
        expect(page.locator(f".slot[data-position='{pos}'] [data-state]")).to_have_text("Đã lưu")
        if pos < 4:
            page.locator(f"button[name=go][value='{pos + 1}']").first.click()
    page.locator("button[name=go][value=review]").first.click()
    page.wait_for_url("**/review")
    assert check_a11y(page) == [] and no_horizontal_scroll(page)
    page.fill("#prediction", "25")
    page.locator("#submit-form button[type=submit]").click()
    page.wait_for_url("**/result")
    expect(page.locator(".result .big")).to_contain_text("/4")
    assert check_a11y(page) == [] and no_horizontal_scroll(page)


def test_offline_half_way_loses_nothing(live_server, live_app, contests, page, browser):
    login(page, live_server, new_member(live_app))
    start(page, live_server, contests["onepage"])
    choose_first_option(page, 1)
    expect(page.locator(".slot[data-position='1'] [data-state]")).to_have_text("Đã lưu")
    page.context.set_offline(True)
    choose_first_option(page, 2)
    page.locator(".slot[data-position='3'] label.option").nth(1).click()
    expect(page.locator(".slot[data-position='2'] [data-state]")).to_have_text("Chưa lưu")
    expect(page.locator("#conn")).to_be_visible()
    page.context.set_offline(False)
    page.evaluate("window.dispatchEvent(new Event('online'))")
    expect(page.locator(".slot[data-position='2'] [data-state]")).to_have_text(
        "Đã lưu", timeout=15_000
    )
    expect(page.locator(".slot[data-position='3'] [data-state]")).to_have_text("Đã lưu")
    page.evaluate("localStorage.clear()")  # the reload must come from the server alone
    page.reload()
    for pos, nth in ((1, 0), (2, 0), (3, 1)):
        radio = page.locator(f".slot[data-position='{pos}'] input[type=radio]").nth(nth)
        expect(radio).to_be_checked()
    expect(page.locator(".slot[data-position='4'] [data-state]")).to_have_text("Chưa lưu")


def test_countdown_reaching_zero_submits(
    live_server, live_app, live_clock, contests, page, check_a11y
):
    from quizapp.contests.models import Attempt
    from quizapp.extensions import db

    login(page, live_server, new_member(live_app))
    start(page, live_server, contests["screen"])
    choose_first_option(page, 1)
    expect(page.locator(".slot[data-position='1'] [data-state]")).to_have_text("Đã lưu")
    attempt_id = int(page.url.rstrip("/").split("/")[-1].split("?")[0])
    with live_app.app_context():
        attempt = db.session.get(Attempt, attempt_id)
        attempt.deadline_at = live_clock.now() + timedelta(seconds=3)
        db.session.commit()
    page.reload()
    page.wait_for_url("**/result", timeout=15_000)
    expect(page.locator(".result .big")).to_contain_text("/4")
    with live_app.app_context():
        attempt = db.session.get(Attempt, attempt_id)
        assert attempt.status == "submitted" and attempt.questions[0].response is not None
