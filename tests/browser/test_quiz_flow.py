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


def state(page, pos):
    return page.locator(f".slot[data-position='{pos}'] [data-state]")


def test_take_a_round_start_to_finish(live_server, live_app, contests, page, check_a11y):
    page.on("dialog", lambda d: d.accept())
    login(page, live_server, new_member(live_app))
    page.goto(f"{live_server}/c/{contests['screen']}")
    assert check_a11y(page) == []
    start(page, live_server, contests["screen"])
    assert check_a11y(page) == [] and no_horizontal_scroll(page)
    assert page.locator("nav[aria-label='Menu chính']").count() == 0  # no site menu
    for pos in range(1, 5):
        expect(page.locator(".slot:visible .qhead")).to_contain_text(f"Câu {pos}/4")
        expect(state(page, pos)).to_have_text("Chưa trả lời")
        choose_first_option(page, pos)
        expect(state(page, pos)).to_have_text("Đã lưu")
        nav = page.locator(f"[data-nav='{pos}']")
        expect(nav).to_have_attribute("aria-label", f"Câu {pos}: đã trả lời")
        if pos < 4:
            page.locator("button[data-step='1']").click()
    page.locator("#quiz button[name=go][value=review]").click()
    expect(page.locator("#review-panel")).to_be_visible()
    expect(page.locator("[data-all-answered]")).to_be_visible()
    assert check_a11y(page) == [] and no_horizontal_scroll(page)
    page.fill("#prediction", "25")
    page.locator("#submit-form button[type=submit]").click()
    page.wait_for_url("**/result")
    expect(page.locator(".result .big")).to_contain_text("/4")
    assert check_a11y(page) == [] and no_horizontal_scroll(page)


def test_the_review_page_submits_too(live_server, live_app, contests, page):
    """The review page (the path without JavaScript, or a link to it) submits with the
    script on as well."""
    page.on("dialog", lambda d: d.accept())
    login(page, live_server, new_member(live_app))
    start(page, live_server, contests["screen"])
    choose_first_option(page, 1)
    expect(state(page, 1)).to_have_text("Đã lưu")
    page.goto(f"{live_server}/attempts/{attempt_of(page)}/review")
    page.locator("#submit-form button[type=submit]").click()
    page.wait_for_url("**/result")
    expect(page.locator(".result .big")).to_contain_text("/4")


def test_offline_half_way_loses_nothing(live_server, live_app, contests, page, browser):
    login(page, live_server, new_member(live_app))
    start(page, live_server, contests["onepage"])
    choose_first_option(page, 1)
    expect(state(page, 1)).to_have_text("Đã lưu")
    page.context.set_offline(True)
    choose_first_option(page, 2)
    page.locator(".slot[data-position='3'] label.option").nth(1).click()
    expect(state(page, 2)).to_have_text("Đang chờ gửi")
    expect(page.locator("#conn")).to_be_visible()
    page.context.set_offline(False)
    page.evaluate("window.dispatchEvent(new Event('online'))")
    expect(state(page, 2)).to_have_text("Đã lưu", timeout=15_000)
    expect(state(page, 3)).to_have_text("Đã lưu")
    page.evaluate("localStorage.clear()")  # the reload must come from the server alone
    page.reload()
    for pos, nth in ((1, 0), (2, 0), (3, 1)):
        radio = page.locator(f".slot[data-position='{pos}'] input[type=radio]").nth(nth)
        expect(radio).to_be_checked()
    expect(state(page, 4)).to_have_text("Chưa trả lời")


def wait_for_service_worker(page):
    """Until the service worker controls the page (wait_for_function would need eval,
    which the site's CSP refuses). Once in a few full-suite runs, Chromium has the worker
    installed and active without its clients.claim() reaching this page within 10 s; the
    page is then loaded again, as the phone's next visit would be, and must be controlled."""
    for attempt in range(2):
        for _ in range(100):
            if page.evaluate("navigator.serviceWorker.controller !== null"):
                return
            page.wait_for_timeout(100)
        if attempt == 0:
            page.reload()
    raise AssertionError("no service worker")


def go_offline(context, page):
    """Offline, and sure of it: a request from the page (through its service worker, which
    the emulation reaches a moment later than the page) fails."""
    context.set_offline(True)
    for _ in range(50):
        probe = (
            "fetch('/healthz', {cache: 'no-store', signal: AbortSignal.timeout(2000)})"
            ".then(() => true, () => false)"
        )
        if not page.evaluate(probe):
            return
        page.wait_for_timeout(100)
    raise AssertionError("still online")


def attempt_of(page) -> int:
    return int(page.url.split("/attempts/")[1].split("?")[0].split("/")[0])


def stored_answers(live_app, attempt_id):
    from quizapp.contests.models import Attempt
    from quizapp.extensions import db

    with live_app.app_context():
        attempt = db.session.get(Attempt, attempt_id)
        return attempt.status, {q.position: q.response for q in attempt.questions if q.response}


