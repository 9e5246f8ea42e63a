"""`make bench-workers`: which gunicorn worker class and count suit 2 cores. One data set
(the --quick sizes of `make bench`, SQLite), then for each candidate the ceiling, answer saves
at saturation and certificate verification, each with wrk for a few seconds. Writes
bench/results/workers.json and prints a table; the chosen default is in gunicorn.conf.py."""

from __future__ import annotations

import json
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from bench.load import scenarios  # noqa: E402
from bench.load.server import CpuMeter, Gunicorn  # noqa: E402

CANDIDATES = [  # (class, workers, threads)
    ("sync", 2, 1),
    ("sync", 4, 1),
    ("gthread", 2, 4),
    ("gthread", 2, 8),
    ("gthread", 3, 4),
    ("gthread", 4, 2),
]
SECONDS = int(os.environ.get("BENCH_SECONDS", "6"))


def main() -> int:
    tmp = Path(tempfile.mkdtemp(prefix="quizapp-workers-"))
    port = 8191
    env = {
        "QUIZAPP_ENV": "production",
        "QUIZAPP_SECRET_KEY": "bench-secret-" + "k" * 40,
        "QUIZAPP_PII_HASH_KEY": "bench-pii-" + "p" * 40,
        "QUIZAPP_DATABASE_URL": f"sqlite:///{tmp / 'bench.db'}",
        "QUIZAPP_INSTANCE_PATH": str(tmp / "instance"),
        "QUIZAPP_BASE_URL": f"http://127.0.0.1:{port}",
        "QUIZAPP_RATELIMIT_ENABLED": "0",
    }
    os.environ.update(env)
    from quizapp import create_app
    from quizapp.cli import upgrade_database

    app = create_app()
    with app.app_context():
        upgrade_database()
        from bench.load.data import generate

        fx = generate(
            app, members=5000, graded=5000, certificates=100_000, participants=2000, log=print
        )
    log = tmp / "gunicorn.log"
    server = Gunicorn("wsgi:app", port, env, log).ready("/healthz")
    try:
        scenarios.start_spike(port, fx, 40)  # attempts in progress for the saves
    finally:
        server.stop()
    rows = []
    for klass, workers, threads in CANDIDATES:
        cfg = {"QUIZAPP_WORKER_CLASS": klass, "QUIZAPP_WORKERS": str(workers)}
        cfg["QUIZAPP_THREADS"] = str(threads)
        e = {**env, **cfg}
        bare = Gunicorn("bench.load.bare:app", port + 1, e, log).ready("/")
        try:
            ceiling = scenarios.ceiling(port + 1, SECONDS)
        finally:
            bare.stop()
        server = Gunicorn("wsgi:app", port, e, log).ready("/healthz")
        meter = CpuMeter({"app": server.pids})
        try:
            meter.start()
            saves, _ = scenarios.save_saturation(port, fx, SECONDS, skip=0)
            cpu = meter.stop()
            verify = scenarios.verification(port, fx, SECONDS)
        finally:
            server.stop()
        row = {
            "class": klass,
            "workers": workers,
            "threads": threads,
            "ceiling_rps": ceiling["rps"],
            "saves_rps": saves["rps"],
            "saves_p99_ms": saves["p99_ms"],
            "saves_errors": saves["errors"],
            "saves_app_cpu_s": cpu["app_cpu_s"],
            "verify_rps": verify["rps"],
            "verify_p99_ms": verify["p99_ms"],
            "verify_errors": verify["errors"],
        }
        rows.append(row)
        print(json.dumps(row), flush=True)
    import shutil

    shutil.rmtree(tmp, ignore_errors=True)
    out = ROOT / "bench" / "results" / "workers.json"
    out.write_text(json.dumps(rows, indent=2) + "\n", encoding="utf-8")
    print(
        "| worker class | workers × threads | ceiling req/s | saves req/s | saves p99 ms "
        "| verification req/s | verification p99 ms |"
    )
    print("|---|---|---|---|---|---|---|")
    for r in rows:
        print(
            f"| {r['class']} | {r['workers']} × {r['threads']} | {r['ceiling_rps']:,.0f} | "
            f"{r['saves_rps']:,.0f} | {r['saves_p99_ms']} | {r['verify_rps']:,.0f} | "
            f"{r['verify_p99_ms']} |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
