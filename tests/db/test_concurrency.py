"""50 simultaneous "start" requests of the same person give exactly one attempt
(real threads, real connections, SQLite file or PostgreSQL)."""

import os
import threading
from datetime import datetime

from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from quizapp import models  # noqa: F401
from quizapp.auth.models import User
from quizapp.auth.services import actor_for
from quizapp.contests.models import Attempt, AttemptQuestion
from quizapp.contests.starting import start_attempt
from quizapp.db import Base, make_engine
from tests.conftest import NOW
from tests.contest_helpers import make_bank, make_contest
from tests.factories import make_unit, make_user


def _fresh_url(tmp_path, worker_id) -> str:
    url = os.environ.get("QUIZAPP_TEST_DATABASE_URL")
    if not url:
        return f"sqlite:///{tmp_path / 'concurrency.db'}"
    base = make_url(url)
    name = f"{base.database}_conc_{worker_id}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return base.set(database=name).render_as_string(hide_password=False)


def _contest_and_member(s: Session, now: datetime):
    province = make_unit(s, "Tỉnh Đoàn", code="TD")
    branch = make_unit(s, "Chi đoàn", parent=province, code="TD-1")
    contest = make_contest(s, province, make_bank(s, province, now), now)
    user = make_user(s, role="member", unit=branch)
    s.commit()
    return contest, user


def test_fifty_parallel_starts_make_one_attempt(tmp_path, worker_id):
    engine = make_engine(_fresh_url(tmp_path, worker_id))
    Base.metadata.create_all(engine)
    with Session(engine) as s:
        contest, user = _contest_and_member(s, NOW)
        round_id, user_id = contest.rounds[0].id, user.id

    barrier = threading.Barrier(50)
    writing = engine.execution_options(quizapp_sqlite_immediate=True)  # as a POST's

    results, errors = [], []

    def worker():
        with Session(writing, expire_on_commit=False) as s:
            u = s.get(User, user_id)
            _ = (u.member.unit.path, u.organiser_roles)
            s.rollback()  # hold no connection (nor lock) while waiting at the barrier
            barrier.wait()
            try:
                attempt = start_attempt(s, round_id, user=u, actor=actor_for(u), now=NOW)
                s.commit()
                results.append(attempt.id)
            except Exception as exc:  # noqa: BLE001 - collected and asserted below
                s.rollback()
                errors.append(repr(exc))

    threads = [threading.Thread(target=worker) for _ in range(50)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    with Session(engine) as s:
        attempts = s.scalars(select(Attempt)).all()
        served = s.scalar(select(func.count()).select_from(AttemptQuestion))
    engine.dispose()
    assert len(attempts) == 1, errors
    assert errors == [] and len(results) == 50 and set(results) == {attempts[0].id}
    assert served == attempts[0].question_count == 5


def test_one_transaction_per_request_begun_by_its_method(tmp_path, files_dir):
    """A request is one unit of work: on SQLite a POST (an answer save) begins with BEGIN
    IMMEDIATE before its first read and ends with one COMMIT; a GET page begins with a plain
    BEGIN and ends with COMMIT too. On PostgreSQL there is no BEGIN IMMEDIATE. The statements
    are seen as the driver runs them (SQLite's trace callback)."""
    from sqlalchemy import event

    from quizapp import create_app
    from quizapp.clock import SettableClock
    from quizapp.contests.starting import start_attempt as start
    from quizapp.extensions import db as app_db
    from tests.conftest import TEST_SETTINGS

    engine = make_engine(_fresh_url(tmp_path, "uow"))
    seen: list[str] = []
    recording = threading.Event()

    def _record(statement: str) -> None:
        if recording.is_set():
            seen.append(" ".join(statement.split()[:3]))

    sqlite = engine.dialect.name == "sqlite"
    if sqlite:

        @event.listens_for(engine, "connect")
        def _trace(dbapi_connection, _record_):
            dbapi_connection.set_trace_callback(_record)
    else:
        event.listen(engine, "before_cursor_execute", lambda _c, _k, sql, *_a: _record(sql))
        event.listen(engine, "commit", lambda _c: _record("COMMIT"))
    Base.metadata.create_all(engine)
    app = create_app({**TEST_SETTINGS, **files_dir, "ENGINE": engine}, clock=SettableClock(NOW))
    with Session(engine, expire_on_commit=False) as s:
        contest, user = _contest_and_member(s, NOW)
        attempt = start(s, contest.rounds[0].id, user=user, actor=actor_for(user), now=NOW)
        s.commit()
        login = user.email or user.phone
    client = app.test_client()
    resp = client.post("/login", data={"identifier": login, "password": "correct horse"})
    assert resp.status_code == 302
    # The first opening on this phone records the phone with the attempt (a write); every
    # later opening only reads.
    assert client.get(f"/attempts/{attempt.id}").status_code == 200
    recording.set()
    resp = client.post(
        f"/attempts/{attempt.id}/save", json={"position": 1, "answer": {"choices": [0]}}
    )
    save, seen[:] = list(seen), []
    page = client.get(f"/attempts/{attempt.id}")
    recording.clear()
    app_db.session.remove()
    engine.dispose()
    assert resp.status_code == 200 and resp.get_json()["ok"], resp.get_data(as_text=True)
    assert page.status_code == 200
    update = next(i for i, s in enumerate(save) if s.startswith("UPDATE attempt_question"))
    assert save[-1] == "COMMIT" and save.count("COMMIT") == 1, save
    assert seen[-1] == "COMMIT" and seen.count("COMMIT") == 1, seen
    assert not any(s.startswith(("UPDATE", "INSERT", "DELETE")) for s in seen), seen
    if sqlite:
        assert save[0] == "BEGIN IMMEDIATE" and update > 0, save
        assert seen[0] == "BEGIN" and "BEGIN IMMEDIATE" not in seen, seen
    else:
        assert "BEGIN IMMEDIATE" not in save + seen
