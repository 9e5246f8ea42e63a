"""/healthz, /readyz, /metrics (Prometheus, parsed with prometheus_client's own parser),
the request id and JSON log lines (quizapp/ops/)."""

from __future__ import annotations

import json
import logging

import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import text

from quizapp.cache import MemoryCache, cached
from quizapp.certificates.signing import KeyStore
from quizapp.extensions import db
from quizapp.ops.logs import JsonFormatter
from quizapp.ops.migrations import code_head
from tests.contest_helpers import make_bank, make_contest, play_round
from tests.factories import make_unit, make_user


def _stamp(session, revision):
    """An alembic_version row in the test's transaction (the test database is made by
    create_all; the rollback removes it)."""
    session.execute(text("CREATE TABLE alembic_version (version_num VARCHAR(32) PRIMARY KEY)"))
    session.execute(text("INSERT INTO alembic_version VALUES (:r)"), {"r": revision})
    session.commit()


@pytest.fixture()
def key(files_dir, clock):
    return KeyStore(files_dir["SIGNING_KEY_DIR"], now=clock.now).current()


def test_readyz_ready(client, session, key):
    _stamp(session, code_head())
    resp = client.get("/readyz")
    assert resp.status_code == 200, resp.get_json()
    assert resp.get_json() == {
        "status": "ready",
        "checks": {"database": "ok", "migrations": "ok", "signing_keys": "ok"},
    }
    assert resp.headers["Cache-Control"] == "no-store"


def test_readyz_names_a_database_behind_the_code(client, session, key):
    _stamp(session, "0123456789ab")
    body = client.get("/readyz")
    assert body.status_code == 503
    data = body.get_json()
    assert data["failed"] == ["migrations"]
    assert data["checks"]["migrations"] == f"at 0123456789ab, code expects {code_head()}"


def test_readyz_names_a_database_never_migrated(client, key):
    resp = client.get("/readyz")
    assert resp.status_code == 503
    assert resp.get_json()["checks"]["migrations"] == "not migrated"


def test_readyz_without_signing_keys(app_with, session, tmp_path):
    _stamp(session, code_head())
    app = app_with(SIGNING_KEY_DIR=str(tmp_path / "no-keys"))
    resp = app.test_client().get("/readyz")
    assert resp.status_code == 503
    assert resp.get_json()["failed"] == ["signing_keys"]
    assert resp.get_json()["checks"]["signing_keys"] == "missing"


def test_readyz_database_unreachable_healthz_alive(tmp_path, files_dir):
    from quizapp import create_app
    from quizapp.db import make_engine

    broken = make_engine(f"sqlite:///{tmp_path}/missing-dir/x.db")
    app = create_app({"TESTING": True, "SECRET_KEY": "x" * 40, "ENGINE": broken, **files_dir})
    client = app.test_client()
    resp = client.get("/readyz")
    assert resp.status_code == 503
    data = resp.get_json()
    assert data["checks"]["database"] == "unreachable"
    assert "database" in data["failed"] and "migrations" in data["failed"]
    assert client.get("/healthz").status_code == 200
    db.session.remove()


