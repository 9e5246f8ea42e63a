"""`make run`'s demo data are relative to the day they are loaded, on any date: the open round
is open, the demo programmes' period contains today, the indicators are those of the current
union year (the days around the 15 October report date and the new year included)."""

from __future__ import annotations

import glob
import os
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from quizapp import create_app
from quizapp.clock import SettableClock
from quizapp.db import Base
from quizapp.extensions import db
from tests.conftest import NOW, TEST_SETTINGS

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
HCM = timedelta(hours=7)  # Asia/Ho_Chi_Minh has no summer time

# Local (Hồ Chí Minh City) times, as UTC: the last minute of the union year, the first of the
# next, the last minute of a calendar year and the first of the next; and the suite's NOW a
# year and more ahead (the suite must pass on any date).
MOMENTS = [
    datetime(2027, 10, 15, 23, 59, tzinfo=UTC) - HCM,
    datetime(2027, 10, 16, 0, 1, tzinfo=UTC) - HCM,
    datetime(2027, 12, 31, 23, 59, tzinfo=UTC) - HCM,
    datetime(2028, 1, 1, 0, 1, tzinfo=UTC) - HCM,
    NOW + timedelta(days=400),
]


@pytest.mark.parametrize("moment", MOMENTS, ids=lambda m: (m + HCM).strftime("%d/%m/%Y-%H:%M"))
def test_demo_data_follow_the_day_they_are_loaded(tmp_path, moment):
    from quizapp.contests.models import Round
    from quizapp.indicators import services as I
    from quizapp.indicators.models import Snapshot
    from quizapp.programmes.models import Programme

    clock = SettableClock(moment)
    app = create_app(
        {
            **{k: v for k, v in TEST_SETTINGS.items() if k != "ENGINE"},
            "DATABASE_URL": f"sqlite:///{tmp_path / 'demo.db'}",
            "SIGNING_KEY_DIR": str(tmp_path / "keys"),
            "CERT_CACHE_DIR": str(tmp_path / "cache"),
            "UPLOADS_DIR": str(tmp_path / "uploads"),
        },
        clock=clock,
    )
    with app.app_context():
        Base.metadata.create_all(db.engine)
    runner = app.test_cli_runner()
    banks = sorted(glob.glob(os.path.join(ROOT, "question_banks", "*.yaml")))
    programmes = sorted(glob.glob(os.path.join(ROOT, "question_banks", "programmes", "*.yaml")))
    for args in (
        ["seed-demo", "--if-empty"],
        ["import-bank", *banks, "--unit", "AG"],
        ["seed-demo-contest"],
        ["import-programme", *programmes, "--unit", "AG", "--publish"],
        ["load-indicator-plans"],
        # (seed-demo-activity snapshots the indicators this way after its 15 s of activity)
        ["snapshot-indicators"],
    ):
        result = runner.invoke(args=args)
        assert result.exit_code == 0, (args, result.output)
        clock.advance(seconds=1)  # the commands run one after another

    with app.app_context():
        now = clock.now()
        rounds = db.session.scalars(select(Round)).all()
        assert any(r.opens_at <= now < r.closes_at for r in rounds), "no open round"
        published = db.session.scalars(
            select(Programme).where(Programme.status == "published")
        ).all()
        assert published and all(p.starts_at <= now < p.ends_at for p in published)
        plan_years = {I.current_year(plan, now) for _row, plan in I.plans(db.session)}
        snapshot_years = set(db.session.scalars(select(Snapshot.year).distinct()))
        assert snapshot_years and snapshot_years == plan_years
    db.session.remove()
    with app.app_context():
        db.engine.dispose()
