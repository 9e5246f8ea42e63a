"""Server connections are checked before use only after sitting idle in the pool, and a dead
one is then replaced without the request noticing (real PostgreSQL; skipped on SQLite, which
has no server connection to lose)."""

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError

from quizapp.db import make_engine


@pytest.fixture()
def pg_url(database_url):
    if not database_url.startswith("postgresql"):
        pytest.skip("server connections: PostgreSQL only")
    return database_url


def _pid(engine) -> int:
    with engine.connect() as conn:
        return conn.execute(text("SELECT pg_backend_pid()")).scalar_one()


def _terminate(url: str, pid: int) -> None:
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        assert conn.execute(text("SELECT pg_terminate_backend(:p)"), {"p": pid}).scalar_one()
    admin.dispose()


def _count_pings(engine, monkeypatch) -> list:
    pings = []
    real = engine.dialect.do_ping

    def counting(dbapi_connection):
        pings.append(1)
        return real(dbapi_connection)

    monkeypatch.setattr(engine.dialect, "do_ping", counting)
    return pings


def test_busy_pool_does_not_ping(pg_url, monkeypatch):
    engine = make_engine(pg_url, pool_size=1, idle_ping=3600)
    pings = _count_pings(engine, monkeypatch)
    pids = {_pid(engine) for _ in range(20)}
    assert len(pids) == 1 and pings == []  # one connection reused, never pinged
    engine.dispose()


def test_idle_dead_connection_is_replaced_before_use(pg_url, monkeypatch):
    engine = make_engine(pg_url, pool_size=1, idle_ping=0)  # every reuse counts as idle
    pings = _count_pings(engine, monkeypatch)
    first = _pid(engine)
    _terminate(pg_url, first)  # e.g. the server restarted during a quiet night
    second = _pid(engine)  # no error: the ping found it dead, the pool reconnected
    assert second != first and len(pings) == 1
    engine.dispose()


def test_without_the_idle_check_a_dead_connection_fails_once(pg_url):
    """What the check protects from (and why it is needed after idle periods only): a dead
    connection handed out fails its request; SQLAlchemy then replaces the pool's connections."""
    engine = make_engine(pg_url, pool_size=1, idle_ping=3600)
    first = _pid(engine)
    _terminate(pg_url, first)
    with pytest.raises(OperationalError):
        _pid(engine)
    assert _pid(engine) != first
    engine.dispose()
