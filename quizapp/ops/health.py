"""Readiness checks (/readyz): each answers "ok" or what is wrong, never raises."""

from __future__ import annotations

from flask import current_app
from sqlalchemy import text

from quizapp.extensions import db


def readiness() -> dict[str, str]:
    checks = {"database": "ok", "migrations": "ok", "signing_keys": "ok"}
    try:
        connection = db.session.connection()
        connection.execute(text("SELECT 1"))
    except Exception:  # any driver error means "not reachable"
        db.session.rollback()
        checks["database"] = "unreachable"
        checks["migrations"] = "unknown"
    else:
        checks["migrations"] = _migrations(connection)
    checks["signing_keys"] = _keys()
    return checks


def _migrations(connection) -> str:
    from quizapp.ops.migrations import code_head, database_revision

    try:
        revision = database_revision(connection)
    except Exception:  # an unreadable alembic_version table
        db.session.rollback()
        return "unreadable"
    if revision is None:
        return "not migrated"
    if revision != code_head():
        return f"at {revision}, code expects {code_head()}"
    return "ok"


def _keys() -> str:
    from quizapp.certificates.signing import KeyStore
    from quizapp.clock import utcnow

    try:
        keys = KeyStore(current_app.config["SIGNING_KEY_DIR"], now=utcnow).keys()
    except (OSError, ValueError, TypeError):
        return "unreadable"
    return "ok" if keys else "missing"
