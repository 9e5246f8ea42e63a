"""Settings read from QUIZAPP_* environment variables, with safe defaults for a local run."""

from __future__ import annotations

import math
import os
import secrets
from pathlib import Path

DEFAULT_SECRET = "dev-insecure-change-me"  # noqa: S105 - refused in production


class ConfigError(RuntimeError):
    """The configuration is unsafe or incomplete."""


def _bool(value: str | None, default: bool) -> bool:
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def load_config(instance_path: str, environ: dict[str, str] | None = None) -> dict:
    """Build the Flask config mapping from the environment."""
    env = os.environ if environ is None else environ
    instance = Path(instance_path)
    production = env.get("QUIZAPP_ENV", "development") == "production"
    return {
        "ENV_NAME": "production" if production else "development",
        "SECRET_KEY": env.get("QUIZAPP_SECRET_KEY", DEFAULT_SECRET),
        "DATABASE_URL": env.get("QUIZAPP_DATABASE_URL", f"sqlite:///{instance / 'quizapp.db'}"),
        "BASE_URL": env.get("QUIZAPP_BASE_URL", "http://127.0.0.1:5000"),
        "SIGNING_KEY_DIR": env.get("QUIZAPP_SIGNING_KEY_DIR", str(instance / "keys")),
        "CERT_CACHE_DIR": env.get(
            "QUIZAPP_CERT_CACHE_DIR", str(instance / "cache" / "certificates")
        ),
        "UPLOADS_DIR": env.get("QUIZAPP_UPLOADS_DIR", str(instance / "uploads")),
        "VERIFY_RATE_LIMIT": env.get("QUIZAPP_VERIFY_RATE_LIMIT", "60 per minute"),
        "VERIFY_MISS_RATE_LIMIT": env.get("QUIZAPP_VERIFY_MISS_RATE_LIMIT", "10 per minute"),
        # Keyed hash for citizen IDs: a separate key so that rotating the session secret
        # does not break de-duplication.
        "PII_HASH_KEY": env.get("QUIZAPP_PII_HASH_KEY", ""),
        "RATELIMIT_STORAGE_URI": env.get("QUIZAPP_RATELIMIT_STORAGE_URI", "memory://"),
        "RATELIMIT_ENABLED": _bool(env.get("QUIZAPP_RATELIMIT_ENABLED"), True),
        "RATELIMIT_HEADERS_ENABLED": True,
        "LOGIN_RATE_LIMIT": env.get("QUIZAPP_LOGIN_RATE_LIMIT", "10 per minute"),
        # Failed or not, logins to one account from any number of addresses.
        "LOGIN_ACCOUNT_RATE_LIMIT": env.get("QUIZAPP_LOGIN_ACCOUNT_RATE_LIMIT", "20 per hour"),
        # How many reverse proxies (nginx, a load balancer) stand in front of the app and
        # set X-Forwarded-For/-Proto/-Host: the client address of rate limits and the audit
        # log is read through them (0: use the connection's address).
        "TRUSTED_PROXIES": int(env.get("QUIZAPP_TRUSTED_PROXIES", "0")),
        "REGISTER_RATE_LIMIT": env.get("QUIZAPP_REGISTER_RATE_LIMIT", "5 per minute"),
        "START_RATE_LIMIT": env.get("QUIZAPP_START_RATE_LIMIT", "20 per minute"),
        "SAVE_RATE_LIMIT": env.get("QUIZAPP_SAVE_RATE_LIMIT", "240 per minute"),
        "API_RATE_LIMIT": env.get("QUIZAPP_API_RATE_LIMIT", "300 per minute"),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": production,
        "SESSION_COOKIE_NAME": "quizapp_session",
        "PERMANENT_SESSION_LIFETIME": 60 * 60 * 24 * 14,
        "WTF_CSRF_ENABLED": _bool(env.get("QUIZAPP_CSRF_ENABLED"), True),
        "WTF_CSRF_TIME_LIMIT": None,  # tied to the session; a quiz can last longer than 1 h
        "MAX_CONTENT_LENGTH": int(env.get("QUIZAPP_MAX_UPLOAD_MB", "10")) * 1024 * 1024,
        # Uploaded workbooks and images: bounds checked before anything is decoded.
        "IMPORT_MAX_UNCOMPRESSED_MB": int(env.get("QUIZAPP_IMPORT_MAX_UNCOMPRESSED_MB", "50")),
        "IMPORT_MAX_RATIO": int(env.get("QUIZAPP_IMPORT_MAX_RATIO", "100")),
        "IMPORT_MAX_ROWS": int(env.get("QUIZAPP_IMPORT_MAX_ROWS", "50000")),
        "IMPORT_MAX_CELLS": int(env.get("QUIZAPP_IMPORT_MAX_CELLS", "500000")),
        "IMAGE_MAX_PIXELS": int(env.get("QUIZAPP_IMAGE_MAX_PIXELS", "25000000")),
        "BABEL_DEFAULT_LOCALE": "vi",
        "BABEL_DEFAULT_TIMEZONE": "Asia/Ho_Chi_Minh",
        "LANGUAGES": ("vi", "en"),
        "CONSENT_TEXT_VERSION": env.get("QUIZAPP_CONSENT_VERSION", "2026-01"),
        # Hours within which the person's unit decides a request to delete their data
        # (shown to both sides as the due date). Decree 356/2025/NĐ-CP, Điều 5 khoản 4 (read
        # in a transcript of the Công báo text): reply within 2 working days with the
        # procedure (the request page does so at once), carry it out within 20 days (30 when
        # a processor or third party must act; one extension of at most 20 days). 72 h is
        # stricter than the law, so organisers act while the request is fresh; up to 480
        # stays within it. Set what your legal adviser confirms.
        "DATA_REQUEST_HOURS": int(env.get("QUIZAPP_DATA_REQUEST_HOURS", "72")),
        "PAGE_SIZE": 50,
        # Static addresses carry a hash of the file (quizapp.web): cacheable for a year.
        "SEND_FILE_MAX_AGE_DEFAULT": 365 * 24 * 3600,
        # How long anonymous visitors' browsers and the reverse proxy may keep a public page
        # (QR verification, public ranking, contest landing page): a revocation or a
        # published prize list shows within this many seconds.
        "PUBLIC_CACHE_SECONDS": int(env.get("QUIZAPP_PUBLIC_CACHE_SECONDS", "30")),
        "SQL_ECHO": _bool(env.get("QUIZAPP_SQL_ECHO"), False),
        # Database connections per process: one per gunicorn thread (see gunicorn.conf.py).
        "DB_POOL_SIZE": int(env.get("QUIZAPP_DB_POOL_SIZE") or env.get("QUIZAPP_THREADS") or 4),
        # Where cached pages' data live: "memory://" (per process) or "redis://host:port/db"
        # (shared by every worker and server; needs the redis package).
        "CACHE_URL": env.get("QUIZAPP_CACHE_URL", "memory://"),
        # /metrics (quizapp/ops/metrics.py): a bearer token and/or addresses and networks
        # ("10.0.0.0/8,192.0.2.7"); with neither, only this machine outside production and
        # off in production.
        "METRICS_TOKEN": env.get("QUIZAPP_METRICS_TOKEN", ""),
        "METRICS_ALLOW": env.get("QUIZAPP_METRICS_ALLOW", ""),
        # One JSON object per log line, with the request id (quizapp/ops/logs.py).
        "LOG_JSON": _bool(env.get("QUIZAPP_LOG_JSON"), False),
        # Retention (`flask --app wsgi purge`, quizapp/ops/retention.py); 0 keeps forever.
        # Accounts that never took part (no attempt, enrolment, certificate, role), counted
        # from their creation and last login:
        "RETENTION_IDLE_ACCOUNT_DAYS": int(env.get("QUIZAPP_RETENTION_IDLE_ACCOUNT_DAYS", "730")),
        # Server-side login sessions, counted from the login (the browser logs in again):
        "RETENTION_SESSION_DAYS": int(env.get("QUIZAPP_RETENTION_SESSION_DAYS", "30")),
        # Uploaded roster and bank files never confirmed after their preview:
        "RETENTION_UPLOAD_HOURS": int(env.get("QUIZAPP_RETENTION_UPLOAD_HOURS", "24")),
        # Password reset codes past their expiry:
        "RETENTION_RESET_CODE_DAYS": int(env.get("QUIZAPP_RETENTION_RESET_CODE_DAYS", "7")),
        # The log of organisers' views and exports of personal data (/org/data-access):
        "RETENTION_ACCESS_LOG_DAYS": int(env.get("QUIZAPP_RETENTION_ACCESS_LOG_DAYS", "730")),
    }


