"""Results a participant understands: the score with the locale's decimal mark, partial
credit per question, the rank and the ranking's link, the tie-break per ranking line, the
certificate rule, and a submission made by the time-out said as such."""

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from quizapp.auth.services import actor_for
from quizapp.banks import services as bank_services
from quizapp.banks.core import Choice, ParsedBank, QType, Question
from quizapp.banks.models import QuestionVersion
from quizapp.banks.serial import from_dict
from quizapp.certificates.services import RuleData, save_rule
from quizapp.contests import attempts as A
from quizapp.contests import starting as S
from quizapp.contests.models import Attempt
from quizapp.policy import SYSTEM
from tests.contest_helpers import make_contest
from tests.factories import make_unit, make_user


def _partial_bank(session, unit, now):
    """Three questions of 1 mark: a multiple answer question (two right options of 50 %),
    and two single choice questions (the first option right)."""
    multi = Question(
        QType.MULTI,
        "Những tổ chức nào thuộc hệ thống chính trị?",
        key="multi",
        choices=(
            Choice("Đoàn Thanh niên", Decimal(50)),
            Choice("Hội Liên hiệp Phụ nữ", Decimal(50)),
            Choice("Câu lạc bộ bóng đá", Decimal(-100)),
        ),
    )
    singles = [
        Question(
            QType.SINGLE,
            f"Câu hỏi một đáp án số {i}?",
            key=f"s{i}",
            choices=(Choice(f"Đúng {i}", Decimal(100)), Choice(f"Sai {i}", Decimal(0))),
        )
        for i in (1, 2)
    ]
    bank = bank_services.create_bank(
        session, actor=SYSTEM, key="bank-phan", title="Ngân hàng", owner_unit_id=unit.id, now=now
    )
    bank_services.import_bank(
        session, ParsedBank(questions=(multi, *singles)), bank=bank, actor=SYSTEM, now=now
    )
    return bank


@pytest.fixture()
def world(session, now):
    province = make_unit(session, "Tỉnh Đoàn An Giang", code="AG")
    branch = make_unit(session, "Chi đoàn Mỹ Long", parent=province, code="AG-ML")
    bank = _partial_bank(session, province, now)
    contest = make_contest(session, province, bank, now, count=3)
    session.commit()
    return dict(province=province, branch=branch, contest=contest, rnd=contest.rounds[0])


def _play(session, rnd, user, now, *, seconds=100, prediction=None):
    """Half of the multiple answer question, the first single choice right, the second
    wrong: 1.5 of 3 marks."""
    attempt = S.start_attempt(session, rnd.id, user=user, actor=actor_for(user), now=now)
    for aq in attempt.questions:
        q = from_dict(session.get(QuestionVersion, aq.version_id).content)
        original = {"multi": 0, "s1": 0, "s2": 1}[q.key]
        A.save_answer(
            session,
            attempt.id,
            aq.position,
            {"choices": [aq.option_order.index(original)]},
            user=user,
            now=now,
        )
    A.submit_attempt(
        session, attempt.id, user=user, now=now + timedelta(seconds=seconds), prediction=prediction
    )
    session.commit()
    return attempt


def _login(client, user):
    resp = client.post("/login", data={"identifier": user.email, "password": "correct horse"})
    assert resp.status_code == 302


def test_result_shows_the_score_with_the_locale_decimal_mark_and_partial_credit(
    client, session, world, now
):
    user = make_user(session, role="member", unit=world["branch"])
    session.commit()
    attempt = _play(session, world["rnd"], user, now)
    assert attempt.score == Decimal("1.5") and attempt.max_score == 3
    _login(client, user)
    page = client.get(f"/attempts/{attempt.id}/result").get_data(as_text=True)
    assert "<dd>1,5/3</dd>" in page and "1.5" not in page
    # the review of the answers (the round shows them at once): partial credit per question
    assert "<strong>Đúng một phần</strong>: 0,5/1 điểm" in page
    assert "Mỗi phương án đúng bạn chọn được một phần điểm" in page
    assert "<strong>Đúng</strong>: 1/1 điểm" in page
    assert "<strong>Chưa đúng</strong>: 0/1 điểm" in page
    client.set_cookie("lang", "en")
    page = client.get(f"/attempts/{attempt.id}/result").get_data(as_text=True)
    assert "<dd>1.5/3</dd>" in page and "<strong>Partly correct</strong>: mark 0.5/1" in page


