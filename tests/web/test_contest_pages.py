"""Contest pages: the builder, taking a round without JavaScript, the autosave endpoint,
the result, and the poster's QR code read back from the PDF."""

import gzip
import re
import subprocess
from datetime import timedelta

import pytest
from sqlalchemy import delete, select

from quizapp.contests.models import Attempt, Contest
from quizapp.timeutil import local_input
from tests.contest_helpers import make_bank, make_contest
from tests.factories import make_unit


@pytest.fixture()
def world(session, now):
    province = make_unit(session, "Tỉnh Đoàn An Giang", code="AG")
    branch = make_unit(session, "Chi đoàn Mỹ Long", parent=province, code="AG-ML")
    bank = make_bank(session, province, now)
    session.commit()
    return dict(province=province, branch=branch, bank=bank)


def test_organiser_builds_and_publishes_two_rounds(client, login_as, world, session, now):
    login_as("organiser", world["province"])
    resp = client.post(
        "/org/contests/new",
        data={
            "title": "Cuộc thi trực tuyến tìm hiểu Luật An ninh mạng 2025",
            "owner_unit_id": world["province"].id,
            "eligibility": "subtree",
            "rules": "**5** câu",
        },
    )
    assert resp.status_code == 302
    contest = session.scalar(select(Contest))
    opens = local_input(now + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
    closes = local_input(now + timedelta(days=7)).strftime("%Y-%m-%dT%H:%M")
    base = {
        "opens_at": opens,
        "closes_at": closes,
        "time_limit": "10",
        "bank_id": world["bank"].id,
        "attempts_allowed": "1",
        "counting": "best",
        "pass_mark": "50",
        "review": "after_close",
        "shuffle_questions": "y",
        "shuffle_options": "y",
        "prediction": "y",
        "include_unverified": "y",
    }
    impossible = {
        **base,
        "title": "Tuần 1",
        "blueprint-0-count": "9",
        "blueprint-0-category": "c1",
        "blueprint-0-difficulty": "hard",
    }
    page = client.post(f"/org/contests/{contest.id}/rounds/new", data=impossible)
    assert page.status_code == 200 and "chỉ còn 2" in page.get_data(as_text=True)
    # The bank (as every import without verification) is unverified: without the tick the
    # form refuses the draw and says how many questions it left out and why.
    unticked = {k: v for k, v in base.items() if k != "include_unverified"}
    page = client.get(f"/org/contests/{contest.id}/rounds/new?bank={world['bank'].id}")
    assert "12 câu hỏi của ngân hàng này chưa được xác minh" in page.get_data(as_text=True)
    page = client.post(
        f"/org/contests/{contest.id}/rounds/new",
        data={**unticked, "title": "Tuần 1", "blueprint-0-count": "3"},
    ).get_data(as_text=True)
    assert "12 câu hỏi của ngân hàng chưa được xác minh nên không được đưa vào" in page
    for n in (1, 2):
        ok = {
            **base,
            "title": f"Tuần thi thứ {n}",
            "blueprint-0-count": "3",
            "blueprint-0-category": "c1",
            "blueprint-1-count": "2",
            "blueprint-1-category": "c2",
            "blueprint-1-difficulty": "easy",
        }
        assert client.post(f"/org/contests/{contest.id}/rounds/new", data=ok).status_code == 302
    resp = client.post(f"/org/contests/{contest.id}/status", data={"status": "published"})
    assert resp.status_code == 302
    session.expire_all()
    contest = session.get(Contest, contest.id)
    assert contest.status == "published" and [r.question_count for r in contest.rounds] == [5, 5]
    assert all(r.pool for r in contest.rounds)
    landing = client.get(f"/c/{contest.slug}").get_data(as_text=True)
    assert "Tuần thi thứ 2" in landing


def test_member_takes_round_without_javascript(client, login_as, world, session, now):
    contest = make_contest(session, world["province"], world["bank"], now, count=3)
    session.commit()
    login_as("member", world["branch"])
    landing = client.get(f"/c/{contest.slug}").get_data(as_text=True)
    assert "Bắt đầu" in landing or "Start" in landing
    rnd = contest.rounds[0]
    resp = client.post(f"/rounds/{rnd.id}/start")
    assert resp.status_code == 302
    attempt = session.scalar(select(Attempt))
    url = f"/attempts/{attempt.id}"
    page = client.get(url).get_data(as_text=True)
    assert "Câu 1/3" in page and "weight" not in page
    assert "Đúng 1" in page or "Sai" in page
    # answer each question by posting the page, as a phone without JavaScript does
    for pos in (1, 2, 3):
        html = client.get(f"{url}?q={pos}").get_data(as_text=True)
        value = re.search(rf'name="a{pos}" value="([^"]+)"', html).group(1)
        nxt = "review" if pos == 3 else str(pos + 1)
        resp = client.post(url, data={"position": str(pos), f"a{pos}": value, "go": nxt})
        assert resp.status_code == 302
    review = client.get(f"{url}/review").get_data(as_text=True)
    assert "Mọi câu hỏi đều đã được trả lời" in review or "Every question" in review
    resp = client.post(f"{url}/submit", data={"prediction": "42"})
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/result")
    session.expire_all()
    attempt = session.get(Attempt, attempt.id)
    assert attempt.status == "submitted" and attempt.prediction == 42
    result = client.get(f"{url}/result").get_data(as_text=True)
    assert f"{attempt.correct_count}/3" in result
    assert client.post(f"{url}/submit").status_code == 302  # double tap: same result
    assert session.scalar(select(Attempt).where(Attempt.id != attempt.id)) is None


def _started(client, login_as, world, session, now):
    """A member logged in with an attempt started: (user, attempt, its save address)."""
    contest = make_contest(session, world["province"], world["bank"], now, count=3)
    session.commit()
    user = login_as("member", world["branch"])
    client.post(f"/rounds/{contest.rounds[0].id}/start")
    attempt = session.scalar(select(Attempt).where(Attempt.user_id == user.id))
    return user, attempt, f"/attempts/{attempt.id}/save"


def test_json_autosave(client, login_as, world, session, now):
    _user, attempt, save = _started(client, login_as, world, session, now)
    ok = client.post(save, json={"position": 1, "answer": {"choices": [0]}, "flagged": True})
    assert ok.status_code == 200 and ok.get_json()["ok"]
    bad = client.post(save, json={"position": 1, "answer": {"choices": [9]}})
    assert bad.status_code == 422
    pred = client.post(save, json={"position": 0, "prediction": 17})
    assert pred.status_code == 200
    assert client.post(save, json={"position": 2, "answer": [0]}).status_code == 422
    client.set_cookie("quizapp_device", "another-phone-0001")
    moved = client.post(save, json={"position": 2, "answer": {"choices": [1]}})
    assert moved.status_code == 409 and not moved.get_json()["ok"]
    session.expire_all()
    attempt = session.get(Attempt, attempt.id)
    assert attempt.questions[0].flagged and attempt.questions[0].response is not None
    assert attempt.prediction == 17 and attempt.questions[1].response is None


def test_quiz_page_moves_the_attempt_to_this_device_and_submits_it_when_time_is_up(
    client, login_as, world, session, now
):
    """The quiz page only reads, except when it must write: another phone takes the
    attempt over, or the time (plus grace) is over and the page submits the attempt."""
    contest = make_contest(session, world["province"], world["bank"], now, count=3)
    session.commit()
    user = login_as("member", world["branch"])
    client.post(f"/rounds/{contest.rounds[0].id}/start")
    attempt = session.scalar(select(Attempt).where(Attempt.user_id == user.id))
    url = f"/attempts/{attempt.id}"
    first = client.get_cookie("quizapp_device").value  # this phone's id, given at the start
    assert first and attempt.device == first  # and recorded with the attempt
    assert client.get(url).status_code == 200
    session.expire_all()
    assert session.get(Attempt, attempt.id).device == first
    assert client.get(url).status_code == 200  # the same phone again: nothing changes
    session.expire_all()
    assert session.get(Attempt, attempt.id).device == first
    client.set_cookie("quizapp_device", "another-phone-0001")
    assert client.get(url).status_code == 200
    session.expire_all()
    assert session.get(Attempt, attempt.id).device == "another-phone-0001"
    # Time is up (deadline and grace in the past): the page submits and shows the result.
    row = session.get(Attempt, attempt.id)
    row.deadline_at = row.started_at - timedelta(minutes=5)
    session.commit()
    resp = client.get(url)
    assert resp.status_code == 302 and resp.headers["Location"].endswith(f"{url}/result")
    session.expire_all()
    done = session.get(Attempt, attempt.id)
    assert done.status == "submitted" and done.submitted_by == "timeout"


def test_other_people_cannot_touch_an_attempt(client, login_as, world, session, now):
    contest = make_contest(session, world["province"], world["bank"], now, count=3)
    session.commit()
    login_as("member", world["branch"])
    client.post(f"/rounds/{contest.rounds[0].id}/start")
    attempt = session.scalar(select(Attempt))
    client.post("/logout")
    login_as("member", world["branch"])
    assert client.get(f"/attempts/{attempt.id}").status_code == 404
    assert (
        client.post(
            f"/attempts/{attempt.id}/save", json={"position": 1, "answer": {"choices": [0]}}
        ).status_code
        == 404
    )


def test_poster_pdf_has_a_readable_qr_code(client, login_as, world, session, now, tmp_path):
    contest = make_contest(session, world["province"], world["bank"], now, count=3)
    session.commit()
    login_as("organiser", world["province"])
    resp = client.get(f"/org/contests/{contest.id}/poster.pdf")
    assert resp.status_code == 200 and resp.data[:5] == b"%PDF-"
    pdf = tmp_path / "poster.pdf"
    pdf.write_bytes(resp.data)
    subprocess.run(
        ["pdftoppm", "-r", "110", "-png", "-singlefile", str(pdf), str(tmp_path / "page")],
        check=True,
    )
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True).stdout
    assert "Cuộc thi trực tuyến tìm hiểu Luật An ninh mạng" in " ".join(text.split())
    out = subprocess.run(
        ["zbarimg", "--quiet", "--raw", str(tmp_path / "page.png")], capture_output=True, text=True
    )
    assert out.stdout.strip() == f"http://127.0.0.1:5000/c/{contest.slug}"


