"""Declarative base with a naming convention, a UTC datetime type and the session holder."""

from __future__ import annotations

import contextlib
import fcntl
import os
import sqlite3
import sys
import threading
import time
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from flask.globals import _cv_app
from sqlalchemy import DateTime, MetaData, create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import DeclarativeBase, Session, scoped_session, sessionmaker
from sqlalchemy.types import TypeDecorator

if TYPE_CHECKING:
    from quizapp.prepared import Prepared

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


class _WriterFirst:
    """While a thread of this process holds or waits for a write gate, the interpreter hands
    the GIL over every half millisecond instead of every five (`sys.setswitchinterval`).

    The holder of SQLite's write lock releases the GIL inside each driver call and must take
    it back between them (BEGIN, UPDATE, COMMIT), and a waiter must take it back to see the
    lock free. With four request threads per worker, another thread running Python keeps the
    GIL for up to the switch interval each time: the write lock, which every writer of the
    machine queues on, was held for milliseconds of waiting on the GIL. Only writes change the
    interval; pages that only read keep Python's default."""

    fast = 0.0005

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._count = 0
        self._saved = 0.0

    def enter(self) -> None:
        with self._lock:
            if self._count == 0:
                self._saved = sys.getswitchinterval()
                sys.setswitchinterval(min(self._saved, self.fast))
            self._count += 1

    def exit(self) -> None:
        with self._lock:
            self._count -= 1
            if self._count == 0:
                sys.setswitchinterval(self._saved)


writer_first = _WriterFirst()


class WriteGate:
    """Lets one SQLite write transaction of this machine run at a time: a thread lock inside
    the process, and an flock on a file beside the database across processes (gunicorn
    workers, CLI commands). A waiter wakes the moment the holder commits, where SQLite's own
    busy handler polls with sleeps that grow to 100 ms: under a burst of saves that polling
    made p95 pass a second and served writers unfairly (measured by `make bench`)."""

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
        writer_first.enter()
        if not self._lock.acquire(timeout=self.timeout):
            writer_first.exit()
            raise sqlite3.OperationalError("database is locked (write gate)")
        try:
            fd = self._file()
            while True:  # only one thread per process waits here
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    return
                except BlockingIOError:
                    if time.monotonic() > deadline:
                        raise sqlite3.OperationalError("database is locked (write gate)") from None
                    time.sleep(0.0005)
        except BaseException:
            self._lock.release()
            writer_first.exit()
            raise

    def release(self) -> None:
        try:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            self._lock.release()
        finally:
            writer_first.exit()


