"""Benchmark: the two computations over every attempt of a national-size round, which the
public ranking and the live dashboard cache and rebuild every 30 s (longer when slow, see
quizapp.cache.SLOW_BUILD) in each app process. Generates a round of `attempts` submitted
attempts (default 1,000,000; a fifth of the participants took it twice) in a tree of 1
province, 10 wards and 100 branches, with 10 % more members who did not take part, and
measures, median of `--repeat` runs:

- the ranking (`results.round_ranking`: every counted attempt read and ranked), once;
- the live dashboard's snapshot (`dashboard._build`: counts, submissions per hour, score
  bands), median of `--repeat`;
- participation per unit (`results.unit_participation`, grouped in the database: a row per
  unit and score);
- the per-attempt computation of participation it replaced (every counted attempt read, its
  percentage listed in each unit up the tree), once, for comparison (`--no-reference` skips
  it); both must give the same figures for every unit (checked).

The database is generated once into instance/bench and reused. Writes
bench/results/round_reads[-postgresql].json. Run: `make bench-round` (SQLite) or
`make bench-round DB=postgres` (a local PostgreSQL started and stopped by
scripts/bench-db.sh); ARGS="--attempts 100000" for a smaller round.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

VERSION = 1  # of the generator: a new number rebuilds the cached database
CHUNK = 50_000


def generate(session, attempts: int, now: datetime) -> None:
    from sqlalchemy import insert

    from quizapp.auth.models import User
    from quizapp.contests.models import Attempt
    from quizapp.orgs.models import Member, Unit
    from quizapp.orgs.services import create_unit
    from quizapp.policy import SYSTEM
    from tests.contest_helpers import make_bank, make_contest
    from tests.factories import ensure_types

    rng = random.Random(2026)
    ensure_types(session)

    def unit(code, name, type_key, parent):
        return create_unit(
            session,
            actor=SYSTEM,
            code=code,
            name=name,
            type_key=type_key,
            parent_id=parent,
            now=now,
        ).id

    province = unit("P", "Tỉnh Đoàn", "province", None)
    wards = [unit(f"W{i}", f"Đoàn phường {i}", "commune", province) for i in range(10)]
    branches = [
        unit(f"W{w}-B{j}", f"Chi đoàn {w}.{j}", "branch", wards[w])
        for w in range(10)
        for j in range(10)
    ]
    top = session.get(Unit, province)
    bank = make_bank(session, top, now, n=30)
    rnd = make_contest(session, top, bank, now, count=30, attempts_allowed=2).rounds[0]
    session.commit()
    conn = session.connection()
    people = attempts * 11 // 10
    members, users, rows = [], [], []

    def flush():
        conn.execute(insert(Member), members) if members else None
        conn.execute(insert(User), users) if users else None
        conn.execute(insert(Attempt), rows) if rows else None
        members.clear(), users.clear(), rows.clear()

    done = 0
    for i in range(1, people + 1):
        where = rng.choice(branches) if rng.random() < 0.95 else rng.choice(wards)
        members.append(
            {
                "id": i,
                "full_name": f"Người {i}",
                "name_folded": f"nguoi {i}",
                "unit_id": where,
                "active": True,
                "created_at": now,
                "updated_at": now,
            }
        )
        users.append(
            {
                "id": i,
                "display_name": f"Người {i}",
                "password_hash": "x",
                "member_id": i,
                "is_admin": False,
                "active": True,
                "created_at": now,
            }
        )
        for number in (1, 2) if rng.random() < 0.2 else (1,):
            if done >= attempts or i > attempts:
                break
            done += 1
            right = min(30, max(0, round(rng.gauss(19, 6))))
            rows.append(
                {
                    "id": done,
                    "round_id": rnd.id,
                    "user_id": i,
                    "member_id": i,
                    "unit_id": where,
                    "number": number,
                    "preview": False,
                    "status": "submitted",
                    "seed": done,
                    "started_at": now,
                    "deadline_at": now + timedelta(minutes=10),
                    "submitted_at": now + timedelta(minutes=5),
                    "device": "",
                    "score": right,
                    "max_score": 30,
                    "correct_count": right,
                    "question_count": 30,
                }
            )
        if len(rows) >= CHUNK or len(members) >= CHUNK:
            flush()
    flush()
    session.commit()


def per_attempt(session, rnd) -> dict:
    """The former computation (until session 5): each counted attempt's percentage listed in
    every unit up the tree; {unit id: (participants, passed, mean, median)}."""
    from sqlalchemy import select

    from quizapp.contests import results as R
    from quizapp.orgs.models import Unit

    parent = dict(session.execute(select(Unit.id, Unit.parent_id)).all())
    scores: dict[int, list[float]] = {uid: [] for uid in parent}
    passed = dict.fromkeys(parent, 0)
    for e in R.counted_entries(session, rnd):
        pct = float(e.score * 100 / e.max_score)
        uid = e.unit_id
        while uid is not None:
            scores[uid].append(pct)
            passed[uid] += pct >= rnd.pass_mark
            uid = parent[uid]
    return {
        uid: (len(s), passed[uid], statistics.fmean(s), statistics.median(s))
        for uid, s in scores.items()
        if s
    }


def main() -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--attempts", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-reference", action="store_true")
    args = parser.parse_args()

    from sqlalchemy import select

    from bench.indicators import ensure_database
    from quizapp import create_app
    from quizapp.contests import dashboard as D
    from quizapp.contests import results as R
    from quizapp.contests import units as U
    from quizapp.contests.models import Round
    from quizapp.db import Base
    from quizapp.extensions import db

    path = ROOT / "instance" / "bench" / f"round-v{VERSION}-{args.attempts}.db"
    path.parent.mkdir(parents=True, exist_ok=True)
    url = os.environ.get("QUIZAPP_BENCH_DATABASE_URL") or f"sqlite:///{path}"
    if url.startswith("postgresql"):  # one database per size and generator version
        url = f"{url}_v{VERSION}_{args.attempts}"
    ensure_database(url)
    app = create_app({"SECRET_KEY": "bench-" + "x" * 40, "DATABASE_URL": url})
    now = datetime.now(UTC)
    backend = "postgresql" if url.startswith("postgresql") else "sqlite"
    result: dict = {"attempts": args.attempts, "database": backend, "measured_at": now.isoformat()}
    with app.app_context():
        from sqlalchemy import inspect

        if not inspect(db.engine).has_table("attempt") or not db.session.scalar(
            select(Round.id).limit(1)
        ):
            Base.metadata.create_all(db.engine)
            t0 = time.perf_counter()
            generate(db.session, args.attempts, now)
            if backend == "postgresql":
                with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
                    c.exec_driver_sql("VACUUM ANALYZE")
            result["generate_s"] = round(time.perf_counter() - t0, 1)
        rnd = db.session.scalar(select(Round).order_by(Round.id))
        grouped, shipped = [], None
        for _ in range(args.repeat):
            db.session.expire_all()
            rnd = db.session.get(Round, rnd.id)
            t0 = time.perf_counter()
            shipped = U.unit_participation(db.session, rnd)
            grouped.append(time.perf_counter() - t0)
        result["participation_s"] = round(statistics.median(grouped), 3)
        result["participation_runs_s"] = [round(t, 3) for t in grouped]
        _nodes, totals, _collective = shipped
        result["participants"] = totals[rnd.contest.owner_unit_id].participants
        snaps = []
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            snap = D._build(db.session, rnd, now)
            snaps.append(time.perf_counter() - t0)
        assert snap.submitted == args.attempts
        result["dashboard_snapshot_s"] = round(statistics.median(snaps), 3)
        db.session.expire_all()
        rnd = db.session.get(Round, rnd.id)
        t0 = time.perf_counter()
        ranking, _actual = R.round_ranking(db.session, rnd, now)
        result["ranking_s"] = round(time.perf_counter() - t0, 3)
        assert len(ranking) == result["participants"]
        if not args.no_reference:
            t0 = time.perf_counter()
            reference = per_attempt(db.session, rnd)
            result["participation_per_attempt_s"] = round(time.perf_counter() - t0, 3)
            for uid, (n, passed, mean, median) in reference.items():
                got = totals[uid]
                assert (got.participants, got.passed, got.median) == (n, passed, median), uid
                assert abs(got.mean - mean) < 1e-9, uid
            result["agrees_on_units"] = len(reference)
    suffix = "-postgresql" if backend == "postgresql" else ""
    out = ROOT / "bench" / "results" / f"round_reads{suffix}.json"
    out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return result


if __name__ == "__main__":
    print(json.dumps(main(), indent=2))