def test_quiz_page_of_30_questions_weighs_under_60_kb(client, login_as, session, now):
    """The page and its files as sent to a phone (deploy/nginx.conf compresses text with gzip
    at level 5), on the first visit; the files are then cached for a year."""
    province = make_unit(session, "Tỉnh Đoàn", code="TD")
    bank = make_bank(session, province, now, n=40, key="big")
    contest = make_contest(session, province, bank, now, count=30)
    contest.one_page = True  # the heaviest page: all 30 questions at once
    session.commit()
    login_as("member", province)
    client.post(f"/rounds/{contest.rounds[0].id}/start")
    attempt = session.scalar(select(Attempt))
    page = client.get(f"/attempts/{attempt.id}")
    html = page.get_data(as_text=True)
    assert html.count('class="slot"') == 30
    raw, sent = len(page.data), len(gzip.compress(page.data, 5))
    for asset in re.findall(r'(?:href|src)="(/static/[^"]+)"', html):
        with client.get(asset) as static:
            raw += len(static.data)
            sent += len(gzip.compress(static.data, 5))
    assert raw < 80 * 1024, raw
    assert sent < 24 * 1024, sent


def test_a_save_needs_a_live_login_session_of_an_active_user(client, login_as, world, session, now):
    """The save loads only the user's id (one query of the login session and the user's
    active flag): a deactivated account or an ended session saves nothing."""
    from quizapp.auth.models import LoginSession, User

    user, attempt, save = _started(client, login_as, world, session, now)
    assert client.post(save, json={"position": 1, "answer": {"choices": [0]}}).status_code == 200
    session.get(User, user.id).active = False
    session.commit()
    refused = client.post(save, json={"position": 2, "answer": {"choices": [0]}})
    assert refused.status_code in (302, 401)
    session.get(User, user.id).active = True
    session.execute(delete(LoginSession).where(LoginSession.user_id == user.id))
    session.commit()
    ended = client.post(save, json={"position": 3, "answer": {"choices": [0]}})
    assert ended.status_code in (302, 401)
    session.expire_all()
    saved = [q.response is not None for q in session.get(Attempt, attempt.id).questions]
    assert saved == [True, False, False]
