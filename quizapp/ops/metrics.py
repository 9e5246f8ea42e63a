"""Prometheus metrics (prometheus_client): requests by Flask endpoint and status, the quiz's
domain events, the page-data cache and the database pool, served at `/metrics`.

Domain counters are incremented where the event happens, once per event (never inside a
loop over rows). Under gunicorn every worker counts for itself: set PROMETHEUS_MULTIPROC_DIR
to an empty folder that all workers share (wiped at each start; gunicorn.conf.py marks dead
workers) and `/metrics` adds up the workers' files (prometheus_client's multiprocess mode).
The pool gauges are the answering worker's own (label `pid`).

Access (`metrics_allowed`): with neither QUIZAPP_METRICS_TOKEN nor QUIZAPP_METRICS_ALLOW set,
`/metrics` answers only the machine itself (127.0.0.1, ::1) outside production and is off
(404) in production. Set either to open it: a bearer token (`Authorization: Bearer …`),
addresses or networks (`10.0.0.0/8,192.0.2.7`), or both (either suffices)."""

from __future__ import annotations

import hmac
import ipaddress
import os
import time

from flask import Flask, Response, abort, current_app, g, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    disable_created_metrics,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily

# No `*_created` series beside every counter: Prometheus does not need them.
disable_created_metrics()

REQUESTS = Counter(
    "quizapp_http_requests",
    "HTTP requests by Flask endpoint, method and status.",
    ("endpoint", "method", "status"),
)
LATENCY = Histogram(
    "quizapp_http_request_duration_seconds",
    "Time from the request's first hook to its response (commit included), by endpoint.",
    ("endpoint",),
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
ATTEMPTS_STARTED = Counter("quizapp_attempts_started", "New attempts started (not previews).")
ATTEMPTS_SUBMITTED = Counter(
    "quizapp_attempts_submitted",
    "Attempts submitted, by who ended them (user, timeout).",
    ("by",),
)
ANSWER_SAVES = Counter("quizapp_answer_saves", "Answers saved during attempts.")
CERTIFICATE_RENDERS = Counter("quizapp_certificate_renders", "Certificate PDFs rendered.")
CACHE_LOOKUPS = Counter(
    "quizapp_cache_lookups",
    "Page-data cache lookups (quizapp/cache.py): hit (fresh), stale (served while one "
    "request rebuilds), miss (built).",
    ("result",),
)


class PoolCollector:
    """The database pool of this process (SQLAlchemy's public pool status), read at scrape
    time."""

    def collect(self):
        from quizapp.extensions import db

        pool = getattr(db.engine, "pool", None)
        labels = {"pid": str(os.getpid())}
        for name, doc, method in (
            ("quizapp_db_pool_size", "Connections the pool keeps.", "size"),
            ("quizapp_db_pool_checked_out", "Connections in use.", "checkedout"),
            ("quizapp_db_pool_checked_in", "Idle connections in the pool.", "checkedin"),
            ("quizapp_db_pool_overflow", "Connections beyond the pool's size.", "overflow"),
        ):
            read = getattr(pool, method, None)
            if read is None:  # pools without that figure (SQLite's in-memory StaticPool)
                continue
            family = GaugeMetricFamily(name, doc, labels=list(labels))
            family.add_metric(list(labels.values()), read())
            yield family


_POOL = PoolCollector()
REGISTRY.register(_POOL)


def attempt_started(preview: bool) -> None:
    if not preview:
        ATTEMPTS_STARTED.inc()


def registry() -> CollectorRegistry:
    """What `/metrics` serves: this process's registry, or, in multiprocess mode, the sum of
    every worker's files plus this worker's pool."""
    if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        return REGISTRY
    combined = CollectorRegistry()
    multiprocess.MultiProcessCollector(combined)
    combined.register(_POOL)
    return combined


def _networks(spec: str) -> list:
    parts = [part.strip() for part in spec.split(",")]
    return [ipaddress.ip_network(part, strict=False) for part in parts if part]


LOOPBACK = "127.0.0.1/8,::1/128"


def metrics_allowed() -> bool | None:
    """True: serve; False: refuse (403); None: metrics are off here (404)."""
    cfg = current_app.config
    token, allow = cfg.get("METRICS_TOKEN") or "", cfg.get("METRICS_ALLOW") or ""
    if not token and not allow:
        if cfg["ENV_NAME"] == "production":
            return None
        allow = LOOPBACK
    if token:
        given = request.headers.get("Authorization", "")
        if given.startswith("Bearer ") and hmac.compare_digest(
            given.removeprefix("Bearer ").strip().encode(), token.encode()
        ):
            return True
    if allow and request.remote_addr:
        try:
            address = ipaddress.ip_address(request.remote_addr)
        except ValueError:
            return False
        return any(address in net for net in _networks(allow))
    return False


# A label value a client chooses would let it create series without end.
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


def init_metrics(app: Flask) -> None:
    """Time and count every request; `/metrics`. Registered before the other request hooks,
    so that the time includes them and the commit."""

    @app.before_request
    def _start_timer():
        g.metrics_started = time.perf_counter()

    @app.after_request
    def _count(response):
        started = g.pop("metrics_started", None)
        endpoint = request.endpoint or "unmatched"
        method = request.method if request.method in METHODS else "other"
        REQUESTS.labels(endpoint, method, str(response.status_code)).inc()
        if started is not None:
            LATENCY.labels(endpoint).observe(time.perf_counter() - started)
        return response

    _networks(app.config.get("METRICS_ALLOW") or "")  # a malformed setting fails at start

    @app.get("/metrics", endpoint="metrics")
    def metrics():
        allowed = metrics_allowed()
        if allowed is None:
            abort(404)
        if not allowed:
            abort(403)
        response = Response(generate_latest(registry()), content_type=CONTENT_TYPE_LATEST)
        response.headers["Cache-Control"] = "no-store"
        return response
