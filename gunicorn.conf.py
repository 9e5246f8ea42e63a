"""gunicorn settings for `make serve` (production-style start). Tune with environment
variables; the defaults were chosen by `make bench-workers` and `make bench` (see
bench/README.md, "Worker class and count")."""

import os

bind = f"{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '8000')}"
worker_class = os.environ.get("QUIZAPP_WORKER_CLASS", "gthread")
# On SQLite one transaction writes at a time, and an answer save holds the write lock from its
# first query to its COMMIT: threads of one process would queue for the GIL while one of them
# holds it. One thread per process, two processes per core: answer saves at saturation 684-691
# a second against 482-530 with 2 processes x 4 threads (`make bench ARGS=--quick`, 2 cores,
# bench/results/ab-limits-on.md). On PostgreSQL, 2 x 4 (`make bench-workers`).
_SQLITE = os.environ.get("QUIZAPP_DATABASE_URL", "sqlite:").startswith("sqlite:")
_CORES = os.cpu_count() or 1
workers = int(os.environ.get("QUIZAPP_WORKERS", str(2 * _CORES) if _SQLITE else "2"))
threads = int(os.environ.get("QUIZAPP_THREADS", "1" if _SQLITE else "4"))
timeout = 30
keepalive = 5
accesslog = "-"


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
