"""The test owns the app's clock: requests, CLI commands and column defaults all read it, so
deadlines, grace, round windows and the sweep are tested by moving it, never by sleeping."""

from __future__ import annotations

from datetime import timedelta

from flask import g
from sqlalchemy import select

from quizapp.contests.models import Attempt
from quizapp.extensions import db
from quizapp.indicators.models import PlanDefinition
from tests.contest_helpers import make_bank, make_contest
from tests.factories import make_unit


def _world(session, now):
    province = make_unit(session, "Tỉnh Đoàn An Giang", code="AG")
    branch = make_unit(session, "Chi đoàn Mỹ Long", parent=province, code="AG-ML")
    bank = make_bank(session, province, now)
    session.commit()
    return province, branch, bank


def test_requests_and_defaults_read_the_test_clock(app, client, clock, now):
    assert app.extensions["quizapp_clock"] is clock
    seen = []

    @app.get("/_test/now")
    def _now():
        from quizapp.web import now as request_now

        seen.append((request_now(), g.now))
        return "ok"

    client.get("/_test/now")
    clock.advance(days=400)
    client.get("/_test/now")
    assert seen == [(now, now), (now + timedelta(days=400), now + timedelta(days=400))]
    with app.app_context():
        from quizapp.audit.services import record
        from quizapp.policy import SYSTEM

        entry = record(db.session, actor=SYSTEM, action="x", object_type="t", object_id=1)
        assert entry.at == now + timedelta(days=400)


def test_round_window_deadline_grace_and_sweep_follow_the_clock(
    client, login_as, session, clock, now, runner
):
    province, branch, bank = _world(session, now)
    later = make_contest(
        session,
        province,
        bank,
        now,
        count=3,
        opens_at=now + timedelta(days=2),
        closes_at=now + timedelta(days=9),
        time_limit_s=600,
    )
    later.rounds[0].grace_s = 30
    session.commit()
    user = login_as("member", branch)
    start = f"/rounds/{later.rounds[0].id}/start"
    client.post(start)
    assert session.scalar(select(Attempt).where(Attempt.user_id == user.id)) is None  # not open

    clock.advance(days=2, minutes=1)
    client.post(start)
    attempt = session.scalar(select(Attempt).where(Attempt.user_id == user.id))
    assert attempt is not None and attempt.started_at == clock.now()
    save = f"/attempts/{attempt.id}/save"
    assert client.post(save, json={"position": 1, "answer": {"choices": [0]}}).status_code == 200

    clock.advance(minutes=10, seconds=20)  # past the time limit, inside the grace
    assert client.post(save, json={"position": 2, "answer": {"choices": [0]}}).status_code == 200
    clock.advance(seconds=20)  # past the grace: refused, nothing changes
    assert client.post(save, json={"position": 3, "answer": {"choices": [0]}}).status_code != 200

    result = runner.invoke(args=["sweep-attempts"])
    assert result.exit_code == 0, result.output
    session.expire_all()
    attempt = session.get(Attempt, attempt.id)
    assert attempt.status == "submitted"
    assert attempt.submitted_at == attempt.deadline_at + timedelta(seconds=30)
    saved = {q.position for q in attempt.questions if q.response is not None}
    assert saved == {1, 2}


def test_cli_commands_stamp_the_clock_time(app, runner, session, clock, now):
    clock.set(now + timedelta(days=123))
    result = runner.invoke(args=["load-indicator-plans"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        stamps = db.session.scalars(select(PlanDefinition.updated_at)).all()
    assert stamps and all(at == now + timedelta(days=123) for at in stamps)
