"""`Database.read_once`: one prepared read-only SELECT outside the request's ORM session, on
a pooled connection's driver directly (SQLite: outside a transaction; PostgreSQL: in
autocommit), returning what SQLAlchemy itself would return."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import JSON, Boolean, Column, Integer, MetaData, String, Table, bindparam, select

from quizapp import create_app
from quizapp.clock import SettableClock
from quizapp.db import UTCDateTime, make_engine
from quizapp.extensions import db
from quizapp.prepared import Prepared
from tests.conftest import TEST_SETTINGS

PROBE = Table(
    "read_once_probe",
    MetaData(),
    Column("n", Integer, primary_key=True),
    Column("name", String(40)),
    Column("flag", Boolean),
    Column("data", JSON),
    Column("at", UTCDateTime),
)
AT = datetime(2026, 3, 9, 23, 30, tzinfo=UTC)


@pytest.fixture()
def app_on_engine(database_url, files_dir):
    engine = make_engine(database_url)
    app = create_app({**TEST_SETTINGS, **files_dir, "ENGINE": engine}, clock=SettableClock(AT))
    PROBE.create(engine, checkfirst=True)
    try:
        with app.test_request_context("/"):
            yield engine
    finally:
        db.session.remove()
        PROBE.drop(engine, checkfirst=True)
        engine.dispose()


def test_read_once_returns_what_sqlalchemy_returns(app_on_engine):
    db.session.execute(PROBE.delete())
    db.session.execute(
        PROBE.insert(),
        [
            {"n": 1, "name": "Hà Nội", "flag": True, "data": {"a": [1, "ư"]}, "at": AT},
            {"n": 2, "name": "Huế", "flag": False, "data": None, "at": None},
            {"n": 3, "name": "Cần Thơ", "flag": None, "data": [], "at": AT + timedelta(days=1)},
        ],
    )
    db.session.commit()
    statements = [  # a parameter, a literal, a datetime parameter (bound by UTCDateTime)
        (select(PROBE).where(PROBE.c.n >= bindparam("n")).order_by(PROBE.c.n), {"n": 1}),
        (select(PROBE.c.n, PROBE.c.data).where(PROBE.c.name == "Huế"), {}),
        (select(PROBE.c.n).where(PROBE.c.at > bindparam("since")), {"since": AT}),
        (select(PROBE.c.n).where(PROBE.c.n == bindparam("n")), {"n": 99}),
    ]
    for statement, params in statements:
        expected = db.session.execute(statement, params).all()
        got = db.read_once(Prepared(statement), params)
        assert [tuple(r) for r in got] == [tuple(r) for r in expected]
    first = db.read_once(Prepared(statements[0][0]), {"n": 1})[0]
    assert first.flag is True and first.data == {"a": [1, "ư"]} and first.at == AT
    assert first.at.tzinfo is not None
    db.session.rollback()


def test_read_once_sees_commits_and_leaves_the_connection_as_it_was(app_on_engine):
    """The pooled connection goes back as it came: on PostgreSQL out of autocommit, so that the
    session's next transaction still rolls back (one connection: used one after another)."""
    count = Prepared(select(PROBE.c.n).where(PROBE.c.n >= bindparam("n")))
    db.session.execute(PROBE.delete())
    db.session.commit()
    assert db.read_once(count, {"n": 0}) == []
    db.session.execute(PROBE.insert(), {"n": 7, "name": "bảy"})
    assert db.read_once(count, {"n": 0}) == []  # not committed yet: another connection
    db.session.commit()
    assert [r.n for r in db.read_once(count, {"n": 0})] == [7]
    for _ in range(3):
        db.read_once(count, {"n": 0})
    db.session.execute(PROBE.insert(), {"n": 8, "name": "tám"})
    db.session.rollback()
    assert [r.n for r in db.read_once(count, {"n": 0})] == [7]
    with app_on_engine.connect() as conn:
        driver = conn.connection.dbapi_connection
        if app_on_engine.dialect.name == "postgresql":
            assert driver.autocommit is False
        else:
            assert driver.in_transaction is False


def test_prepared_columns_need_distinct_names():
    with pytest.raises(ValueError, match="distinct names"):
        Prepared(select(PROBE.c.n, PROBE.c.n.label("n")))


def test_a_failed_read_returns_its_connection_as_it_came(app_on_engine):
    missing = Prepared(select(Table("no_such_table", MetaData(), Column("n", Integer)).c.n))
    with pytest.raises(app_on_engine.dialect.loaded_dbapi.Error):
        db.read_once(missing, {})
    with app_on_engine.connect() as conn:  # one connection, used one after another
        driver = conn.connection.dbapi_connection
        if app_on_engine.dialect.name == "postgresql":
            assert driver.autocommit is False
    db.session.execute(PROBE.insert(), {"n": 9, "name": "chín"})
    db.session.rollback()
    assert db.read_once(Prepared(select(PROBE.c.n).where(PROBE.c.n == 9)), {}) == []
