"""Benchmark: item analysis end to end — 100,000 submitted attempts × 30 questions stored in
SQLite, loaded and analysed by `results.item_analysis` (issue 6 target: under 10 s).
Writes bench/results/item_analysis_db.json. Run: `make bench-items-db` (about 3 minutes,
most of it spent generating the rows)."""

from __future__ import annotations

import json
import random
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main(attempts: int = 100_000, per_attempt: int = 30) -> dict:
    from sqlalchemy import insert

    from quizapp import create_app
    from quizapp.contests import results as R
    from quizapp.contests.models import Attempt, AttemptQuestion
    from quizapp.db import Base
    from quizapp.extensions import db
    from quizapp.orgs.models import Member
    from tests.contest_helpers import make_bank, make_contest
    from tests.factories import ensure_types

    tmp = tempfile.mkdtemp()
    app = create_app(
        {"SECRET_KEY": "bench-" + "x" * 40, "DATABASE_URL": f"sqlite:///{tmp}/items.db"}
    )
    now = datetime.now(UTC)
    rng = random.Random(7)
    with app.app_context():
        Base.metadata.create_all(db.engine)
        ensure_types(db.session)
        from quizapp.orgs.services import create_unit
        from quizapp.policy import SYSTEM

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
        from quizapp.auth.models import User

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
            for pos, vid in enumerate(rng.sample(versions, per_attempt), start=1):
                ok = rng.random() < 0.7
                right += ok
                aqs.append(
                    {
                        "attempt_id": aid,
                        "position": pos,
                        "version_id": vid,
                        "option_order": [0, 1, 2, 3],
                        "response": {"choices": [0 if ok else rng.randint(1, 3)]},
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
        build_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        items, test, _q, _k = R.item_analysis(db.session, db.session.get(type(rnd), rnd.id))
        total_s = time.perf_counter() - t0
    result = {
        "attempts": attempts,
        "questions_per_attempt": per_attempt,
        "generate_s": round(build_s, 1),
        "item_analysis_s": round(total_s, 2),
        "target_s": 10,
        "questions_analysed": len(items),
        "alpha": test.alpha,
        "measured_at": now.isoformat(),
    }
    out = ROOT / "bench" / "results" / "item_analysis_db.json"
    out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return result


if __name__ == "__main__":
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    print(json.dumps(main(n), indent=2))
