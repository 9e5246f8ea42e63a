"""`flask --app wsgi …` commands: the database here; the others by subject in this package
(people, demo, certificates, content, indicators, ops: backup, restore, purge)."""

from __future__ import annotations

import os

import click
from flask import Flask, current_app
from flask.cli import with_appcontext

from quizapp.clock import utcnow
from quizapp.extensions import db


def writes(command):
    """A CLI command that writes: its SQLite transactions take the write lock at once
    (`Database.writes_outside_requests`), as a request that writes does."""
    import functools

    from quizapp.extensions import db

    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        db.writes_outside_requests()
        return command(*args, **kwargs)

    return wrapper


def alembic_config():
    from alembic.config import Config

    here = os.path.dirname(os.path.dirname(__file__))
    cfg = Config()
    cfg.set_main_option("script_location", os.path.join(here, "migrations"))
    cfg.set_main_option("sqlalchemy.url", current_app.config["DATABASE_URL"])
    return cfg


def upgrade_database() -> None:
    from alembic import command

    command.upgrade(alembic_config(), "head")


def register_cli(app: Flask) -> None:
    from quizapp.cli import certificates, content, demo, indicators, ops, people

    for module in (people, demo, certificates, content, indicators, ops):
        module.register(app)

    @app.cli.group("db")
    def db_group():
        """Database migrations (Alembic)."""

    @db_group.command("upgrade")
    @with_appcontext
    @writes
    def db_upgrade():
        """Apply every migration up to the newest."""
        upgrade_database()
        click.echo("database is up to date")

    @db_group.command("revision")
    @click.option("-m", "--message", required=True)
    @with_appcontext
    @writes
    def db_revision(message):
        """Autogenerate a migration from the models."""
        from alembic import command

        command.revision(alembic_config(), message=message, autogenerate=True)

    @db_group.command("current")
    @with_appcontext
    @writes
    def db_current():
        from alembic import command

        command.current(alembic_config())

    @app.cli.command("sweep-attempts")
    @with_appcontext
    @writes
    def sweep_attempts():
        """Submit every attempt whose time is over (safe to run from cron every minute)."""
        from quizapp.contests.attempts import sweep

        count = sweep(db.session, utcnow(), on_batch=db.session.commit)
        db.session.commit()
        click.echo(f"submitted {count} expired attempts")
