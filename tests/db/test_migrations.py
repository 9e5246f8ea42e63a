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


def test_upgrades_keep_existing_rows(tmp_path):
    """Batch migrations on SQLite recreate tables: rows of child tables must survive
    (a cascade on the dropped parent once deleted every round of every contest)."""
    from datetime import UTC, datetime, timedelta

    from sqlalchemy import text as sql

    url = f"sqlite:///{tmp_path / 'rows.db'}"
    app = create_app({"TESTING": True, "SECRET_KEY": "x" * 40, "DATABASE_URL": url})
    with app.app_context():
        command.upgrade(alembic_config(), "96f60c2cdbc9")  # contests, before later changes
    engine = make_engine(url)
    now = datetime(2026, 11, 20, tzinfo=UTC).replace(tzinfo=None)
    with engine.begin() as conn:
        conn.execute(sql("INSERT INTO unit_type (key, name, sort_order) VALUES ('p','P',1)"))
        conn.execute(
            sql(
                "INSERT INTO unit (id, code, name, name_folded, type_key, path, depth,"
                " created_at) VALUES (1,'AG','AG','ag','p','/1/',0,:t)"
            ),
            {"t": now},
        )
        conn.execute(
            sql(
                "INSERT INTO bank (id, key, title, description, language,"
                " owner_unit_id, shared, created_at, updated_at) VALUES"
                " (1,'b','B','','vi',1,1,:t,:t)"
            ),
            {"t": now},
        )
        conn.execute(
            sql(
                "INSERT INTO contest (id, slug, title, description, rules,"
                " owner_unit_id, eligibility, unit_ids, populations, one_page, status,"
                " created_at) VALUES (1,'abc','C','','',1,'subtree','[]','[]',0,"
                "'draft',:t)"
            ),
            {"t": now},
        )
        conn.execute(
            sql(
                "INSERT INTO contest_round (id, contest_id, number, title, opens_at,"
                " closes_at, time_limit_s, bank_id, blueprint, fixed_keys,"
                " shuffle_questions, shuffle_options, attempts_allowed, counting,"
                " pass_mark, review, prediction, grace_s) VALUES (1,1,1,'T1',:t,:u,"
                "600,1,'[]','[]',1,1,1,'best',50,'after_close',1,30)"
            ),
            {"t": now, "u": now + timedelta(days=1)},
        )
    engine.dispose()
    # Answers saved before choice_mask existed (written without foreign-key checks: the
    # user and the question version do not matter here).
    import sqlite3

    raw = sqlite3.connect(tmp_path / "rows.db")
    raw.execute(
        "INSERT INTO attempt (id, round_id, user_id, number, preview, status, seed,"
        " started_at, deadline_at, device, question_count) VALUES"
        " (1, 1, 1, 1, 0, 'submitted', 7, '2026-11-20', '2026-11-20', '', 3)"
    )
    for position, response in ((1, '{"choices": [0, 2]}'), (2, '{"value": true}'), (3, None)):
        raw.execute(
            "INSERT INTO attempt_question (attempt_id, position, version_id, option_order,"
            " response, flagged) VALUES (1, ?, 1, '[]', ?, 0)",
            (position, response),
        )
    raw.commit()
    raw.close()
    with app.app_context():
        command.upgrade(alembic_config(), "head")
    engine = make_engine(url)
    with engine.connect() as conn:
        assert conn.execute(sql("SELECT count(*) FROM contest_round")).scalar() == 1
        prizes = conn.execute(sql("SELECT prizes FROM contest_round")).scalar()
        assert "first" in prizes
        masks = conn.execute(
            sql("SELECT position, choice_mask FROM attempt_question ORDER BY position")
        ).all()
        assert [tuple(m) for m in masks] == [(1, 0b101), (2, None), (3, None)]
    engine.dispose()
    from quizapp.extensions import db

    db.session.remove()
    db.engine.dispose()