@pytest.mark.parametrize("size", [(390, 844), (360, 640)])
def test_the_whole_attempt_offline_then_submitted_when_the_network_returns(
    live_server, live_app, contests, browser, check_a11y, size
):
    context = browser.new_context(
        viewport={"width": size[0], "height": size[1]}, is_mobile=True, has_touch=True,
        locale="vi-VN",
    )
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.on("dialog", lambda d: d.accept())
    login(page, live_server, new_member(live_app))
    start(page, live_server, contests["screen"])
    attempt_id = attempt_of(page)
    wait_for_service_worker(page)
    if size == (360, 640):  # the question, its options and "Next" fit without scrolling
        box = page.locator("button[data-step='1']").bounding_box()
        assert box["y"] + box["height"] <= 640, box
    choose_first_option(page, 1)
    expect(state(page, 1)).to_have_text("Đã lưu")
    go_offline(context, page)
    for pos in (2, 3, 4):
        page.locator("button[data-step='1']").click()
        choose_first_option(page, pos)
        expect(state(page, pos)).to_have_text("Đang chờ gửi")
    page.locator("button[data-step='-1']").click()
    expect(page.locator(".slot:visible .qhead")).to_contain_text("Câu 3/4")
    status, answers = stored_answers(live_app, attempt_id)
    assert status == "in_progress" and list(answers) == [1]  # nothing reached the server
    # A reload without network shows the attempt with the answers kept on the phone.
    # (Chromium's offline emulation lets a request through now and then around a reload:
    # what the server has is checked before it.)
    page.reload()
    expect(page.locator("#quiz")).to_have_attribute("data-from-network", "0")
    for pos in (2, 3, 4):
        radio = page.locator(f".slot[data-position='{pos}'] input[type=radio]").first
        expect(radio).to_be_checked()
    page.locator("#quiz button[name=go][value=review]").click()
    expect(page.locator("#review-panel")).to_be_visible()
    expect(page.locator("[data-all-answered]")).to_be_visible()
    assert check_a11y(page) == [] and no_horizontal_scroll(page)
    page.locator("#submit-form button[type=submit]").click()
    expect(page.locator("#notice")).to_contain_text("bài nộp được giữ")
    assert stored_answers(live_app, attempt_id)[0] == "in_progress"
    context.set_offline(False)
    page.evaluate("window.dispatchEvent(new Event('online'))")
    page.wait_for_url("**/result", timeout=20_000)
    status, answers = stored_answers(live_app, attempt_id)
    assert status == "submitted" and sorted(answers) == [1, 2, 3, 4]
    context.close()


def test_login_ended_in_another_tab_keeps_the_answer(live_server, live_app, contests, page):
    phone = new_member(live_app)
    login(page, live_server, phone)
    start(page, live_server, contests["screen"])
    attempt_id = attempt_of(page)
    other = page.context.new_page()
    other.goto(live_server + "/")
    other.locator("form[action='/logout'] button").click()
    # Logged out once the home page is back. The tab stays open: closing it right after
    # the logout's navigation hung Chromium now and then (the context closes it).
    other.wait_for_url(live_server + "/")
    expect(other.locator("main")).to_be_visible()
    choose_first_option(page, 1)
    expect(page.locator("#notice")).to_contain_text("Phiên đăng nhập đã kết thúc")
    expect(state(page, 1)).to_have_text("Đang chờ gửi")
    page.locator("#relogin").click()
    page.fill("#identifier", phone)
    page.fill("#password", "quizapp2026")
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(f"**/attempts/{attempt_id}")
    expect(state(page, 1)).to_have_text("Đã lưu")
    assert list(stored_answers(live_app, attempt_id)[1]) == [1]


def test_two_phones_no_automatic_take_back(live_server, live_app, contests, browser, page):
    phone = new_member(live_app)
    login(page, live_server, phone)
    start(page, live_server, contests["screen"])
    attempt_id = attempt_of(page)
    second = browser.new_context(viewport={"width": 390, "height": 844}, locale="vi-VN")
    other = second.new_page()
    login(other, live_server, phone)
    other.goto(f"{live_server}/attempts/{attempt_id}")
    choose_first_option(other, 1)
    expect(state(other, 1)).to_have_text("Đã lưu")
    # The first phone answers: refused, kept, and told; it does not take the attempt back.
    page.locator(".slot[data-position='1'] label.option").nth(1).click()
    expect(page.locator("#notice")).to_contain_text("thiết bị khác")
    expect(state(page, 1)).to_have_text("Đang chờ gửi")
    page.wait_for_timeout(3000)
    assert page.url.endswith(f"/attempts/{attempt_id}")
    first_choice = stored_answers(live_app, attempt_id)[1][1]
    other.locator("button[data-step='1']").click()
    choose_first_option(other, 2)  # the second phone still has it
    expect(state(other, 2)).to_have_text("Đã lưu")
    # On a tap, the first phone takes it back and sends the answer it kept.
    page.locator("#takeback").click()
    expect(state(page, 1)).to_have_text("Đã lưu")
    stored = stored_answers(live_app, attempt_id)[1]
    assert sorted(stored) == [1, 2] and stored[1] != first_choice
    second.close()


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
