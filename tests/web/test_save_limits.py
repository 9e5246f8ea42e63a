"""The answer save's rate limit (SAVE_RATE_LIMIT) counts per logged-in phone, read from the
signed session cookie before anything touches the database: one participant's flood stops
at the limit, another's saves go on, and a refused save stores nothing."""

from sqlalchemy import select

from quizapp.contests.models import Attempt, AttemptQuestion
from tests.contest_helpers import make_bank, make_contest
from tests.factories import PASSWORD, make_unit, make_user


def _phone(app, session, rnd, unit):
    user = make_user(session, role="member", unit=unit)
    session.commit()
    client = app.test_client()
    resp = client.post(
        "/login", data={"identifier": user.email or user.phone, "password": PASSWORD}
    )
    assert resp.status_code == 302
    assert client.post(f"/rounds/{rnd.id}/start").status_code == 302
    attempt = session.scalar(select(Attempt).where(Attempt.user_id == user.id))
    return client, attempt


def _save(client, attempt, position):
    return client.post(
        f"/attempts/{attempt.id}/save",
        json={"position": position, "answer": {"choices": [0]}},
        headers={"Accept": "application/json"},
    )


def test_saves_are_limited_per_phone(app_with, session, now):
    app = app_with(RATELIMIT_ENABLED=True, SAVE_RATE_LIMIT="3 per minute")
    province = make_unit(session, "Tỉnh Đoàn Giới Hạn", code="GH")
    bank = make_bank(session, province, now)
    rnd = make_contest(session, province, bank, now, count=5).rounds[0]
    session.commit()
    first, mine = _phone(app, session, rnd, province)
    second, theirs = _phone(app, session, rnd, province)

    assert [_save(first, mine, p).status_code for p in (1, 2, 3)] == [200, 200, 200]
    refused = _save(first, mine, 4)
    assert refused.status_code == 429
    assert _save(second, theirs, 1).status_code == 200  # another phone: its own count
    stored = session.scalars(
        select(AttemptQuestion.position).where(
            AttemptQuestion.attempt_id == mine.id, AttemptQuestion.response.is_not(None)
        )
    ).all()
    assert sorted(stored) == [1, 2, 3]
