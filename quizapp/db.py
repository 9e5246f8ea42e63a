"""Declarative base with a naming convention, a UTC datetime type, the engine's tuning and
the session of each app context (a request, a CLI command)."""

from __future__ import annotations

import fcntl
import os
import sqlite3
import threading
import time
from datetime import UTC, datetime
from typing import Any

from flask import g, has_app_context, has_request_context, request
from sqlalchemy import DateTime, MetaData, create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import DeclarativeBase, Session, scoped_session, sessionmaker
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


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

    def result_processor(self, dialect: Any, coltype: Any):
        """On SQLite, the stored text parsed straight into an aware UTC datetime: 0.15 µs
        against 1.3 µs for parsing then attaching the zone with `replace` (a national round's
        ranking reads 3,000,000 of them; `make bench-participation`)."""
        if dialect.name != "sqlite":
            return super().result_processor(dialect, coltype)
        parse = datetime.fromisoformat

        def process(value):
            if isinstance(value, str):
                try:
                    value = parse(value + "+00:00")  # stored naive, in UTC
                except ValueError:  # written by hand with an offset
                    value = parse(value)
                if value.tzinfo is UTC:
                    return value
            return self.process_result_value(value, dialect)

        return process


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: UTCDateTime()}


SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
IMMEDIATE = "quizapp_sqlite_immediate"  # the execution option of `Database.write_now`


WRITES = "quizapp_writes"  # in `g`: this app context (a CLI command) writes


def _starts_writing(conn) -> bool:
    """Whether a SQLite transaction takes the write lock at once (BEGIN IMMEDIATE): in a
    request, chosen by its HTTP method (a GET that must write asks with `Database.write_now`);
    outside requests, when the app context says it writes (`writes_outside_requests`, the
    CLI commands that write); a script that only reads never holds the lock."""
    if conn.get_execution_options().get(IMMEDIATE):
        return True
    if has_request_context():
        return request.method not in SAFE_METHODS
    return has_app_context() and g.get(WRITES, False)


class WriteGate:
    """One SQLite write transaction of this machine at a time, queued fairly: a thread lock
    inside the process and an flock on a file beside the database across processes (gunicorn
    workers, CLI commands). A waiter wakes the moment the holder's connection is returned
    after its COMMIT or ROLLBACK, where SQLite's own busy handler polls with sleeps that grow
    to 100 ms: measured by `make bench` (bench/README.md), answer saves at saturation on
    SQLite went from 1,064 to 369 a second without it, p95 from 27 to 530 ms."""

    # Another process's holder is polled for: first soon (a save holds the lock for about a
    # millisecond), then less often (an import may hold it for seconds).
    FIRST_PAUSE, LAST_PAUSE = 0.0001, 0.002

    def __init__(self, path: str, timeout: float) -> None:
        self.path, self.timeout = path + "-writelock", timeout
        self._lock = threading.Lock()
        self._fd: int | None = None
        self._pid = 0

    def _file(self) -> int:
        if self._pid != os.getpid():  # a forked worker opens its own descriptor
            self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
            self._pid = os.getpid()
        return self._fd

    def acquire(self) -> None:
        deadline = time.monotonic() + self.timeout
        if not self._lock.acquire(timeout=self.timeout):
            raise sqlite3.OperationalError("database is locked (write gate)")
        try:
            fd = self._file()
            pause = self.FIRST_PAUSE
            while True:  # only one thread per process waits here
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    return
                except BlockingIOError:
                    if time.monotonic() > deadline:
                        raise sqlite3.OperationalError("database is locked (write gate)") from None
                    time.sleep(pause)
                    pause = min(pause * 2, self.LAST_PAUSE)
        except BaseException:
            self._lock.release()
            raise

    def release(self) -> None:
        try:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
        finally:
            self._lock.release()


def _sqlite_file(engine: Engine) -> str | None:
    name = engine.url.database
    if not name or name == ":memory:" or name.startswith("file:"):
        return None
    return name


_GATE_HELD = "quizapp_write_gate"  # in the pooled connection's info while it holds the gate


def _tune_sqlite(engine: Engine, foreign_keys: bool = True) -> None:
    """The pysqlite recipe of SQLAlchemy's documentation ("Serializable isolation /
    Savepoints / Transactional DDL"): the driver's own transaction handling is turned off and
    SQLAlchemy's "begin" event emits BEGIN itself; here BEGIN IMMEDIATE for transactions that
    write, so that a read lock is never upgraded (an upgrade fails at once with "database is
    locked" when another writer committed meanwhile; BEGIN IMMEDIATE waits `busy_timeout`)."""

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

    path = _sqlite_file(engine)
    gate = WriteGate(path, timeout=10) if path else None

    @event.listens_for(engine, "begin")
    def _begin(conn):  # pragma: no cover - driver hook
        if not _starts_writing(conn):
            conn.exec_driver_sql("BEGIN")
            return
        if gate is not None and not conn.info.get(_GATE_HELD):
            gate.acquire()
            conn.info[_GATE_HELD] = True
        conn.exec_driver_sql("BEGIN IMMEDIATE")

    # The gate opens when the connection is back in the pool: after the COMMIT or ROLLBACK
    # that ended its transaction (the session returns it then; the pool rolls back one
    # returned without either before this event).
    @event.listens_for(engine.pool, "checkin")
    def _checkin(_dbapi_connection, record):  # pragma: no cover - driver hook
        if record.info.pop(_GATE_HELD, False):
            gate.release()


