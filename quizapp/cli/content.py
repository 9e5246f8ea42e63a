"""`flask --app wsgi …` commands for question banks and study programmes: import and
export of their files."""

from __future__ import annotations

import os
import sys

import click
from flask import Flask
from flask.cli import with_appcontext

from quizapp.cli import writes
from quizapp.clock import utcnow
from quizapp.extensions import db
from quizapp.timeutil import local_today


def _owner_unit(unit_code: str | None):
    """The unit with this code, or the first root unit: the owner of imported content."""
    from sqlalchemy import select

    from quizapp.orgs.models import Unit

    unit = (
        db.session.scalar(select(Unit).where(Unit.code == unit_code))
        if unit_code
        else db.session.scalar(select(Unit).where(Unit.parent_id.is_(None)).order_by(Unit.id))
    )
    if unit is None:
        raise click.ClickException("no owner unit: create units first (e.g. seed-demo)")
    return unit


def register(app: Flask) -> None:
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
        from quizapp.policy import SYSTEM
        from quizapp.web import t

        unit = _owner_unit(unit_code)
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
            plan = plan_bank_import(db.session, parsed, bank, today=local_today(utcnow()))
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
        from quizapp.banks.parsers.xlsx import export_xlsx
        from quizapp.banks.services import export_bank

        bank = db.session.scalar(select(Bank).where(Bank.key == key))
        if bank is None:
            raise click.ClickException(f"no bank {key}")
        parsed = export_bank(db.session, bank)
        if fmt == "xlsx":
            data, left_out = export_xlsx(parsed)
            for q in left_out:
                click.echo(f"left out (no Excel column for it): {q.key} ({q.type.value})", err=True)
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

        from quizapp.errors import DomainError
        from quizapp.policy import SYSTEM
        from quizapp.programmes.importing import import_programme, read_file
        from quizapp.timeutil import local_today, parse_date
        from quizapp.web import t

        unit = _owner_unit(unit_code)
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
            with force_locale("vi"):
                for w in result.warnings:
                    click.echo(f"{name}: dòng {w.line}: {t(w.message, w.params)}", err=True)
            click.echo(
                f"{name}: {spec.key}: {'created' if result.created else 'updated'}, "
                f"lessons added {result.lessons_added}, updated {result.lessons_updated}, "
                f"status {result.programme.status}"
            )
        if failed:
            sys.exit(1)
