"""gunicorn settings for `make serve` (production-style start). Tune with environment
variables; the figures for 2 cores are measured by `make bench` (see README)."""

import os

bind = f"{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '8000')}"
workers = int(os.environ.get("QUIZAPP_WORKERS", "2"))
threads = int(os.environ.get("QUIZAPP_THREADS", "8"))
worker_class = "gthread"
timeout = 30
keepalive = 5
accesslog = "-"
