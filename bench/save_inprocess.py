"""Answer saves in process: the app's own cost of one `POST /attempts/<id>/save`, without a
server or a network, for a quick A/B of a change to the save path (the load benchmark's
"answer saves at saturation" is the figure that counts; this one isolates the app).

Builds a small `make bench` data set (bench/load/data.py) in a temporary SQLite database
(or the PostgreSQL of `--db`), starts the live round for the participants through the app,
then times `--saves` saves through Flask's test client (CPU time of the thread, so that
other work on the machine moves the figures less), in rounds alternating between
participants and positions, with the production configuration and rate limits on (as
deployed; `--no-limits` turns them off). `--profile` prints the top of a cProfile.

    .venv/bin/python bench/save_inprocess.py [--saves 3000] [--db URL] [--profile]

Runs against the code of the current directory, so the same command in a worktree of an
older commit measures that commit."""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import pstats
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, os.getcwd())


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--saves", type=int, default=3000)
    ap.add_argument("--participants", type=int, default=50)
    ap.add_argument("--db", default="")
    ap.add_argument("--no-limits", action="store_true")
    ap.add_argument("--profile", action="store_true")
    ap.add_argument("--repeat", type=int, default=3, help="timed runs; the best is reported")
    args = ap.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="quizapp-save-"))
    os.environ.update(
        {
            "QUIZAPP_ENV": "production",
            "QUIZAPP_SECRET_KEY": "bench-secret-" + "k" * 40,
            "QUIZAPP_PII_HASH_KEY": "bench-pii-" + "p" * 40,
            "QUIZAPP_DATABASE_URL": args.db or f"sqlite:///{tmp / 'bench.db'}",
            "QUIZAPP_INSTANCE_PATH": str(tmp / "instance"),
            "QUIZAPP_BASE_URL": "http://127.0.0.1:8181",
            "QUIZAPP_RATELIMIT_ENABLED": "0" if args.no_limits else "1",
            # Production-like ceilings: one phone saves far less than this.
            "QUIZAPP_SAVE_RATE_LIMIT": "100000 per minute",
        }
    )
    from quizapp import create_app
    from quizapp.cli import upgrade_database
    from quizapp.extensions import db

    app = create_app()
    app.config["SAVE_RATE_LIMIT"] = "100000 per minute"
    with app.app_context():
        upgrade_database()
        from bench.load.data import generate

        fx = generate(
            app,
            members=1000,
            graded=200,
            certificates=200,
            participants=args.participants,
            log=lambda *a: None,
        )
        db.session.remove()

    client = app.test_client()
    people = fx["participants"]
    for p in people:
        client.set_cookie("quizapp_session", p["cookie"])
        client.delete_cookie("quizapp_device")
        r = client.post(f"/rounds/{fx['live_round']}/start", data={"csrf_token": p["csrf"]})
        m = re.search(r"/attempts/(\d+)$", r.headers.get("Location", ""))
        assert r.status_code == 302 and m, (r.status_code, r.data[:300])
        p["attempt"] = int(m.group(1))
        p["device"] = client.get_cookie("quizapp_device").value

    def run(n: int) -> list[float]:
        times = []
        for k in range(n):
            p = people[k % len(people)]
            position = (k // len(people)) % 30 + 1
            client.set_cookie("quizapp_session", p["cookie"])
            client.set_cookie("quizapp_device", p["device"])
            body = json.dumps({"position": position, "answer": {"choices": [k % 4]}})
            t = time.thread_time()
            r = client.post(
                f"/attempts/{p['attempt']}/save",
                data=body,
                headers={
                    "X-CSRFToken": p["csrf"],
                    "Content-Type": "application/json",
                    "Accept": "application/json",
                },
            )
            times.append(time.thread_time() - t)
            assert r.status_code == 200, (r.status_code, r.data[:300])
        return times

    run(300)  # warm up
    best = None
    for _ in range(args.repeat):
        times = run(args.saves)
        mean = statistics.fmean(times)
        if best is None or mean < best[0]:
            best = (mean, sorted(times))
    mean, times = best
    print(
        json.dumps(
            {
                "database": os.environ["QUIZAPP_DATABASE_URL"].split(":")[0],
                "limits": not args.no_limits,
                "saves": args.saves,
                "mean_ms": round(mean * 1000, 3),
                "p50_ms": round(times[len(times) // 2] * 1000, 3),
                "p95_ms": round(times[int(len(times) * 0.95)] * 1000, 3),
                "saves_per_s_one_thread": round(1 / mean),
            }
        )
    )
    if args.profile:
        prof = cProfile.Profile()
        prof.runcall(run, args.saves)
        if os.environ.get("BENCH_PROFILE_OUT"):
            prof.dump_stats(os.environ["BENCH_PROFILE_OUT"])
        pstats.Stats(prof).sort_stats("cumulative").print_stats(45)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
