"""gunicorn settings for `make serve` (production-style start). Tune with environment
variables; the default for 2 cores was chosen by `make bench-workers` (see bench/README.md, "Worker
class and count")."""

import os

bind = f"{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '8000')}"
worker_class = os.environ.get("QUIZAPP_WORKER_CLASS", "gthread")
# On SQLite one transaction writes at a time, and an answer save holds the write lock from its
# first query to its COMMIT: threads of one process would queue for the GIL while one of them
# holds it. One thread per process, two processes per core: answer saves at saturation 657-673
# a second against 482-530 with 2 processes x 4 threads (`make bench ARGS=--quick`, 2 cores,
# bench/results/ab-limits-on.md). On PostgreSQL, 2 x 4 (`make bench-workers`).
_SQLITE = os.environ.get("QUIZAPP_DATABASE_URL", "sqlite:").startswith("sqlite:")
_CORES = os.cpu_count() or 1
workers = int(os.environ.get("QUIZAPP_WORKERS", str(2 * _CORES) if _SQLITE else "2"))
threads = int(os.environ.get("QUIZAPP_THREADS", "1" if _SQLITE else "4"))
timeout = 30
keepalive = 5
accesslog = "-"

# How long a thread may hold the GIL while another waits for it (Python's default: 5 ms). On
# SQLite an answer save holds the one write lock while it waits for the GIL after each call
# into SQLite (BEGIN IMMEDIATE, UPDATE, COMMIT release it), so a shorter interval lets the
# lock holder back in sooner: 1 ms gave 1,022 and 1,331 saves/s against 850 and 812 at 5 ms
# (`make bench ARGS=--quick`, alternated), but verification's p99 rose from 25-39 ms to
# 82-88 ms and the ranking did not gain. Python's default stays; a deployment whose load is
# mostly answer saves on SQLite may set QUIZAPP_SWITCH_INTERVAL=0.001.
switch_interval = float(os.environ.get("QUIZAPP_SWITCH_INTERVAL", "0.005"))


def post_fork(server, worker):
    import sys

    sys.setswitchinterval(switch_interval)


def on_starting(server):
    """Prometheus multiprocess mode: the previous run's worker files are stale."""
    folder = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if folder:
        import glob

        os.makedirs(folder, exist_ok=True)
        for path in glob.glob(os.path.join(folder, "*.db")):
            os.remove(path)


def child_exit(server, worker):
    """Prometheus multiprocess mode (PROMETHEUS_MULTIPROC_DIR, quizapp/ops/metrics.py): a dead
    worker's live gauges leave the sums."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
