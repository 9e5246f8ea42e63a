"""A new member studies a two-lesson programme on a phone: fails the first check once,
retries, passes both and downloads the certificate of completion; axe-core on every
lesson page."""

from datetime import date, timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from tests.browser.conftest import no_horizontal_scroll
from tests.browser.test_quiz_flow import login

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def programme(live_app, live_clock):
    """A published sequential programme of the demo province: two lessons, each checked by
    two questions with a pass mark of 100%; and a member admitted to the Union last week."""
    from quizapp.auth.models import User
    from quizapp.auth.services import hash_password
    from quizapp.extensions import db
    from quizapp.orgs.members import MemberData, create_member
    from quizapp.orgs.models import Unit
    from quizapp.policy import SYSTEM
    from quizapp.programmes import services as S
    from tests.contest_helpers import make_bank

    now = live_clock.now()
    with live_app.app_context():
        province = db.session.scalar(select(Unit).where(Unit.code == "AG"))
        bank = make_bank(db.session, province, now, key="bank-programme-browser")
        p = S.create_programme(
            db.session,
            S.ProgrammeData(
                title="Học tập lý luận chính trị (thử nghiệm)",
                owner_unit_id=province.id,
                starts_on=(now - timedelta(days=30)).date(),
                ends_on=(now + timedelta(days=300)).date(),
                populations=("member",),
                admitted_in_period=True,
            ),
            actor=SYSTEM,
            now=now,
        )
        for n, cat in ((1, "c1"), (2, "c2")):
            S.save_lesson(
                db.session,
                p.id,
                S.LessonData(
                    title=f"Bài {n}: Đoàn TNCS Hồ Chí Minh",
                    bank_id=bank.id,
                    categories=(cat,),
                    questions=2,
                    pass_mark=100,
                    content="### Tóm tắt\n\nĐoàn là **đội dự bị tin cậy** của Đảng.\n\n- Ý 1",
                ),
                actor=SYSTEM,
                now=now,
            )
        S.set_status(db.session, p.id, "published", actor=SYSTEM, now=now)
        unit = db.session.scalar(select(Unit).where(Unit.code == "AG-LX-ML"))
        member = create_member(
            db.session,
            MemberData(
                full_name="Trần Bảo Ngọc",
                unit_id=unit.id,
                categories=("member",),
                phone="0977000111",
                birth_date=date(2006, 5, 19),
                admitted_on=(now - timedelta(days=7)).date(),
            ),
            actor=SYSTEM,
            pii_key="browser",
            now=now,
        )
        db.session.add(
            User(
                display_name=member.full_name,
                phone=member.phone,
                member_id=member.id,
                password_hash=hash_password("quizapp2026"),
            )
        )
        db.session.commit()
        return {"id": p.id, "title": p.title}


def answer_and_submit(page, *, right: bool):
    """Answer both questions (one per screen) and submit from the review page."""
    for pos in (1, 2):
        option = page.locator(f".slot[data-position='{pos}'] label.option")
        option.filter(has_text="Đúng" if right else "Sai").first.click()
        expect(page.locator(f".slot[data-position='{pos}'] [data-state]")).to_have_text("Đã lưu")
        if pos == 1:
            page.locator("button[name=go][value='2']").first.click()
    page.locator("#quiz button[name=go][value=review]").click()
    expect(page.locator("#review-panel")).to_be_visible()
    page.locator("#submit-form button[type=submit]").click()
    page.wait_for_url("**/programmes/checks/*")


def test_new_member_completes_a_programme(live_server, programme, page, check_a11y):
    page.on("dialog", lambda d: d.accept())
    login(page, live_server, "0977000111")
    page.get_by_role("link", name="Chương trình học tập của tôi").first.click()
    page.wait_for_url("**/me/programmes")
    card = page.locator(".cards li", has_text=programme["title"])
    expect(card.locator("progress")).to_have_attribute("value", "0")
    assert check_a11y(page) == [] and no_horizontal_scroll(page)
    card.get_by_role("link", name="Bài tiếp theo").click()
    page.wait_for_url("**/lessons/*")
    expect(page.locator("article.lesson-content strong")).to_have_text("đội dự bị tin cậy")
    assert check_a11y(page) == [] and no_horizontal_scroll(page)
    # First try: wrong answers, not passed; the second lesson stays locked.
    page.get_by_role("button", name="Bắt đầu làm bài kiểm tra").click()
    page.wait_for_url("**/attempts/*")
    answer_and_submit(page, right=False)
    expect(page.locator(".result")).to_contain_text("Chưa đạt")
    assert check_a11y(page) == [] and no_horizontal_scroll(page)
    page.get_by_role("link", name="Quay lại bài học").click()
    page.get_by_role("button", name="Bắt đầu làm bài kiểm tra").click()
    page.wait_for_url("**/attempts/*")
    answer_and_submit(page, right=True)
    expect(page.locator(".result")).to_contain_text("Đạt")
    page.get_by_role("link", name="Bài tiếp theo").click()
    page.wait_for_url("**/lessons/*")
    expect(page.locator("h1")).to_contain_text("Bài 2")
    assert check_a11y(page) == []
    page.get_by_role("button", name="Bắt đầu làm bài kiểm tra").click()
    page.wait_for_url("**/attempts/*")
    answer_and_submit(page, right=True)
    expect(page.locator("main")).to_contain_text("Chúc mừng! Bạn đã hoàn thành chương trình.")
    assert check_a11y(page) == [] and no_horizontal_scroll(page)
    link = page.get_by_role("link", name="Tải chứng chỉ (PDF)")
    response = page.request.get(live_server + link.get_attribute("href"))
    assert response.ok and response.body()[:5] == b"%PDF-"
    page.goto(f"{live_server}/programmes/{programme['id']}")
    expect(page.locator(".tag").first).to_have_text("Đã hoàn thành")
    expect(page.locator("main progress").first).to_have_attribute("value", "100")
    # Issue 20: a completed programme keeps its lessons open (lesson 2 was "Chưa mở").
    expect(page.locator("main")).not_to_contain_text("Chưa mở")
    expect(page.locator(".lessons .tag")).to_have_text(["✔ Đạt", "✔ Đạt"])
    page.get_by_role("link", name="Bài 2: Đoàn TNCS Hồ Chí Minh").click()
    page.wait_for_url("**/lessons/*")
    expect(page.locator("article.lesson-content strong")).to_have_text("đội dự bị tin cậy")
    assert check_a11y(page) == [] and no_horizontal_scroll(page)


def test_organiser_sees_progress(live_server, programme, browser, check_a11y):
    """After the member's completion: the province organiser's progress page at desktop
    size counts them, lists who has not completed, and passes axe-core."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="vi-VN")
    page = context.new_page()
    try:
        page.goto(live_server + "/login")
        page.fill("#identifier", "tinhdoan@quizapp.local")
        page.fill("#password", "quizapp2026")
        page.locator("main form button[type=submit]").click()
        page.wait_for_url(lambda url: "/login" not in url)
        page.goto(f"{live_server}/org/programmes/{programme['id']}/progress")
        expect(page.locator("h1")).to_contain_text("Tỉnh Đoàn An Giang")
        expect(page.locator("svg.chart")).to_be_visible()
        assert check_a11y(page) == []
        page.select_option("#status", "completed")
        page.get_by_role("button", name="Lọc").click()
        expect(page.locator("table").last).to_contain_text("Trần Bảo Ngọc")
    finally:
        context.close()