def _sqlite_path(engine: Engine) -> str | None:
    name = engine.url.database
    if not name or name == ":memory:" or name.startswith("file:"):
        return None
    return name


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

    path = _sqlite_path(engine)
    gate = WriteGate(path, timeout=10) if path else None

    @event.listens_for(engine, "begin")
    def _begin(conn):  # pragma: no cover - driver hook
        if not write_intent.get():
            conn.exec_driver_sql("BEGIN")
            return
        if gate is not None:
            gate.acquire()
            conn.info["write_gate"] = True
        try:
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        except BaseException:
            _release(conn.info)
            raise

    def _release(info) -> None:
        if info.pop("write_gate", False):
            gate.release()

    # SQLAlchemy fires these before the driver's COMMIT/ROLLBACK: end the transaction here
    # so that the gate opens only once the write lock of SQLite is free (the driver's own
    # call then finds no transaction and does nothing).
    @event.listens_for(engine, "commit")
    def _commit(conn):  # pragma: no cover - driver hook
        if conn.info.get("write_gate"):
            try:
                conn.connection.dbapi_connection.execute("COMMIT")
            finally:
                _release(conn.info)

    @event.listens_for(engine, "rollback")
    def _rollback(conn):  # pragma: no cover - driver hook
        if conn.info.get("write_gate"):
            try:
                conn.connection.dbapi_connection.execute("ROLLBACK")
            finally:
                _release(conn.info)

    @event.listens_for(engine.pool, "reset")
    def _reset(_dbapi_connection, record, _state):  # pragma: no cover - driver hook
        _release(record.info)  # a connection returned without commit or rollback


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
    worker never waits for a connection nor opens and closes extra ones (the README's "Scale"
    section sizes PostgreSQL's max_connections from it). `idle_ping`: a server connection
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
        if engine.dialect.driver == "psycopg":
            _keep_prepared_statements(engine)
    return engine


def _keep_prepared_statements(engine: Engine) -> None:
    """End a transaction that only read with COMMIT instead of ROLLBACK (the same for a
    transaction that wrote nothing), because psycopg forgets every prepared statement of the
    connection at each ROLLBACK. psycopg prepares a statement after its fifth execution on a
    connection; with every read-only request ending in a rollback, nothing ever stayed
    prepared and PostgreSQL planned every statement again: `pg_stat_statements` measured 0.41 ms
    of planning against 0.07 ms of execution for the dashboard's round query (a dashboard
    request on `--quick` data: 3.6 -> 2.4 ms in process). A transaction that ran anything but
    a statement starting with SELECT (or one in error) is rolled back as before; a SELECT
    that changes data (a function with side effects) would be committed: the app runs none."""
    from psycopg.pq import TransactionStatus

    @event.listens_for(engine, "begin")
    def _begin(conn):  # pragma: no cover - driver hook
        conn.info.pop("wrote", None)

    @event.listens_for(engine, "before_cursor_execute")
    def _note_writes(conn, _cursor, statement, _params, _context, _many):
        if not statement.lstrip()[:6].upper().startswith("SELECT"):
            conn.info["wrote"] = True

    @event.listens_for(engine, "rollback")
    def _rollback(conn):
        if conn.invalidated:  # the connection is gone: SQLAlchemy's rollback deals with it
            return
        wrote = conn.info.pop("wrote", False)
        driver = conn.connection.dbapi_connection
        if wrote or driver is None or driver.info.transaction_status != TransactionStatus.INTRANS:
            return
        with contextlib.suppress(Exception):  # if it fails, the rollback that follows runs
            driver.commit()  # nothing to undo; the rollback that follows finds no transaction


def _app_context_scope() -> int:
    """One session per pushed app context (each request has its own); outside any context
    (CLI set-up, tests) one per thread."""
    ctx = _cv_app.get(None)
    return id(ctx) if ctx is not None else threading.get_ident()


class Database:
    """Engine and a session scoped to the Flask app context (removed at teardown)."""

    def __init__(self) -> None:
        self.engine: Engine | None = None
        self._factory: sessionmaker | None = None
        self.session: scoped_session[Session] | Any = None

    def init_app(self, app, engine: Engine | None = None) -> None:
        self.engine = engine or make_engine(
            app.config["DATABASE_URL"],
            app.config["SQL_ECHO"],
            pool_size=app.config.get("DB_POOL_SIZE"),
        )
        self._factory = sessionmaker(bind=self.engine, expire_on_commit=False)
        self.session = scoped_session(self._factory, scopefunc=_app_context_scope)
        app.extensions["quizapp_db"] = self

        @app.teardown_appcontext
        def _remove_session(_exc):
            self.session.remove()

    def read_once(self, prepared: Prepared, params: dict) -> list:
        """The rows of one prepared read-only SELECT, outside the request's ORM session, on a
        pooled connection's driver directly: no SQLAlchemy Connection, no transaction. On
        SQLite the statement runs outside a transaction (it reads one snapshot of its own);
        on PostgreSQL in autocommit (one round trip instead of BEGIN, SELECT, ROLLBACK; for one
        statement the same result under READ COMMITTED). For the hottest reads: the QR
        verification and a page's login (`auth.sessions.load_session_actor`), where
        SQLAlchemy's execution cost three times the query (0.15 against 0.04 ms on SQLite).
        When the session is bound to a connection (tests), the statement runs on it."""
        bind = self._factory.kw.get("bind")
        if not isinstance(bind, Engine):
            return self.session.connection().execute(prepared.statement, params).all()
        return prepared.run(bind, params)

    def rebind(self, bind) -> None:
        """Point new sessions at another bind (tests wrap each test in a transaction)."""
        self.session.remove()
        self._factory.configure(bind=bind, join_transaction_mode="create_savepoint")
