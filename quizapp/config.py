"""Settings read from QUIZAPP_* environment variables, with safe defaults for a local run."""

from __future__ import annotations

import os
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
        "REGISTER_RATE_LIMIT": env.get("QUIZAPP_REGISTER_RATE_LIMIT", "5 per minute"),
        "START_RATE_LIMIT": env.get("QUIZAPP_START_RATE_LIMIT", "20 per minute"),
        "SAVE_RATE_LIMIT": env.get("QUIZAPP_SAVE_RATE_LIMIT", "240 per minute"),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": production,
        "SESSION_COOKIE_NAME": "quizapp_session",
        "PERMANENT_SESSION_LIFETIME": 60 * 60 * 24 * 14,
        "WTF_CSRF_ENABLED": _bool(env.get("QUIZAPP_CSRF_ENABLED"), True),
        "WTF_CSRF_TIME_LIMIT": None,  # tied to the session; a quiz can last longer than 1 h
        "MAX_CONTENT_LENGTH": int(env.get("QUIZAPP_MAX_UPLOAD_MB", "10")) * 1024 * 1024,
        "BABEL_DEFAULT_LOCALE": "vi",
        "BABEL_DEFAULT_TIMEZONE": "Asia/Ho_Chi_Minh",
        "LANGUAGES": ("vi", "en"),
        "CONSENT_TEXT_VERSION": env.get("QUIZAPP_CONSENT_VERSION", "2026-01"),
        "PAGE_SIZE": 50,
        "SQL_ECHO": _bool(env.get("QUIZAPP_SQL_ECHO"), False),
        # Database connections per process: one per gunicorn thread (see gunicorn.conf.py).
        "DB_POOL_SIZE": int(env.get("QUIZAPP_DB_POOL_SIZE") or env.get("QUIZAPP_THREADS") or 4),
        # Where cached pages' data live: "memory://" (per process) or "redis://host:port/db"
        # (shared by every worker and server; needs the redis package).
        "CACHE_URL": env.get("QUIZAPP_CACHE_URL", "memory://"),
    }


def check_production(config: dict) -> None:
    """Refuse to start in production with a default or weak secret."""
    if config["ENV_NAME"] != "production":
        return
    secret = config.get("SECRET_KEY") or ""
    if secret == DEFAULT_SECRET or len(secret) < 32:
        raise ConfigError(
            "QUIZAPP_SECRET_KEY must be set to a random value of at least 32 characters "
            "in production (e.g. python -c 'import secrets; print(secrets.token_hex(32))')."
        )
    if not config.get("PII_HASH_KEY"):
        raise ConfigError("QUIZAPP_PII_HASH_KEY must be set in production.")
