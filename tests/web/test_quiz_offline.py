"""What the offline-capable quiz page relies on from the server: every question in the page,
refusals the page can act on (log in again, another phone, submitted), the service worker
and the offline page."""

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from quizapp.contests.models import Attempt
from quizapp.timeutil import format_datetime
from tests.contest_helpers import make_bank, make_contest
from tests.factories import make_unit


@pytest.fixture()
def started(client, login_as, session, now):
    province = make_unit(session, "Tỉnh Đoàn An Giang", code="AG")
    bank = make_bank(session, province, now)
    contest = make_contest(session, province, bank, now, count=4)
    session.commit()
    login_as("member", province)
    client.post(f"/rounds/{contest.rounds[0].id}/start")
    return session.scalar(select(Attempt))


def save(client, attempt, position=1, **headers):
    return client.post(
        f"/attempts/{attempt.id}/save",
        json={"position": position, "answer": {"choices": [0]}},
        headers={"Accept": "application/json", **headers},
    )


def test_the_page_holds_every_question_and_shows_one_without_javascript(client, session, started):
    html = client.get(f"/attempts/{started.id}?q=2").get_data(as_text=True)
    boxes = re.findall(r'<fieldset class="slot-box" data-box="(\d)"([^>]*)>', html)
    assert [b[0] for b in boxes] == ["1", "2", "3", "4"]
    # Only question 2 is shown and posted by the page without JavaScript.
    assert [b[0] for b in boxes if "disabled hidden" not in b[1]] == ["2"]
    assert 'data-from-network="1"' in html
    assert html.count('data-from-network="1"') == 1  # the service worker rewrites that one
    assert 'aria-label="Menu chính"' not in html  # no site menu on the quiz page
    # The page without JavaScript posts only the question shown.
    resp = client.post(
        f"/attempts/{started.id}",
        data={"position": ["2"], "a2": "1", "go": "3"},
    )
    assert resp.status_code == 302
    session.refresh(started)
    answered = {q.position: q.response for q in started.questions if q.response}
    assert list(answered) == [2]


def test_a_save_whose_csrf_token_ended_with_the_login_says_which(csrf_app, started):
    """Logging out clears the session and its CSRF secret: the page's token no longer
    matches, and the refusal says so in a way the page acts on (log in again)."""
    resp = save(csrf_app.test_client(), started, **{"X-CSRFToken": "from-the-old-session"})
    assert resp.status_code == 400 and resp.json["code"] == "csrf"


def test_a_save_without_a_login_is_a_401_with_the_way_back(app, client, started):
    app.config["WTF_CSRF_ENABLED"] = False  # the login alone (CSRF is tested above)
    client.post("/logout")
    resp = save(client, started)
    assert resp.status_code == 401
    assert resp.json["code"] == "login"
    assert resp.json["login"] == f"/login?next=/attempts/{started.id}"
    assert "đăng nhập lại" in resp.json["error"]


def test_another_phone_holds_the_attempt_until_this_one_asks_for_it_back(client, started):
    phone_a = client.get_cookie("quizapp_device").value
    client.set_cookie("quizapp_device", "phone-b")
    assert client.get(f"/attempts/{started.id}").status_code == 200  # phone B takes it
    assert save(client, started, 2).status_code == 200
    client.set_cookie("quizapp_device", phone_a)
    resp = save(client, started, 3)
    assert resp.status_code == 409 and resp.json["code"] == "device"
    assert "thiết bị khác" in resp.json["error"]
    # Refusals change nothing: the attempt stays with phone B until phone A's page is opened.
    assert save(client, started, 3).json["code"] == "device"
    # The copy the service worker keeps for offline use does not take it back either.
    kept = client.get(f"/attempts/{started.id}", headers={"X-Quizapp-Keep": "1"})
    assert kept.status_code == 200
    assert save(client, started, 3).json["code"] == "device"
    assert client.get(f"/attempts/{started.id}?q=3").status_code == 200
    assert save(client, started, 3).status_code == 200


def test_a_save_after_the_time_is_up_points_to_the_result(client, started, clock):
    clock.advance(minutes=30)
    resp = save(client, started)
    assert resp.status_code == 409 and resp.json["code"] == "closed"
    assert resp.json["result"] == f"/attempts/{started.id}/result"


def test_the_service_worker_names_the_versioned_files_and_is_never_cached(client):
    resp = client.get("/sw.js")
    assert resp.status_code == 200 and resp.mimetype == "text/javascript"
    assert resp.headers["Cache-Control"] == "no-cache"
    body = resp.get_data(as_text=True)
    assets = re.search(r"var ASSETS = (\[.*?\]);", body).group(1)
    assert re.search(r'"/static/css/app\.css\?v=[0-9a-f]+"', assets)
    assert re.search(r'"/static/js/quiz\.js\?v=[0-9a-f]+"', assets)
    assert 'var OFFLINE = "/offline";' in body


def test_the_offline_page_is_the_same_for_everyone(client, login_as, session):
    anonymous = client.get("/offline")
    assert anonymous.status_code == 200 and "Set-Cookie" not in anonymous.headers
    html = anonymous.get_data(as_text=True)
    assert "Không có kết nối" in html and 'http-equiv="refresh"' in html
    login_as("member", make_unit(session, "Chi đoàn", code="CD"))
    assert client.get("/offline").get_data(as_text=True) == html  # no menu, no name


def test_submitting_twice_is_the_same_submission(client, session, started, now):
    """A submission queued offline may reach the server after one that went through."""
    first = client.post(f"/attempts/{started.id}/submit", data={"prediction": "3"})
    again = client.post(f"/attempts/{started.id}/submit", data={"prediction": "9"})
    assert first.status_code == again.status_code == 302
    assert again.headers["Location"].endswith(f"/attempts/{started.id}/result")
    session.refresh(started)
    submitted_at = started.submitted_at
    assert started.prediction == 3 and submitted_at is not None
    assert now - timedelta(minutes=1) <= submitted_at <= now + timedelta(minutes=1)


def test_the_contest_page_reads_right_without_javascript(client, session, now):
    """The closing time is a date ("Kết thúc lúc 27/11/2026 …"), not "closes in <a date>";
    the countdown is filled in by the script."""
    province = make_unit(session, "Tỉnh Đoàn An Giang", code="AG")
    contest = make_contest(session, province, make_bank(session, province, now), now, count=4)
    session.commit()
    html = client.get(f"/c/{contest.slug}").get_data(as_text=True)
    closes = contest.rounds[0].closes_at
    assert f"Kết thúc lúc {format_datetime(closes)}" in html
    assert re.search(r'<span class="countdown" hidden data-label="Kết thúc sau"', html)


def test_a_checkbox_without_an_error_is_described_by_nothing(client):
    html = client.get("/register").get_data(as_text=True)
    assert 'type="checkbox"' in html and 'aria-describedby="None"' not in html
