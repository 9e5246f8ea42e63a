"""`flask --app wsgi …` commands for the plan indicators: load the shipped plans, snapshot,
annual report."""

from __future__ import annotations

import click
from flask import Flask, current_app
from flask.cli import with_appcontext

from quizapp.cli import writes
from quizapp.clock import utcnow
from quizapp.extensions import db


def register(app: Flask) -> None:
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