def test_result_shows_the_rank_and_links_to_the_ranking(client, session, world, now):
    users = [make_user(session, role="member", unit=world["branch"]) for _ in range(2)]
    session.commit()
    _play(session, world["rnd"], users[0], now, seconds=50)
    mine = _play(session, world["rnd"], users[1], now, seconds=90)
    _login(client, users[1])
    page = client.get(f"/attempts/{mine.id}/result").get_data(as_text=True)
    assert "<dt>Hạng</dt><dd>2/2</dd>" in page
    ranking = f"/c/{world['contest'].slug}/rounds/{world['rnd'].id}/ranking"
    assert f'href="{ranking}"' in page and "Xem bảng xếp hạng" in page
    assert client.get(ranking).status_code == 200


def test_a_submission_newer_than_the_computed_ranking_says_its_rank_comes_soon(
    client, session, world, now
):
    first, second = (make_user(session, role="member", unit=world["branch"]) for _ in range(2))
    session.commit()
    one = _play(session, world["rnd"], first, now)
    _login(client, first)
    assert "<dd>1/1</dd>" in client.get(f"/attempts/{one.id}/result").get_data(as_text=True)
    two = _play(session, world["rnd"], second, now)  # the ranking (30 s) does not have it yet
    client.post("/logout")
    _login(client, second)
    page = client.get(f"/attempts/{two.id}/result").get_data(as_text=True)
    assert "sẽ có trên bảng xếp hạng trong vòng một phút" in page


def test_a_preview_has_no_rank(client, session, world, now, login_as):
    organiser = login_as("organiser", world["province"])
    attempt = S.start_attempt(
        session,
        world["rnd"].id,
        user=organiser,
        actor=actor_for(organiser),
        now=now,
        preview=True,
    )
    A.submit_attempt(session, attempt.id, user=organiser, now=now)
    session.commit()
    page = client.get(f"/attempts/{attempt.id}/result").get_data(as_text=True)
    assert "<dt>Hạng</dt>" not in page and "Xem bảng xếp hạng" not in page


def test_ranking_shows_scores_and_the_tie_break_where_it_decided(client, session, world, now):
    names = ["Nguyễn Văn An", "Trần Thị Bình", "Lê Văn Cường"]
    users = []
    for name in names:
        user = make_user(session, role="member", unit=world["branch"], name=name)
        user.member.full_name = name
        users.append(user)
    session.commit()
    # the same score; An quicker than Bình; Cường as quick as Bình, submitted at the same
    # moment: tied with Bình on every key
    _play(session, world["rnd"], users[0], now, seconds=70)
    _play(session, world["rnd"], users[1], now, seconds=130)
    _play(session, world["rnd"], users[2], now, seconds=130)
    page = client.get(f"/c/{world['contest'].slug}/rounds/{world['rnd'].id}/ranking")
    html = page.get_data(as_text=True)
    assert (
        "Khi bằng điểm, xếp hạng theo dự đoán gần nhất với con số thực tế (biết được khi tuần thi"
        " kết thúc), rồi đến thời gian làm bài ngắn hơn, rồi đến nộp bài sớm hơn." in html
    )
    rows = html.split("<tbody>")[1].split("</tbody>")[0].split("<tr>")[1:]
    assert len(rows) == 3
    assert "1,5/3" in rows[0] and "Cùng điểm" not in rows[0]
    assert "Cùng điểm; thời gian làm bài 2 phút 10 giây (dòng trên: 1 phút 10 giây)" in rows[1]
    assert "Bằng nhau ở mọi tiêu chí: đồng hạng với dòng trên" in rows[2]
    assert rows[1].startswith("<td>2</td>") and rows[2].startswith("<td>2</td>")
    client.set_cookie("lang", "en")
    html = client.get(f"/c/{world['contest'].slug}/rounds/{world['rnd'].id}/ranking").get_data(
        as_text=True
    )
    assert "1.5/3" in html and "Same score; time taken 2 min 10 s (line above: 1 min 10 s)" in html


def test_ranking_tie_break_by_prediction_after_the_round_closes(client, session, world, now, clock):
    users = [make_user(session, role="member", unit=world["branch"]) for _ in range(2)]
    session.commit()
    _play(session, world["rnd"], users[0], now, seconds=100, prediction=0)
    _play(session, world["rnd"], users[1], now, seconds=50, prediction=7)
    clock.set(world["rnd"].closes_at + timedelta(minutes=1))  # nobody had every answer right
    html = client.get(f"/c/{world['contest'].slug}/rounds/{world['rnd'].id}/ranking").get_data(
        as_text=True
    )
    assert "Cùng điểm; dự đoán lệch 7 (dòng trên: lệch 0)" in html
    assert "khi tuần thi kết thúc" not in html  # the prediction's answer is known now


