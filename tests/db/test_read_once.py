"""`Database.read_once`: one read-only statement outside the request's ORM session, on a
pooled connection of the app's own engine; on PostgreSQL in autocommit (no BEGIN and
ROLLBACK round trips), on SQLite without BEGIN."""

from sqlalchemy import event, text

from quizapp import create_app
from quizapp.db import make_engine
from quizapp.extensions import db
from tests.conftest import TEST_SETTINGS


def test_read_once_sees_committed_rows_outside_the_session(database_url, files_dir):
    engine = make_engine(database_url)
    app = create_app({**TEST_SETTINGS, **files_dir, "ENGINE": engine})
    try:
        with app.test_request_context("/"):
            db.session.execute(text("CREATE TABLE IF NOT EXISTS read_once_probe (n integer)"))
            db.session.execute(text("DELETE FROM read_once_probe"))
            db.session.execute(text("INSERT INTO read_once_probe VALUES (7)"))
            db.session.commit()
            rows = db.read_once(text("SELECT n FROM read_once_probe WHERE n = :n"), {"n": 7})
            assert [r.n for r in rows] == [7]
            assert db.read_once(text("SELECT n FROM read_once_probe WHERE n = 8"), {}) == []
            if engine.dialect.name == "postgresql":
                # psycopg sends no BEGIN (nor ROLLBACK) on a connection in autocommit
                modes = []

                @event.listens_for(engine, "before_cursor_execute")
                def record(conn, *_args):
                    modes.append(conn.connection.dbapi_connection.autocommit)

                db.read_once(text("SELECT 1"), {})
                db.session.execute(text("SELECT 1"))
                event.remove(engine, "before_cursor_execute", record)
                assert modes == [True, False]
            else:
                # SQLite: the one SELECT runs without BEGIN (it reads a snapshot of its own);
                # the session's own reads still begin a transaction
                sent = []

                @event.listens_for(engine, "before_cursor_execute")
                def record_sql(_conn, _cursor, statement, *_args):
                    sent.append(statement)

                db.read_once(text("SELECT 1"), {})
                db.session.execute(text("SELECT 2"))
                event.remove(engine, "before_cursor_execute", record_sql)
                assert sent == ["SELECT 1", "BEGIN", "SELECT 2"]
            db.session.rollback()
            db.session.execute(text("DROP TABLE read_once_probe"))
            db.session.commit()
    finally:
        db.session.remove()
        engine.dispose()
