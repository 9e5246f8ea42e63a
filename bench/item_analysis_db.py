"""Benchmark: item analysis end to end — 100,000 submitted attempts × 30 questions stored in
SQLite, loaded and analysed by `results.item_analysis` (issue 6 target: under 10 s).
Writes bench/results/item_analysis_db.json. Run: `make bench-items-db` (the rows are generated
once, about a minute, into instance/bench and reused)."""

from __future__ import annotations

import json
import math
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def generate(session, attempts: int, per_attempt: int, now: datetime) -> float:
    """The round's rows: a bank of 500, 30 drawn per attempt; returns the seconds taken."""
    from sqlalchemy import insert

    from quizapp.auth.models import User
    from quizapp.contests.models import Attempt, AttemptQuestion
    from quizapp.db import Base
    from quizapp.orgs.models import Member
    from quizapp.orgs.services import create_unit
    from quizapp.policy import SYSTEM
    from tests.contest_helpers import make_bank, make_contest
    from tests.factories import ensure_types

    rng = random.Random(7)
    db = SimpleNamespace(session=session, engine=session.get_bind())
    Base.metadata.create_all(db.engine)
    ensure_types(db.session)
    unit = create_unit(
        db.session,
        actor=SYSTEM,
        code="B",
        name="Đơn vị",
        type_key="province",
        parent_id=None,
        now=now,
    )
    bank = make_bank(db.session, unit, now, n=500)
    contest = make_contest(db.session, unit, bank, now, count=per_attempt)
    rnd = contest.rounds[0]
    versions = [row[0] for row in rnd.pool]
    # Participants of varied ability, questions of varied difficulty (a logistic model), and
    # ten questions whose stored key is wrong: the analysis should flag them.
    difficulty = {v: rng.uniform(-1.5, 1.5) for v in versions}
    miskeyed = set(versions[:10])
    db.session.commit()
    t0 = time.perf_counter()
    conn = db.session.connection()
    conn.execute(
        insert(Member),
        [
            {
                "id": i + 1,
                "full_name": f"Người {i}",
                "name_folded": f"nguoi {i}",
                "unit_id": unit.id,
                "active": True,
                "created_at": now,
                "updated_at": now,
            }
            for i in range(attempts)
        ],
    )
    conn.execute(
        insert(User),
        [
            {
                "id": i + 1,
                "display_name": f"Người {i}",
                "password_hash": "x",
                "member_id": i + 1,
                "is_admin": False,
                "active": True,
                "created_at": now,
            }
            for i in range(attempts)
        ],
    )
    rows, aqs = [], []
    for i in range(attempts):
        aid = i + 1
        rows.append(
            {
                "id": aid,
                "round_id": rnd.id,
                "user_id": aid,
                "member_id": aid,
                "unit_id": unit.id,
                "number": 1,
                "preview": False,
                "status": "submitted",
                "seed": i,
                "started_at": now,
                "deadline_at": now + timedelta(minutes=10),
                "submitted_at": now + timedelta(minutes=5),
                "device": "",
                "score": 0,
                "max_score": per_attempt,
                "correct_count": 0,
                "question_count": per_attempt,
            }
        )
        right = 0
        theta = rng.gauss(0, 1)
        for pos, vid in enumerate(rng.sample(versions, per_attempt), start=1):
            knows = rng.random() < 1 / (1 + math.exp(-1.7 * (theta - difficulty[vid])))
            if vid in miskeyed:  # who knows picks option 1; the stored key says 0
                pick = 1 if knows else rng.choice((0, 2, 3))
            else:
                pick = 0 if knows else rng.randint(0, 3)
            ok = pick == 0
            right += ok
            aqs.append(
                {
                    "attempt_id": aid,
                    "position": pos,
                    "version_id": vid,
                    "option_order": [0, 1, 2, 3],
                    "response": {"choices": [pick]},
                    "choice_mask": 1 << pick,
                    "flagged": False,
                    "fraction": 1 if ok else 0,
                    "score": 1 if ok else 0,
                }
            )
        rows[-1]["score"] = rows[-1]["correct_count"] = right
        if len(aqs) >= 150_000:
            conn.execute(insert(Attempt), rows)
            conn.execute(insert(AttemptQuestion), aqs)
            rows, aqs = [], []
    if rows:
        conn.execute(insert(Attempt), rows)
        conn.execute(insert(AttemptQuestion), aqs)
    db.session.commit()
    return time.perf_counter() - t0


def main(attempts: int = 100_000, per_attempt: int = 30) -> dict:
    from sqlalchemy import select

    from quizapp import create_app
    from quizapp.contests.item_analysis import item_analysis
    from quizapp.contests.models import Round
    from quizapp.extensions import db

    # The data are generated once into instance/bench and reused (like the indicator
    # benchmark); QUIZAPP_BENCH_FRESH=1 builds them again in a temporary directory.
    path = ROOT / "instance" / "bench" / f"items-v2-{attempts}x{per_attempt}.db"  # v2: choice_mask
    if os.environ.get("QUIZAPP_BENCH_FRESH"):
        path = Path(tempfile.mkdtemp()) / "items.db"
    path.parent.mkdir(parents=True, exist_ok=True)
    reused = path.exists()
    app = create_app({"SECRET_KEY": "bench-" + "x" * 40, "DATABASE_URL": f"sqlite:///{path}"})
    now = datetime.now(UTC)
    with app.app_context():
        build_s = None if reused else generate(db.session, attempts, per_attempt, now)
        rnd = db.session.scalar(select(Round).order_by(Round.id))
        times = []
        for _ in range(3):
            db.session.expire_all()
            t0 = time.perf_counter()
            items, test, _q, _k = item_analysis(db.session, rnd)
            times.append(time.perf_counter() - t0)
    result = {
        "attempts": attempts,
        "questions_per_attempt": per_attempt,
        "generate_s": round(build_s, 1) if build_s is not None else "reused",
        "item_analysis_s": round(statistics.median(times), 2),
        "item_analysis_runs_s": [round(t, 2) for t in times],
        "target_s": 10,
        "questions_analysed": len(items),
        "flagged": sum(1 for s in items if s.flags),
        "alpha": test.alpha,
        "measured_at": now.isoformat(),
    }
    out = ROOT / "bench" / "results" / "item_analysis_db.json"
    out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return result


if __name__ == "__main__":
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    print(json.dumps(main(n), indent=2))
