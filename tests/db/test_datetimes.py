"""Datetimes come back aware and in UTC on both databases, whatever form the stored value
has (on SQLite: the text SQLAlchemy writes, with or without microseconds, or written by
hand with an offset or as a bare date)."""

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import Column, Integer, MetaData, Table, insert, select, text

from quizapp.db import UTCDateTime, make_engine

VALUES = [
    datetime(2026, 11, 22, 23, 30, 5, 123456, tzinfo=UTC),
    datetime(2026, 11, 22, 23, 30, tzinfo=UTC),
    datetime(2026, 7, 1, 0, 0, tzinfo=timezone(timedelta(hours=7))),  # 30/06 17:00 UTC
    None,
]


@pytest.fixture()
def table(database_url):
    engine = make_engine(database_url)
    meta = MetaData()
    t = Table("dt_probe", meta, Column("id", Integer, primary_key=True), Column("at", UTCDateTime))
    meta.drop_all(engine)
    meta.create_all(engine)
    yield engine, t
    meta.drop_all(engine)
    engine.dispose()


def test_round_trip_is_aware_utc(table):
    engine, t = table
    with engine.begin() as conn:
        conn.execute(insert(t), [{"id": i, "at": v} for i, v in enumerate(VALUES)])
        got = conn.execute(select(t.c.at).order_by(t.c.id)).scalars().all()
    assert got == VALUES  # aware datetimes compare by instant
    assert all(g.tzinfo is UTC for g in got if g is not None)
    assert got[2].hour == 17 and got[2].day == 30


def test_sqlite_text_written_by_hand(table):
    engine, t = table
    if engine.dialect.name != "sqlite":
        pytest.skip("stored text: SQLite only")
    stored = {
        1: "2026-11-22 23:30:05.123456",
        2: "2026-11-22 23:30:05",
        3: "2026-11-23 06:30:05+07:00",
        4: "2026-11-22",
    }
    with engine.begin() as conn:
        for i, s in stored.items():
            conn.execute(text("INSERT INTO dt_probe (id, at) VALUES (:i, :s)"), {"i": i, "s": s})
        got = dict(conn.execute(select(t.c.id, t.c.at)).all())
    assert got[1] == datetime(2026, 11, 22, 23, 30, 5, 123456, tzinfo=UTC)
    assert got[2] == got[3] == datetime(2026, 11, 22, 23, 30, 5, tzinfo=UTC)
    assert got[4] == datetime(2026, 11, 22, tzinfo=UTC)
    assert all(v.tzinfo is UTC for v in got.values())
