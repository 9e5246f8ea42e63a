"""`flask --app wsgi …` commands: database, demo data, accounts, roster import."""

from __future__ import annotations

import os
import sys

import click
from flask import Flask, current_app
from flask.cli import with_appcontext

from quizapp.db import utcnow
from quizapp.extensions import db


def writes(command):
    """CLI commands write: their SQLite transactions take the write lock at once."""
    import functools

    from quizapp.db import write_intent

    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        token = write_intent.set(True)
        try:
            return command(*args, **kwargs)
        finally:
            write_intent.reset(token)

    return wrapper


def alembic_config():
    from alembic.config import Config

    here = os.path.dirname(__file__)
    cfg = Config()
    cfg.set_main_option("script_location", os.path.join(here, "migrations"))
    cfg.set_main_option("sqlalchemy.url", current_app.config["DATABASE_URL"])
    return cfg


def upgrade_database() -> None:
    from alembic import command

    command.upgrade(alembic_config(), "head")


def register_cli(app: Flask) -> None:
    register_bank_cli(app)

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

    @app.cli.command("sweep-attempts")
    @with_appcontext
    @writes
    def sweep_attempts():
        """Submit every attempt whose time is over (safe to run from cron every minute)."""
        from quizapp.contests.attempts import sweep

        count = sweep(db.session, utcnow())
        db.session.commit()
        click.echo(f"submitted {count} expired attempts")

    @app.cli.command("issue-certificates")
    @click.option("--contest", "contest_id", type=int, required=True)
    @with_appcontext
    @writes
    def issue_certificates(contest_id):
        """Issue every certificate the contest's submitted attempts have earned (idempotent)."""
        from quizapp.certificates.glue import issuer
        from quizapp.certificates.services import issue_for_contest

        count = issue_for_contest(db.session, contest_id, issuer=issuer(), now=utcnow())
        db.session.commit()
        click.echo(f"issued {count} certificates")

    @app.cli.command("export-certificates")
    @click.option("--contest", "contest_id", type=int)
    @click.option("--round", "round_id", type=int)
    @click.option("--unit", "unit_code", help="Recipients of this unit and its subtree.")
    @click.option("-o", "--output", required=True, type=click.Path(dir_okay=False))
    @with_appcontext
    @writes
    def export_certificates(contest_id, round_id, unit_code, output):
        """Write the valid certificates of a contest, round or unit to one ZIP, with progress."""
        import zipfile

        from sqlalchemy import select

        from quizapp.certificates.lookup import certificates_query
        from quizapp.certificates.models import Certificate
        from quizapp.certificates.render import cached_certificate
        from quizapp.orgs.models import Unit
        from quizapp.policy import SYSTEM

        unit = db.session.scalar(select(Unit).where(Unit.code == unit_code)) if unit_code else None
        if unit_code and unit is None:
            raise click.ClickException(f"no unit {unit_code}")
        stmt = certificates_query(
            SYSTEM, contest_id=contest_id, round_id=round_id, status="valid", unit=unit
        )
        ids = db.session.scalars(stmt.with_only_columns(Certificate.id)).all()
        cfg = current_app.config
        with (
            current_app.test_request_context(),  # templates render as in a request
            zipfile.ZipFile(output, "w", zipfile.ZIP_STORED) as zf,
            click.progressbar(length=len(ids), label="certificates") as bar,
        ):
            for start in range(0, len(ids), 50):
                batch = db.session.scalars(
                    select(Certificate).where(Certificate.id.in_(ids[start : start + 50]))
                ).all()
                for cert in batch:
                    path = cached_certificate(
                        cert,
                        base_url=cfg["BASE_URL"],
                        uploads=cfg["UPLOADS_DIR"],
                        cache=cfg["CERT_CACHE_DIR"],
                    )
                    zf.write(path, f"{cert.serial}.pdf")
                    bar.update(1)
                db.session.expunge_all()
        click.echo(f"wrote {len(ids)} certificates to {output}")

    @app.cli.command("verify-certificate")
    @click.argument("source")
    @click.option(
        "--jwks",
        "jwks_path",
        type=click.Path(exists=True, dir_okay=False),
        help="Published keys (/.well-known/jwks.json); default: this site's keys.",
    )
    @with_appcontext
    def verify_certificate(source, jwks_path):
        """Check a certificate PDF's embedded credential, or a JWS, without the database."""
        import json

        from quizapp.certificates.offline import read_token
        from quizapp.certificates.signing import KeyStore, VerificationError, verify_jws

        if jwks_path:
            with open(jwks_path, encoding="utf-8") as fh:
                keys = json.load(fh)
        else:
            keys = KeyStore(current_app.config["SIGNING_KEY_DIR"]).jwks()
        try:
            payload = verify_jws(read_token(source), keys)
        except (VerificationError, ValueError) as exc:
            click.echo(f"NOT VALID: {exc}")
            sys.exit(1)
        subject = payload["credentialSubject"]
        click.echo(
            f"VALID signature: {subject['name']} — {payload['name']} "
            f"({payload['serial']}, {payload['validFrom'][:10]})"
        )
        click.echo(f"Revocation status: {payload['id']}.json")

    @app.cli.command("rotate-signing-key")
    @with_appcontext
    def rotate_signing_key():
        """Start signing with a new Ed25519 key (old keys stay published)."""
        from quizapp.certificates.signing import KeyStore

        key = KeyStore(current_app.config["SIGNING_KEY_DIR"]).rotate()
        click.echo(f"new signing key {key.kid}")

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


