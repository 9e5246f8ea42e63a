"""gunicorn settings for `make serve` (production-style start). Tune with environment
variables; the default for 2 cores was chosen by `make bench-workers` (see bench/README.md, "Worker
class and count")."""

import os

bind = f"{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '8000')}"
worker_class = os.environ.get("QUIZAPP_WORKER_CLASS", "gthread")
workers = int(os.environ.get("QUIZAPP_WORKERS", "2"))
threads = int(os.environ.get("QUIZAPP_THREADS", "4"))
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
