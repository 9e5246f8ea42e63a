"""A request id on every request, and JSON log lines (QUIZAPP_LOG_JSON=1).

The id is the proxy's `X-Request-Id` when it looks like one (letters, digits and `-._:`, at
most 128 characters; nginx's `$request_id` is 32 hex digits), otherwise a new random one. It
is echoed in the response's `X-Request-Id` header and carried by every log line written
while the request runs, so a line of the app's log can be matched with nginx's."""

from __future__ import annotations

import json
import logging
import re
import time
import uuid

from flask import Flask, g, has_request_context, request

REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")
HEADER = "X-Request-Id"


def request_id() -> str | None:
    return g.get("request_id") if has_request_context() else None


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (UTC, ISO 8601), level, logger, message, the request
    id, the fields given as `extra={"fields": {...}}` and the exception's traceback."""

    converter = time.gmtime

    def format(self, record: logging.LogRecord) -> str:
        line = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S") + f".{int(record.msecs):03d}Z",
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        rid = getattr(record, "request_id", None) or request_id()
        if rid:
            line["request_id"] = rid
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict):
            line.update(fields)
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False, default=str)


access_log = logging.getLogger("quizapp.request")


def init_logs(app: Flask) -> None:
    @app.before_request
    def _request_id():
        given = request.headers.get(HEADER, "")
        g.request_id = given if REQUEST_ID.fullmatch(given) else uuid.uuid4().hex

    @app.after_request
    def _echo_request_id(response):
        rid = g.get("request_id")
        if rid:
            response.headers[HEADER] = rid
        if app.config.get("LOG_JSON"):
            started = g.get("metrics_started")
            fields = {
                "method": request.method,
                "path": request.path,
                "endpoint": request.endpoint,
                "status": response.status_code,
            }
            if started is not None:
                fields["duration_ms"] = round((time.perf_counter() - started) * 1000, 2)
            access_log.info("request", extra={"fields": fields, "request_id": rid})
        return response

    if app.config.get("LOG_JSON"):
        from flask.logging import default_handler

        app.logger.removeHandler(default_handler)  # its records reach the root's JSON handler
        configure_json_logging()


def configure_json_logging() -> None:
    """Every record that reaches the root logger (the app's, SQLAlchemy's, the libraries')
    as one JSON line on standard error. gunicorn keeps its own error and access logs."""
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    for old in [h for h in root.handlers if isinstance(h.formatter, JsonFormatter)]:
        root.removeHandler(old)  # a second app in the process adds no second line
    root.addHandler(handler)
    if root.level > logging.INFO or root.level == logging.NOTSET:
        root.setLevel(logging.INFO)
    access_log.propagate = True