def register_bank_cli(app: Flask) -> None:
    @app.cli.command("import-bank")
    @click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
    @click.option(
        "--unit",
        "unit_code",
        default=None,
        help="Code of the owner unit for new banks (default: the first top-level unit).",
    )
    @with_appcontext
    @writes
    def import_bank_cmd(paths, unit_code):
        """Load or update banks from native YAML files (idempotent; edits become versions)."""
        from flask_babel import force_locale
        from sqlalchemy import select

        from quizapp.banks.parsers.native import load_native
        from quizapp.banks.services import import_bank, plan_bank_import
        from quizapp.orgs.models import Unit
        from quizapp.policy import SYSTEM
        from quizapp.web import t

        unit = (
            db.session.scalar(select(Unit).where(Unit.code == unit_code))
            if unit_code
            else db.session.scalar(select(Unit).where(Unit.parent_id.is_(None)).order_by(Unit.id))
        )
        if unit is None:
            raise click.ClickException("no owner unit: create units first (e.g. seed-demo)")
        failed = False
        for path in paths:
            with open(path, encoding="utf-8") as fh:
                parsed = load_native(fh.read())
            name = os.path.basename(path)
            from quizapp.banks.models import Bank

            bank = (
                db.session.scalar(select(Bank).where(Bank.key == parsed.meta.key))
                if parsed.meta
                else None
            )
            plan = plan_bank_import(db.session, parsed, bank)
            with force_locale("vi"):
                for p in plan.problems:
                    where = f"dòng {p.line}" if p.line else ""
                    click.echo(
                        f"{name}: {where} {p.question or ''}: {p.severity}: "
                        f"{t(p.message, p.params)}",
                        err=True,
                    )
            if not plan.ok:
                failed = True
                continue
            result = import_bank(
                db.session,
                parsed,
                bank=bank,
                owner_unit_id=unit.id,
                actor=SYSTEM,
                now=utcnow(),
                filename=name,
            )
            db.session.commit()
            click.echo(
                f"{name}: {result.bank.key}: created {len(result.created)}, "
                f"new versions {len(result.versioned)}, unchanged {result.unchanged}"
            )
        if failed:
            sys.exit(1)

    @app.cli.command("import-programme")
    @click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
    @click.option("--unit", "unit_code", default=None, help="Code of the owner unit of new ones.")
    @click.option("--from", "starts", default=None, help="Study period start, dd/mm/yyyy.")
    @click.option("--to", "ends", default=None, help="Study period end, dd/mm/yyyy.")
    @click.option("--publish", is_flag=True, help="Publish (and enrol the audience).")
    @with_appcontext
    @writes
    def import_programme_cmd(paths, unit_code, starts, ends, publish):
        """Load or update study programmes from programme files (idempotent, by key).

        The default study period is the current union year, to 15 October."""
        from datetime import date

        from flask_babel import force_locale
        from sqlalchemy import select

        from quizapp.errors import DomainError
        from quizapp.orgs.models import Unit
        from quizapp.policy import SYSTEM
        from quizapp.programmes.importing import import_programme, read_file
        from quizapp.timeutil import local_today, parse_date
        from quizapp.web import t

        unit = (
            db.session.scalar(select(Unit).where(Unit.code == unit_code))
            if unit_code
            else db.session.scalar(select(Unit).where(Unit.parent_id.is_(None)).order_by(Unit.id))
        )
        if unit is None:
            raise click.ClickException("no owner unit: create units first (e.g. seed-demo)")
        moment = utcnow()
        today = local_today(moment)
        start = parse_date(starts) if starts else date(today.year - (today.month < 10), 10, 16)
        if start is not None and start > today:
            start = date(start.year - 1, 10, 16)
        end = parse_date(ends) if ends else date(start.year + 1, 10, 15)
        if start is None or end is None:
            raise click.ClickException("dates are dd/mm/yyyy")
        failed = False
        for path in paths:
            name = os.path.basename(path)
            spec, problems = read_file(db.session, path)
            with force_locale("vi"):
                for p in problems:
                    click.echo(f"{name}: dòng {p.line}: {t(p.message, p.params)}", err=True)
            if spec is None:
                failed = True
                continue
            try:
                result = import_programme(
                    db.session,
                    spec,
                    owner_unit=unit,
                    starts_on=start,
                    ends_on=end,
                    actor=SYSTEM,
                    now=moment,
                    publish=publish,
                )
                db.session.commit()
            except DomainError as exc:
                db.session.rollback()
                with force_locale("vi"):
                    click.echo(f"{name}: {t(exc.message, exc.params)}", err=True)
                failed = True
                continue
            click.echo(
                f"{name}: {spec.key}: {'created' if result.created else 'updated'}, "
                f"lessons added {result.lessons_added}, updated {result.lessons_updated}, "
                f"status {result.programme.status}"
            )
        if failed:
            sys.exit(1)

    @app.cli.command("load-indicator-plans")
    @click.option("--replace", is_flag=True, help="Overwrite admins' edits with the shipped files.")
    @with_appcontext
    @writes
    def load_indicator_plans_cmd(replace):
        """Store the shipped plan indicator definitions (quizapp/indicators/plans)."""
        from quizapp.indicators.services import load_shipped

        done = load_shipped(db.session, utcnow(), replace=replace)
        db.session.commit()
        click.echo(f"plans loaded: {', '.join(done) or 'none (already there)'}")

    @app.cli.command("snapshot-indicators")
    @click.option("--plan", "plan_key", default=None, help="One plan (default: every plan).")
    @click.option("--year", type=int, default=None, help="Reporting year (default: current).")
    @click.option("--reason", type=click.Choice(["monthly", "report", "manual"]), default="monthly")
    @with_appcontext
    @writes
    def snapshot_indicators_cmd(plan_key, year, reason):
        """Snapshot every unit's indicator values (run monthly from cron, and for reports)."""
        from quizapp.indicators import services as I

        moment = utcnow()
        I.load_shipped(db.session, moment)
        for row, plan in I.plans(db.session):
            if plan_key and row.key != plan_key:
                continue
            y = year or I.current_year(plan, moment)
            snap = I.take_snapshot(db.session, row.key, y, moment, reason=reason)
            db.session.commit()
            click.echo(f"{row.key} {y}: snapshot {snap.id} in {snap.seconds:.2f} s")

    @app.cli.command("indicators-report")
    @click.option("--unit", "unit_code", required=True, help="The reporting unit's code.")
    @click.option("--year", type=int, required=True, help="Reporting year (16/10 to 15/10).")
    @click.option("--format", "fmt", type=click.Choice(["xlsx", "pdf"]), default="xlsx")
    @click.option("--plan", "plan_keys", multiple=True, help="A plan (repeat; default: all).")
    @click.option("-o", "--output", type=click.Path(dir_okay=False), default=None)
    @click.option("--refresh", is_flag=True, help="Take a new report snapshot first.")
    @click.option("--place", default="", help="Place before the date (default: unit name).")
    @with_appcontext
    @writes
    def indicators_report_cmd(unit_code, year, fmt, plan_keys, output, refresh, place):
        """Write a unit's annual indicator report (XLSX or PDF) from the year's report
        snapshot, taking one when the year has none."""
        from sqlalchemy import select

        from quizapp.errors import NotFound
        from quizapp.indicators import report as R
        from quizapp.indicators import services as I
        from quizapp.orgs.models import Unit
        from quizapp.policy import SYSTEM

        moment = utcnow()
        I.load_shipped(db.session, moment)
        unit = db.session.scalar(select(Unit).where(Unit.code == unit_code))
        if unit is None:
            raise click.ClickException(f"no unit {unit_code}")
        try:
            reports = R.build_reports(
                db.session,
                unit.id,
                year,
                actor=SYSTEM,
                now=moment,
                keys=plan_keys,
                refresh=refresh,
                place=place,
            )
        except NotFound as err:
            raise click.ClickException(f"no plan among {', '.join(plan_keys)}") from err
        db.session.commit()  # the report snapshots are kept: they are the report's evidence
        with current_app.test_request_context():  # templates render as in a request
            data = R.render_report(reports, fmt)
        path = output or R.report_filename(unit.code, year, fmt)
        with open(path, "wb") as fh:
            fh.write(data)
        for r in reports:
            click.echo(f"{r.plan.key} {year}: snapshot {r.snapshot_id}")
        click.echo(f"wrote {path}")

    @app.cli.command("export-bank")
    @click.argument("key")
    @click.option("-o", "--output", type=click.Path(dir_okay=False), default=None)
    @click.option("--format", "fmt", type=click.Choice(["yaml", "gift", "xlsx"]), default="yaml")
    @with_appcontext
    @writes
    def export_bank_cmd(key, output, fmt):
        """Write a bank back to a file (native YAML by default)."""
        from sqlalchemy import select

        from quizapp.banks.models import Bank
        from quizapp.banks.parsers.gift import dump_gift
        from quizapp.banks.parsers.native import dump_native
        from quizapp.banks.parsers.xlsx import dump_xlsx
        from quizapp.banks.services import export_bank

        bank = db.session.scalar(select(Bank).where(Bank.key == key))
        if bank is None:
            raise click.ClickException(f"no bank {key}")
        parsed = export_bank(db.session, bank)
        if fmt == "xlsx":
            data = dump_xlsx(parsed)
            if not output:
                raise click.ClickException("--output is required for xlsx")
            with open(output, "wb") as fh:
                fh.write(data)
            return
        text = dump_native(parsed) if fmt == "yaml" else dump_gift(parsed)
        if output:
            with open(output, "w", encoding="utf-8") as fh:
                fh.write(text)
        else:
            click.echo(text, nl=False)