def _scrape(client, **kw) -> dict:
    resp = client.get("/metrics", **kw)
    assert resp.status_code == 200, resp.status_code
    assert resp.headers["Content-Type"].startswith("text/plain")
    samples = {}
    for family in text_string_to_metric_families(resp.get_data(as_text=True)):
        for s in family.samples:
            samples[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return samples


def _value(samples, name, **labels) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def test_metrics_count_requests_by_endpoint_and_status(client):
    before = _scrape(client)
    for _ in range(3):
        assert client.get("/healthz").status_code == 200
    assert client.get("/v/" + "z" * 26 + ".json").status_code == 404
    assert client.get("/no/such/page").status_code == 404
    assert client.open("/healthz", method="BREW").status_code == 405
    after = _scrape(client)

    def delta(name, **labels):
        return _value(after, name, **labels) - _value(before, name, **labels)

    requests = "quizapp_http_requests_total"
    assert delta(requests, endpoint="main.healthz", method="GET", status="200") == 3
    # by the Flask endpoint, never the raw address (one series for every code)
    assert delta(requests, endpoint="certificates.verify_json", method="GET", status="404") == 1
    assert delta(requests, endpoint="unmatched", method="GET", status="404") == 1
    assert delta(requests, endpoint="unmatched", method="other", status="405") == 1
    # the first scrape is counted by the second
    assert delta(requests, endpoint="metrics", method="GET", status="200") == 1
    hist = "quizapp_http_request_duration_seconds"
    assert delta(hist + "_count", endpoint="main.healthz") == 3
    assert delta(hist + "_bucket", endpoint="main.healthz", le="+Inf") == 3
    assert delta(hist + "_sum", endpoint="main.healthz") > 0
    assert not any("/v/" in str(key) for key in after)
    # the database pool of this process (SQLAlchemy's pool status)
    assert any(name == "quizapp_db_pool_checked_out" for name, _labels in after)


def test_metrics_count_quiz_events_and_cache(app, client, session, now):
    unit = make_unit(session)
    bank = make_bank(session, unit, now)
    contest = make_contest(session, unit, bank, now, count=3)
    member = make_user(session, role="member", unit=unit)
    session.commit()
    before = _scrape(client)
    play_round(session, contest.rounds[0], member, now, right=2)
    cache = MemoryCache()
    cached(cache, "k", 30, lambda: 1)  # built
    cached(cache, "k", 30, lambda: 2)  # fresh
    cached(cache, "k", 30, lambda: 3)  # fresh
    after = _scrape(client)

    def delta(name, **labels):
        return _value(after, name, **labels) - _value(before, name, **labels)

    assert delta("quizapp_attempts_started_total") == 1
    assert delta("quizapp_answer_saves_total") == 2
    assert delta("quizapp_attempts_submitted_total", by="user") == 1
    assert delta("quizapp_cache_lookups_total", result="miss") == 1
    assert delta("quizapp_cache_lookups_total", result="hit") == 2


def test_metrics_access(app_with):
    app = app_with(METRICS_TOKEN="s3cret-token-for-prometheus")
    client = app.test_client()
    assert client.get("/metrics").status_code == 403
    assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 403
    _scrape(client, headers={"Authorization": "Bearer s3cret-token-for-prometheus"})

    app = app_with(METRICS_ALLOW="10.0.0.0/8, 192.0.2.7")
    client = app.test_client()
    _scrape(client, environ_base={"REMOTE_ADDR": "10.1.2.3"})
    _scrape(client, environ_base={"REMOTE_ADDR": "192.0.2.7"})
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": "192.0.2.8"}).status_code == 403
    assert client.get("/metrics").status_code == 403  # loopback is not in the list

    app = app_with()  # nothing configured: this machine only, outside production
    client = app.test_client()
    _scrape(client)
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": "10.1.2.3"}).status_code == 403
    app.config["ENV_NAME"] = "production"  # … and off in production
    assert client.get("/metrics").status_code == 404


def test_request_id_taken_from_the_proxy_or_made(client):
    resp = client.get("/healthz", headers={"X-Request-Id": "7f3a9c01-proxy.42"})
    assert resp.headers["X-Request-Id"] == "7f3a9c01-proxy.42"
    made = client.get("/healthz", headers={"X-Request-Id": 'bad id" <script>'})
    rid = made.headers["X-Request-Id"]
    assert len(rid) == 32 and int(rid, 16) >= 0
    assert client.get("/healthz").headers["X-Request-Id"] != rid


def test_json_log_lines(app_with, caplog):
    root = logging.getLogger()
    level = root.level
    app = app_with(LOG_JSON=True)
    try:
        with caplog.at_level(logging.INFO, logger="quizapp.request"):
            resp = app.test_client().get("/healthz", headers={"X-Request-Id": "req-123"})
        assert resp.headers["X-Request-Id"] == "req-123"
        records = [r for r in caplog.records if r.name == "quizapp.request"]
        assert len(records) == 1
        line = json.loads(JsonFormatter().format(records[0]))
        assert line["request_id"] == "req-123" and line["message"] == "request"
        assert line["endpoint"] == "main.healthz" and line["status"] == 200
        assert line["method"] == "GET" and line["path"] == "/healthz"
        assert line["level"] == "INFO" and line["time"].endswith("Z")
        assert line["duration_ms"] >= 0
        assert any(isinstance(h.formatter, JsonFormatter) for h in root.handlers)
        # an exception's traceback stays inside the one JSON line
        try:
            raise ValueError("boom")
        except ValueError:
            record = logging.LogRecord("x", logging.ERROR, __file__, 1, "failed", (), None)
            import sys

            record.exc_info = sys.exc_info()
        line = json.loads(JsonFormatter().format(record))
        assert "ValueError: boom" in line["exception"] and "\n" not in JsonFormatter().format(
            record
        )
    finally:
        for h in [h for h in root.handlers if isinstance(h.formatter, JsonFormatter)]:
            root.removeHandler(h)
        root.setLevel(level)
