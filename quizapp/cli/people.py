"""`flask --app wsgi …` commands for accounts and rosters: the first admin, roster import."""

from __future__ import annotations

import os
import sys

import click
from flask import Flask, current_app
from flask.cli import with_appcontext

from quizapp.cli import writes
from quizapp.clock import utcnow
from quizapp.extensions import db
from quizapp.spreadsheets import XlsxLimits


def register(app: Flask) -> None:
    @app.cli.command("create-admin")
    @click.option("--name", required=True)
    @click.option("--email", default=None)
    @click.option("--phone", default=None)
    @click.password_option()
    @with_appcontext
    @writes
    def create_admin(name, email, phone, password):
        """Create an administrator account."""
        from quizapp.auth.services import create_account

        create_account(
            db.session,
            display_name=name,
            email=email,
            phone=phone,
            password=password,
            is_admin=True,
            now=utcnow(),
        )
        db.session.commit()
        click.echo("administrator created")

    @app.cli.command("import-roster")
    @click.argument("path", type=click.Path(exists=True, dir_okay=False))
    @click.option("--kind", type=click.Choice(["members", "units"]), default="members")
    @click.option("--dry-run", is_flag=True, help="Only show what would change.")
    @with_appcontext
    @writes
    def import_roster(path, kind, dry_run):
        """Import units or members from an XLSX/CSV roster file (all or nothing)."""
        from flask_babel import force_locale

        from quizapp.orgs.importing import apply_import, plan_import
        from quizapp.policy import SYSTEM
        from quizapp.web import t

        with open(path, "rb") as fh:
            content = fh.read()
        name = os.path.basename(path)
        plan = plan_import(
            db.session,
            kind,
            name,
            content,
            actor=SYSTEM,
            pii_key=current_app.config["PII_HASH_KEY"],
            limits=XlsxLimits.from_config(current_app.config),
        )
        with force_locale("vi"):
            for p in plan.problems:
                click.echo(
                    f"{name}: dòng {p.row}, cột {p.column}: {t(p.message, p.params)}", err=True
                )
        click.echo(
            f"create {len(plan.creates)}, update {len(plan.updates)}, "
            f"unchanged {plan.unchanged}, rejected {len(plan.problems)}"
        )
        if not plan.ok:
            sys.exit(1)
        if not dry_run:
            apply_import(
                db.session,
                kind,
                name,
                content,
                actor=SYSTEM,
                pii_key=current_app.config["PII_HASH_KEY"],
                now=utcnow(),
            )
            db.session.commit()
            click.echo("imported")
