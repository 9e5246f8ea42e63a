"""After a round closes, an organiser on a phone opens the dashboard, corrects a key the
analysis points at, regrades after seeing the changed scores, and publishes the prize list."""

from datetime import timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def closed_round(live_app, live_clock):
    """A round of the demo province, three participants, closed a minute ago."""
    from quizapp.auth.services import actor_for
    from quizapp.contests import attempts as A
    from quizapp.contests import starting as S
    from quizapp.extensions import db
    from quizapp.orgs.models import Unit
    from tests.contest_helpers import make_bank, make_contest
    from tests.factories import make_user

    now = live_clock.now()
    with live_app.app_context():
        province = db.session.scalar(select(Unit).where(Unit.code == "AG"))
        branch = db.session.scalar(select(Unit).where(Unit.code == "AG-LX-ML"))
        bank = make_bank(db.session, province, now, key="bank-results")
        contest = make_contest(db.session, province, bank, now, count=3)
        rnd = contest.rounds[0]
        for right in (3, 3, 1):
            user = make_user(db.session, role="member", unit=branch)
            attempt = S.start_attempt(
                db.session, rnd.id, user=user, actor=actor_for(user), now=now - timedelta(minutes=5)
            )
            for aq in attempt.questions[:right]:
                A.save_answer(
                    db.session,
                    attempt.id,
                    aq.position,
                    {"choices": [aq.option_order.index(0)]},
                    user=user,
                    now=now - timedelta(minutes=4),
                )
            A.submit_attempt(db.session, attempt.id, user=user, now=now - timedelta(minutes=3))
        rnd.closes_at = now - timedelta(minutes=1)
        db.session.commit()
        return contest.id, rnd.id


def test_dashboard_fix_key_regrade_publish(live_server, page, check_a11y, closed_round):
    page.on("dialog", lambda d: d.accept())
    contest_id, round_id = closed_round
    page.goto(live_server + "/login")
    page.fill("#identifier", "tinhdoan@quizapp.local")
    page.fill("#password", "quizapp2026")
    page.locator("main form button[type=submit]").click()
    page.wait_for_url("**/org")
    base = f"{live_server}/org/contests/{contest_id}/rounds/{round_id}"
    page.goto(base + "/dashboard")
    expect(page.locator(".summary")).to_contain_text("Đã nộp bài: 3")
    assert page.locator("svg.chart").count() == 2
    assert check_a11y(page) == []
    page.goto(base + "/results")
    assert check_a11y(page) == []
    page.get_by_role("link", name="Sửa đáp án").first.click()
    page.wait_for_url("**/key")
    page.locator("input[name=correct]").nth(0).uncheck()
    page.locator("input[name=correct]").nth(1).check()
    page.fill("#reason", "Đáp án đúng là B theo văn bản")
    page.get_by_role("button", name="Xem trước các điểm số thay đổi").click()
    expect(page.locator("main h2")).to_contain_text("điểm số thay đổi")
    assert check_a11y(page) == []
    page.get_by_role("button", name="Xác nhận và chấm lại").click()
    page.wait_for_url("**/results")
    expect(page.locator(".flash-success")).to_contain_text("Đã chấm lại")
    page.get_by_role("button", name="Công bố danh sách đạt giải").click()
    expect(page.locator(".flash-success").first).to_contain_text("Đã công bố")
    expect(page.locator("main")).to_contain_text("Giải Nhất")