IDLE_PING_SECONDS = 30.0


def _ping_when_idle(engine: Engine, idle: float) -> None:
    """Check a pooled server connection before handing it out only if it sat unused in the
    pool for more than `idle` seconds.

    SQLAlchemy's `pool_pre_ping` checks on every checkout: one more round trip for every
    request (0.1–0.2 ms of a verification page or an answer save in process, measured on
    PostgreSQL). Connections that die are the ones left idle — a server restart or an idle
    timeout during a quiet night; under load a connection goes back to work within
    milliseconds. A dead connection found here is replaced at once (the pool retries the
    checkout); one that dies while in use fails its request and SQLAlchemy then replaces
    every connection of the pool."""

    @event.listens_for(engine.pool, "checkin")
    def _checkin(dbapi_connection, record):  # pragma: no cover - driver hook
        if dbapi_connection is not None:  # None once invalidated
            record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine.pool, "checkout")
    def _checkout(dbapi_connection, record, _proxy):  # pragma: no cover - driver hook
        since = record.info.pop("idle_since", None)
        if since is None or time.monotonic() - since <= idle:
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except Exception as exc:  # any driver error: this connection is not usable
            raise DisconnectionError("connection lost while idle in the pool") from exc


def make_engine(
    url: str,
    echo: bool = False,
    *,
    foreign_keys: bool = True,
    pool_size: int | None = None,
    idle_ping: float = IDLE_PING_SECONDS,
) -> Engine:
    """`pool_size`: connections kept open per process; one per worker thread, so that a busy
    worker never waits for a connection nor opens and closes extra ones (docs/deploying.md
    sizes PostgreSQL's max_connections from it). `idle_ping`: a server connection
    idle longer than this is checked before use (see `_ping_when_idle`)."""
    kwargs: dict[str, Any] = {"echo": echo, "future": True}
    if url.startswith("sqlite"):
        kwargs["connect_args"] = {"check_same_thread": False, "timeout": 10}
    if pool_size and not url.startswith("sqlite:///:memory:") and url != "sqlite://":
        kwargs.update(pool_size=pool_size, max_overflow=2, pool_timeout=10)
    engine = create_engine(url, **kwargs)
    if engine.dialect.name == "sqlite":
        _tune_sqlite(engine, foreign_keys)
    else:
        _ping_when_idle(engine, idle_ping)
    return engine


def _app_context_scope() -> Any:
    """One session per app context (each request, each CLI command has its own): a token
    kept in `g`; outside any context (tests' set-up, scripts) one per thread."""
    if has_app_context():
        return g.setdefault("_quizapp_db_scope", object())
    return threading.get_ident()


_AFTER_COMMIT = "quizapp_after_commit"


class Database:
    """Engine and a session scoped to the Flask app context (removed at teardown). A request
    is one unit of work: `quizapp.web` commits the session after every request that ends
    without an exception, and the error handlers roll back."""

    def __init__(self) -> None:
        self.engine: Engine | None = None
        self._factory: sessionmaker | None = None
        self.session: scoped_session[Session] | Any = None

    def init_app(self, app, engine: Engine | None = None, session_info: dict | None = None) -> None:
        """`session_info` is copied into every session's `Session.info` (what the services of
        this app need beside the connection, e.g. the certificate issuer: quizapp/events.py)."""
        self.engine = engine or make_engine(
            app.config["DATABASE_URL"],
            app.config["SQL_ECHO"],
            pool_size=app.config.get("DB_POOL_SIZE"),
        )
        self._factory = sessionmaker(
            bind=self.engine, expire_on_commit=False, info=dict(session_info or {})
        )

        @event.listens_for(self._factory, "after_commit")
        def _after_commit(session):
            for action in session.info.pop(_AFTER_COMMIT, ()):
                action()

        @event.listens_for(self._factory, "after_rollback")
        def _after_rollback(session):
            session.info.pop(_AFTER_COMMIT, None)

        self.session = scoped_session(self._factory, scopefunc=_app_context_scope)
        app.extensions["quizapp_db"] = self

        @app.teardown_appcontext
        def _remove_session(_exc):
            self.session.remove()

    def after_commit(self, action) -> None:
        """Run `action()` once the request's changes are committed (dropping a cached ranking
        they change: dropped earlier, another request could cache the old figures again);
        never if they are rolled back."""
        self.session.info.setdefault(_AFTER_COMMIT, []).append(action)

    def writes_outside_requests(self) -> None:
        """This app context (a CLI command) writes: its transactions begin IMMEDIATE."""
        g.setdefault(WRITES, True)

    def write_now(self) -> None:
        """A request that only reads by its method (a GET) must write after all (an attempt
        whose time is up is submitted when its page is opened): its read transaction ends and
        the next one takes SQLite's write lock at once. What was loaded is read again
        (a rollback expires it). On PostgreSQL the same transaction goes on."""
        if self.engine.dialect.name != "sqlite":
            return
        self.session.rollback()
        self.session.connection(execution_options={IMMEDIATE: True})

    def rebind(self, bind) -> None:
        """Point new sessions at another bind (tests wrap each test in a transaction)."""
        self.session.remove()
        self._factory.configure(bind=bind, join_transaction_mode="create_savepoint")