def estimated_bits(secret: str) -> float:
    """A generous estimate of a secret's entropy: its length times log2 of the number of
    distinct characters it uses ("a" * 32 has 0 bits, a 64-digit hex string 256)."""
    distinct = len(set(secret))
    return len(secret) * math.log2(distinct) if distinct > 1 else 0.0


MIN_SECRET_BITS = 128


def instance_secret(instance_path: str, name: str) -> str:
    """A random secret kept in the instance folder (created, readable by its owner only, on
    first use), like the signing keys: every process of a deployment sharing the folder reads
    the same one. Set the environment variable instead when the folder is not shared."""
    path = Path(instance_path) / name
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_hex(32))
    return path.read_text().strip()


def check_production(config: dict) -> None:
    """Refuse to start in production with a default or weak secret (by entropy, not only
    length: "a" * 32 is refused)."""
    if config["ENV_NAME"] != "production":
        return
    secret = config.get("SECRET_KEY") or ""
    if secret == DEFAULT_SECRET or len(secret) < 32 or estimated_bits(secret) < MIN_SECRET_BITS:
        raise ConfigError(
            "QUIZAPP_SECRET_KEY must be set to a random value of at least 32 characters "
            "in production (e.g. python -c 'import secrets; print(secrets.token_hex(32))')."
        )
    if estimated_bits(config.get("PII_HASH_KEY") or "") < MIN_SECRET_BITS:
        raise ConfigError(
            "QUIZAPP_PII_HASH_KEY is too weak: leave it unset (a random key is kept in the "
            "instance folder) or set a random value of at least 32 characters."
        )
