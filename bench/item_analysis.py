"""Benchmark: item analysis of a round with 100,000 attempts × 30 questions (issue 6 target:
under 10 s). Times the pure statistics (`analyse_columns`, on the columns item_analysis()
reads from the database) on generated answers (a bank of 500 questions, each
attempt drawing 30) and writes bench/results/item_analysis.json. Reading the 3 million
answers from the database comes on top of this: `make bench-items-db` measures the whole
(bench/item_analysis_db.py). Run: `make bench-items`."""

from __future__ import annotations

import json
import random
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main(attempts: int = 100_000, per_attempt: int = 30, bank: int = 500) -> dict:
    import numpy as np

    from quizapp.contests.statistics import Responses, analyse_columns

    rng = random.Random(2026)
    ability = [rng.gauss(0, 1) for _ in range(attempts)]
    difficulty = [rng.gauss(0, 1) for _ in range(bank)]
    t0 = time.perf_counter()
    cols: dict[str, list] = {k: [] for k in ("attempt", "position", "version", "earned", "chosen")}
    for a in range(attempts):
        for pos, q in enumerate(rng.sample(range(bank), per_attempt), start=1):
            right = rng.random() < 1 / (1 + 2.718 ** (difficulty[q] - ability[a]))
            cols["attempt"].append(a)
            cols["position"].append(pos)
            cols["version"].append(q)
            cols["earned"].append(1.0 if right else 0.0)
            cols["chosen"].append(1 if right else 1 << rng.randint(1, 3))
    # The columns as item_analysis() reads them from the database.
    data = Responses(
        attempt=np.array(cols["attempt"], dtype=np.int64),
        position=np.array(cols["position"], dtype=np.int64),
        version=np.array(cols["version"], dtype=np.int64),
        earned=np.array(cols["earned"], dtype=np.float64),
        mark=np.ones(len(cols["earned"])),
        chosen=np.array(cols["chosen"], dtype=np.int64),
        attempts=attempts,
    )
    build_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    items, test = analyse_columns(data, keyed={q: {0} for q in range(bank)})
    analyse_s = time.perf_counter() - t0
    result = {
        "attempts": attempts,
        "questions_per_attempt": per_attempt,
        "bank": bank,
        "generate_s": round(build_s, 2),
        "analyse_s": round(analyse_s, 2),
        "target_s": 10,
        "flagged": sum(1 for s in items if s.flags),
        "alpha": round(test.alpha, 3) if test.alpha is not None else None,
        "measured_at": datetime.now(UTC).isoformat(),
    }
    out = ROOT / "bench" / "results" / "item_analysis.json"
    out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return result


if __name__ == "__main__":
    print(json.dumps(main(), indent=2))
