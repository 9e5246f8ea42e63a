"""Alembic migrations build exactly the schema the models describe (SQLite and PostgreSQL)."""

import os

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from quizapp import create_app
from quizapp.cli import alembic_config
from quizapp.db import Base, make_engine


def _fresh_url(tmp_path, worker_id) -> str:
    url = os.environ.get("QUIZAPP_TEST_DATABASE_URL")
    if not url:
        return f"sqlite:///{tmp_path / 'migrated.db'}"
    base = make_url(url)
    name = f"{base.database}_mig_{worker_id}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return base.set(database=name).render_as_string(hide_password=False)


def test_upgrade_head_matches_models(tmp_path, worker_id):
    url = _fresh_url(tmp_path, worker_id)
    app = create_app({"TESTING": True, "SECRET_KEY": "x" * 40, "DATABASE_URL": url})
    with app.app_context():
        command.upgrade(alembic_config(), "head")
    engine = make_engine(url)
    with engine.connect() as conn:
        diff = compare_metadata(
            MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata
        )
    engine.dispose()
    assert diff == [], diff
    from quizapp.extensions import db

    db.session.remove()
    db.engine.dispose()
