"""gunicorn settings for `make serve` (production-style start). Tune with environment
variables; the default for 2 cores was chosen by `make bench-workers` (see README, "Scale and
load benchmark")."""

import os

bind = f"{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '8000')}"
worker_class = os.environ.get("QUIZAPP_WORKER_CLASS", "gthread")
workers = int(os.environ.get("QUIZAPP_WORKERS", "2"))
threads = int(os.environ.get("QUIZAPP_THREADS", "4"))
timeout = 30
keepalive = 5
accesslog = "-"
