"""Declarative base with a naming convention, a UTC datetime type and the session holder."""

from __future__ import annotations

from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime, MetaData, create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Session, scoped_session, sessionmaker
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


# Set by requests that write (and by CLI commands): on SQLite their transactions start with
# BEGIN IMMEDIATE, taking the write lock at once, so that a read lock is never upgraded (an
# upgrade can fail at once with "database is locked" instead of waiting busy_timeout).
write_intent: ContextVar[bool] = ContextVar("write_intent", default=False)


class UTCDateTime(TypeDecorator):
    """Timezone-aware datetimes, stored as UTC (naive on SQLite, timestamptz on PostgreSQL)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; pass an aware datetime (UTC)")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: UTCDateTime()}


def utcnow() -> datetime:
    return datetime.now(UTC)


def _tune_sqlite(engine: Engine, foreign_keys: bool = True) -> None:
    # pysqlite's own transaction handling breaks SAVEPOINT and defers BEGIN; take control
    # (SQLAlchemy docs, "Serializable isolation / Savepoints / Transactional DDL").
    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection, _record):  # pragma: no cover - driver hook
        dbapi_connection.isolation_level = None
        cur = dbapi_connection.cursor()
        # Migrations turn enforcement off: SQLite "batch" migrations recreate tables, and
        # dropping a parent table would otherwise cascade-delete its children's rows.
        cur.execute(f"PRAGMA foreign_keys={'ON' if foreign_keys else 'OFF'}")
        cur.execute("PRAGMA busy_timeout=10000")
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.close()

    @event.listens_for(engine, "begin")
    def _begin(conn):  # pragma: no cover - driver hook
        conn.exec_driver_sql("BEGIN IMMEDIATE" if write_intent.get() else "BEGIN")


def make_engine(url: str, echo: bool = False, *, foreign_keys: bool = True) -> Engine:
    kwargs: dict[str, Any] = {"echo": echo, "future": True}
    if url.startswith("sqlite"):
        kwargs["connect_args"] = {"check_same_thread": False, "timeout": 10}
    else:
        kwargs["pool_pre_ping"] = True
    engine = create_engine(url, **kwargs)
    if engine.dialect.name == "sqlite":
        _tune_sqlite(engine, foreign_keys)
    return engine


def _app_context_scope() -> int:
    """One session per pushed app context (each request has its own); outside any context
    (CLI set-up, tests) one per thread."""
    import threading

    from flask.globals import _cv_app

    ctx = _cv_app.get(None)
    return id(ctx) if ctx is not None else threading.get_ident()


class Database:
    """Engine and a session scoped to the Flask app context (removed at teardown)."""

    def __init__(self) -> None:
        self.engine: Engine | None = None
        self._factory: sessionmaker | None = None
        self.session: scoped_session[Session] | Any = None

    def init_app(self, app, engine: Engine | None = None) -> None:
        self.engine = engine or make_engine(app.config["DATABASE_URL"], app.config["SQL_ECHO"])
        self._factory = sessionmaker(bind=self.engine, expire_on_commit=False)
        self.session = scoped_session(self._factory, scopefunc=_app_context_scope)
        app.extensions["quizapp_db"] = self

        @app.teardown_appcontext
        def _remove_session(_exc):
            self.session.remove()

    def rebind(self, bind) -> None:
        """Point new sessions at another bind (tests wrap each test in a transaction)."""
        self.session.remove()
        self._factory.configure(bind=bind, join_transaction_mode="create_savepoint")