def test_the_certificate_rule_is_on_the_contest_and_result_pages(client, session, world, now):
    save_rule(
        session,
        world["contest"].id,
        RuleData(kind="achievement", threshold=80),
        actor=SYSTEM,
        now=now,
    )
    save_rule(
        session,
        world["contest"].id,
        RuleData(kind="participation", round_id=world["rnd"].id),
        actor=SYSTEM,
        now=now,
    )
    user = make_user(session, role="member", unit=world["branch"])
    session.commit()
    rule = "Đạt từ 80% điểm trở lên được cấp giấy chứng nhận."
    landing = client.get(f"/c/{world['contest'].slug}").get_data(as_text=True)
    assert rule in landing
    assert "Mọi người nộp bài đều được cấp giấy chứng nhận tham gia (Tuần thi thứ 1)." in landing
    attempt = _play(session, world["rnd"], user, now)
    _login(client, user)
    page = client.get(f"/attempts/{attempt.id}/result").get_data(as_text=True)
    assert rule in page and "Mọi người nộp bài đều được cấp giấy chứng nhận tham gia." in page
    client.set_cookie("lang", "en")
    page = client.get(f"/attempts/{attempt.id}/result").get_data(as_text=True)
    assert "A score of 80% of the maximum or more earns a certificate." in page


def test_the_certificate_rule_is_on_the_quiz_page_review_and_review_page(
    client, session, world, now
):
    save_rule(
        session, world["contest"].id, RuleData(kind="achievement", threshold=80), actor=SYSTEM,
        now=now,
    )
    user = make_user(session, role="member", unit=world["branch"])
    session.commit()
    _login(client, user)
    started = client.post(f"/rounds/{world['rnd'].id}/start")
    attempt_page = started.headers["Location"]
    rule = "Đạt từ 80% điểm trở lên được cấp giấy chứng nhận."
    quiz = client.get(attempt_page).get_data(as_text=True)
    panel = quiz[quiz.index('id="review-panel"'):]
    assert rule in panel
    assert rule in client.get(attempt_page + "/review").get_data(as_text=True)


def test_no_rule_no_certificate_paragraph(client, session, world):
    html = client.get(f"/c/{world['contest'].slug}").get_data(as_text=True)
    assert "certificate-rules" not in html


def test_a_submission_at_the_time_out_says_so(client, session, world, now, clock):
    user = make_user(session, role="member", unit=world["branch"])
    session.commit()
    _login(client, user)
    client.post(f"/rounds/{world['rnd'].id}/start")
    attempt = session.scalar(select(Attempt).where(Attempt.user_id == user.id))
    # the quiz page's timer submits when the time is up (inside the grace period)
    clock.set(attempt.deadline_at + timedelta(seconds=2))
    resp = client.post(f"/attempts/{attempt.id}/submit")
    assert resp.status_code == 302
    session.expire_all()
    assert session.get(Attempt, attempt.id).submitted_by == "timeout"
    page = client.get(f"/attempts/{attempt.id}/result").get_data(as_text=True)
    assert "Hết giờ: bài làm của bạn đã được nộp tự động" in page


def test_a_submission_in_time_is_the_participant_s(client, session, world, now):
    user = make_user(session, role="member", unit=world["branch"])
    session.commit()
    _login(client, user)
    client.post(f"/rounds/{world['rnd'].id}/start")
    attempt = session.scalar(select(Attempt).where(Attempt.user_id == user.id))
    client.post(f"/attempts/{attempt.id}/submit")
    session.expire_all()
    assert session.get(Attempt, attempt.id).submitted_by == "user"
    page = client.get(f"/attempts/{attempt.id}/result").get_data(as_text=True)
    assert "nộp tự động" not in page and "tự động, khi hết giờ" not in page


def test_issuing_now_says_when_prize_certificates_come(client, login_as, session, world, now):
    """Issue 21: "Cấp ngay" issues certificates for submitted attempts; prize certificates
    come with the published prize list, and the organiser is told so."""
    save_rule(session, world["contest"].id, RuleData(kind="prize"), actor=SYSTEM, now=now)
    session.commit()
    login_as("organiser", world["province"])
    page = client.post(
        f"/org/contests/{world['contest'].id}/certificates/issue", follow_redirects=True
    ).get_data(as_text=True)
    assert "Đã cấp 0 giấy chứng nhận." in page
    assert "khi danh sách giải thưởng của vòng thi được công bố" in page
