"""Fixtures: a real database per test session, each test inside a rolled-back transaction."""

from __future__ import annotations

import os
from datetime import UTC, datetime

import pytest
from hypothesis import settings as hypothesis_settings
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from quizapp import connect_listeners, create_app
from quizapp import models as _models  # noqa: F401  (every table on the metadata)
from quizapp.clock import SettableClock
from quizapp.db import Base, make_engine
from quizapp.extensions import db as app_db

# The gate (make test, CI) replays the same generated examples on every run, so that a red
# run is never a matter of luck; HYPOTHESIS_PROFILE=explore draws new ones each run (use it
# when changing a parser: `HYPOTHESIS_PROFILE=explore .venv/bin/pytest tests/unit`).
hypothesis_settings.register_profile("gate", derandomize=True)
hypothesis_settings.register_profile("explore", derandomize=False)
hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "gate"))

# The frozen instant every test starts from: 10:00 in Hà Nội / TP.HCM. QUIZAPP_TEST_NOW (an ISO
# date-time with offset) moves it, so that a run far from this date proves no date is
# hard-wired (scripts/test.sh runs a leg at the real date + 400 days).
NOW = datetime.fromisoformat(os.environ.get("QUIZAPP_TEST_NOW") or "2026-11-20T03:00:00+00:00")
assert NOW.tzinfo is not None, "QUIZAPP_TEST_NOW needs an offset, e.g. +00:00"
NOW = NOW.astimezone(UTC)
TEST_SETTINGS = {
    "TESTING": True,
    "SECRET_KEY": "test-secret-key-that-is-long-enough-000000",
    "PII_HASH_KEY": "test-pii-key",
    "WTF_CSRF_ENABLED": False,
    "RATELIMIT_ENABLED": False,
    "RATELIMIT_STORAGE_URI": "memory://",
    "JINJA_STRICT": True,
}


def _database_url(tmp_path_factory, worker: str) -> str:
    url = os.environ.get("QUIZAPP_TEST_DATABASE_URL")
    if not url:
        return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"
    base = make_url(url)
    name = f"{base.database}_{worker}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return base.set(database=name).render_as_string(hide_password=False)


@pytest.fixture(scope="session", autouse=True)
def listeners():
    """The domains' event receivers, connected as create_app connects them, for the service
    tests that make no app (quizapp/events.py)."""
    connect_listeners()


@pytest.fixture(scope="session")
def database_url(tmp_path_factory, worker_id):
    return _database_url(tmp_path_factory, worker_id)


@pytest.fixture(scope="session")
def engine(database_url):
    eng = make_engine(database_url)
    Base.metadata.create_all(eng)
    yield eng
    eng.dispose()


@pytest.fixture()
def connection(engine):
    conn = engine.connect()
    trans = conn.begin()
    yield conn
    trans.rollback()
    conn.close()


@pytest.fixture(scope="session")
def files_dir(tmp_path_factory):
    """Keys, cached PDFs and uploads of the test apps (never the repository's instance/)."""
    root = tmp_path_factory.mktemp("files")
    return {
        "SIGNING_KEY_DIR": str(root / "keys"),
        "CERT_CACHE_DIR": str(root / "cache"),
        "UPLOADS_DIR": str(root / "uploads"),
    }


@pytest.fixture()
def clock():
    """The test's clock: frozen at NOW, moved by the test (`clock.advance(minutes=20)`).
    The app reads it for every request, CLI command and column default."""
    return SettableClock(NOW)


@pytest.fixture()
def app(engine, connection, files_dir, clock):
    application = create_app({**TEST_SETTINGS, **files_dir, "ENGINE": engine}, clock=clock)
    app_db.rebind(connection)
    yield application
    app_db.session.remove()


@pytest.fixture()
def csrf_app(engine, connection, files_dir, clock):
    application = create_app(
        {**TEST_SETTINGS, **files_dir, "ENGINE": engine, "WTF_CSRF_ENABLED": True}, clock=clock
    )
    app_db.rebind(connection)
    yield application
    app_db.session.remove()


@pytest.fixture()
def app_with(engine, connection, files_dir, clock):
    """Build an app with extra settings (e.g. rate limits on): `app_with(LOGIN_RATE_LIMIT=…)`."""

    def build(**settings):
        application = create_app(
            {**TEST_SETTINGS, **files_dir, "ENGINE": engine, **settings}, clock=clock
        )
        app_db.rebind(connection)
        return application

    yield build
    app_db.session.remove()


@pytest.fixture()
def session(connection):
    """The test's own session on the test transaction (commits never reach the database)."""
    s = Session(bind=connection, join_transaction_mode="rollback_only", expire_on_commit=False)
    yield s
    s.close()


@pytest.fixture()
def client(app):
    return app.test_client()


@pytest.fixture()
def runner(app):
    return app.test_cli_runner()


@pytest.fixture()
def now(clock):
    """The time the test starts at (the clock's, before the test moves it)."""
    return clock.now()


@pytest.fixture()
def login_as(client, session):
    """Log the test client in as a new user: role is "admin", "organiser" (of `unit`) or
    "member" (on `unit`'s roster). Returns the user."""
    from tests.factories import make_user

    def _login(role: str, unit=None, **kwargs):
        user = make_user(session, role=role, unit=unit, **kwargs)
        session.commit()
        resp = client.post(
            "/login", data={"identifier": user.email or user.phone, "password": "correct horse"}
        )
        assert resp.status_code == 302, resp.get_data(as_text=True)[:500]
        return user

    return _login


def pytest_sessionstart(session):
    """Compile the message catalogues when a .po is newer than its .mo (fresh checkouts)."""
    from pathlib import Path

    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    for po in Path(__file__).resolve().parents[1].glob("quizapp/translations/*/LC_MESSAGES/*.po"):
        mo = po.with_suffix(".mo")
        if not mo.exists() or mo.stat().st_mtime < po.stat().st_mtime:
            with open(po, "rb") as fh:
                catalog = read_po(fh)
            with open(mo, "wb") as fh:
                write_mo(fh, catalog)
