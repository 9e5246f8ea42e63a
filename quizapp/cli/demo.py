"""`flask --app wsgi …` commands for the demo data of `make run`: units, members, a contest
and some activity."""

from __future__ import annotations

import click
from flask import Flask, current_app
from flask.cli import with_appcontext

from quizapp.cli import writes
from quizapp.clock import utcnow
from quizapp.extensions import db


def register(app: Flask) -> None:
    @app.cli.command("seed-demo")
    @click.option("--if-empty", is_flag=True, help="Do nothing when units already exist.")
    @with_appcontext
    @writes
    def seed_demo(if_empty):
        """Load the demo province (units, ~300 members, admin and organisers)."""
        from quizapp.demo import DEMO_PASSWORD, load_demo

        created = load_demo(
            db.session, pii_key=current_app.config["PII_HASH_KEY"], now=utcnow(), if_empty=if_empty
        )
        db.session.commit()
        if created:
            click.echo("Demo data loaded.")
        click.echo(f"Demo logins (password for all: {DEMO_PASSWORD}):")
        for line in created or _demo_lines():
            click.echo(f"  {line}")

    def _demo_lines():
        from quizapp.demo import demo_logins

        return demo_logins()

    @app.cli.command("seed-demo-contest")
    @with_appcontext
    @writes
    def seed_demo_contest():
        """A published two-round contest on the shipped Cybersecurity Law bank (demo)."""
        from quizapp.demo import load_demo_contest

        slug = load_demo_contest(db.session, now=utcnow())
        db.session.commit()
        if slug:
            click.echo(f"Demo contest: {current_app.config['BASE_URL']}/c/{slug}")

    @app.cli.command("seed-demo-activity")
    @with_appcontext
    @writes
    def seed_demo_activity():
        """Demo members study the programmes and take the open round (demo), then the
        indicators are snapshotted; skipped once anybody has taken part."""
        from quizapp.demo_activity import load_demo_activity
        from quizapp.indicators import services as I

        moment = utcnow()
        counts = load_demo_activity(db.session, now=moment)
        db.session.commit()
        if counts:
            click.echo(f"Demo activity: {counts['members']} members, {counts['attempts']} attempts")
            I.load_shipped(db.session, moment)
            I.snapshot_all(db.session, moment, reason="manual")
            db.session.commit()
