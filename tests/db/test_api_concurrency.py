"""50 simultaneous starts of the same member through the API give one attempt (real threads,
real connections, SQLite file or PostgreSQL: /work/pgtest.sh runs it on PostgreSQL)."""

import threading

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from quizapp import create_app
from quizapp.clock import SettableClock
from quizapp.contests.models import Attempt, AttemptQuestion
from quizapp.db import Base, make_engine
from quizapp.extensions import db as app_db
from tests.conftest import NOW, TEST_SETTINGS
from tests.db.test_concurrency import _contest_and_member, _fresh_url
from tests.factories import PASSWORD


def test_fifty_parallel_api_starts_make_one_attempt(tmp_path, worker_id, files_dir):
    engine = make_engine(_fresh_url(tmp_path, f"api_{worker_id}"))
    Base.metadata.create_all(engine)
    with Session(engine, expire_on_commit=False) as s:
        contest, user = _contest_and_member(s, NOW)
        round_id, login = contest.rounds[0].id, user.email
    app = create_app({**TEST_SETTINGS, **files_dir, "ENGINE": engine}, clock=SettableClock(NOW))
    try:
        token = app.test_client().post(
            "/api/v1/auth/token", json={"identifier": login, "password": PASSWORD}
        )
        headers = {"Authorization": f"Bearer {token.get_json()['access_token']}"}
        barrier = threading.Barrier(50)
        answers: list[tuple[int, dict]] = []

        def worker():
            client = app.test_client()
            barrier.wait()
            resp = client.post(f"/api/v1/rounds/{round_id}/attempts", headers=headers)
            answers.append((resp.status_code, resp.get_json()))

        threads = [threading.Thread(target=worker) for _ in range(50)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        with Session(engine) as s:
            attempts = s.scalars(select(Attempt)).all()
            served = s.scalar(select(func.count()).select_from(AttemptQuestion))
    finally:
        app_db.session.remove()
        engine.dispose()
    assert len(attempts) == 1, answers
    assert [code for code, _body in answers] == [201] * 50, answers
    assert {body["id"] for _code, body in answers} == {attempts[0].id}
    assert served == attempts[0].question_count == 5
