"""On PostgreSQL a transaction that only read ends with COMMIT instead of ROLLBACK, so that
psycopg keeps the connection's prepared statements (it forgets them all at each ROLLBACK and
PostgreSQL then plans every statement again); a transaction that wrote is still rolled back
(real PostgreSQL; skipped on SQLite, whose driver prepares nothing across statements)."""

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from quizapp.db import make_engine


@pytest.fixture()
def engine(database_url):
    if not database_url.startswith("postgresql"):
        pytest.skip("prepared statements across requests: PostgreSQL (psycopg) only")
    eng = make_engine(database_url, pool_size=1)
    with eng.begin() as conn:
        conn.execute(text("CREATE TEMP TABLE kept (x int) ON COMMIT PRESERVE ROWS"))
    yield eng
    eng.dispose()


def _prepared(conn) -> list[str]:
    rows = conn.execute(text("SELECT statement FROM pg_prepared_statements")).scalars()
    return [s for s in rows if "FROM kept" in s]


def test_statements_stay_prepared_across_read_only_transactions(engine):
    read = text("SELECT count(*) FROM kept WHERE x > :x")
    for i in range(7):  # one "request" each: a transaction that reads, then rolled back
        with engine.connect() as conn:
            conn.execute(read, {"x": i}).scalar_one()
            conn.rollback()
    with engine.connect() as conn:
        assert len(_prepared(conn)) == 1  # prepared at the 6th execution, still there


def test_a_transaction_that_wrote_is_rolled_back(engine):
    with engine.connect() as conn:
        conn.execute(text("INSERT INTO kept VALUES (1)"))
        conn.rollback()
        assert conn.execute(text("SELECT count(*) FROM kept")).scalar_one() == 0
        conn.execute(text("SELECT 1"))  # a read after a write in one transaction…
        conn.execute(text("UPDATE kept SET x = 2"))
        conn.execute(text("SELECT 1"))  # …and a read after it: still a transaction that wrote
        conn.execute(text("INSERT INTO kept VALUES (3)"))
        conn.rollback()
        assert conn.execute(text("SELECT count(*) FROM kept")).scalar_one() == 0
        conn.rollback()


def test_a_failed_transaction_is_rolled_back(engine):
    with engine.connect() as conn:
        with pytest.raises(DBAPIError):
            conn.execute(text("SELECT 1/0"))
        conn.rollback()  # in error: a real rollback, then the connection works again
        assert conn.execute(text("SELECT 2")).scalar_one() == 2
        conn.rollback()


def test_each_transaction_starts_clean(engine):
    """A write in one transaction does not make the next (read-only) one roll back, nor a read
    in the next hide the write of the one after."""
    with engine.connect() as conn:
        conn.execute(text("INSERT INTO kept VALUES (5)"))
        conn.commit()
        conn.execute(text("SELECT count(*) FROM kept")).scalar_one()
        conn.rollback()
        conn.execute(text("DELETE FROM kept"))
        conn.rollback()
        assert conn.execute(text("SELECT count(*) FROM kept")).scalar_one() == 1
        conn.rollback()
