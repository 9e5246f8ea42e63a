"""The factory and configuration: defaults, overrides, production refusal."""

import pytest

from quizapp import create_app
from quizapp.config import DEFAULT_SECRET, ConfigError, check_production, load_config


def test_defaults_use_sqlite_in_instance(tmp_path):
    cfg = load_config(str(tmp_path), environ={})
    assert cfg["DATABASE_URL"] == f"sqlite:///{tmp_path / 'quizapp.db'}"
    assert cfg["SESSION_COOKIE_HTTPONLY"] and cfg["SESSION_COOKIE_SAMESITE"] == "Lax"
    assert cfg["SESSION_COOKIE_SECURE"] is False


def test_environment_overrides(tmp_path):
    cfg = load_config(
        str(tmp_path),
        environ={
            "QUIZAPP_DATABASE_URL": "postgresql+psycopg://x@127.0.0.1/db",
            "QUIZAPP_RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379",
        },
    )
    assert cfg["DATABASE_URL"].startswith("postgresql")
    assert cfg["RATELIMIT_STORAGE_URI"] == "redis://127.0.0.1:6379"


STRONG = "3f9a0c6e1b7d24c58e0f19a7b3d6c2e4" * 2


@pytest.mark.parametrize("secret", [DEFAULT_SECRET, "short", "a" * 32, "ab" * 20])
def test_production_refuses_weak_secret(tmp_path, secret):
    cfg = load_config(
        str(tmp_path),
        environ={
            "QUIZAPP_ENV": "production",
            "QUIZAPP_SECRET_KEY": secret,
            "QUIZAPP_PII_HASH_KEY": STRONG,
        },
    )
    with pytest.raises(ConfigError):
        check_production(cfg)


@pytest.mark.parametrize("key", ["k", "k" * 40, "x"])
def test_production_refuses_weak_pii_key(tmp_path, key):
    cfg = load_config(
        str(tmp_path),
        environ={
            "QUIZAPP_ENV": "production",
            "QUIZAPP_SECRET_KEY": STRONG,
            "QUIZAPP_PII_HASH_KEY": key,
        },
    )
    with pytest.raises(ConfigError):
        check_production(cfg)


def test_pii_key_is_random_and_kept_in_the_instance(tmp_path, monkeypatch):
    """Outside tests the citizen-ID key is never derived from the (public) default secret:
    a random key is made in the instance folder on first run and read back after."""
    monkeypatch.setenv("QUIZAPP_INSTANCE_PATH", str(tmp_path))
    monkeypatch.delenv("QUIZAPP_PII_HASH_KEY", raising=False)
    first = create_app({"DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}"})
    key = first.config["PII_HASH_KEY"]
    assert len(key) == 64 and DEFAULT_SECRET not in key
    assert (tmp_path / "pii_hash_key").stat().st_mode & 0o077 == 0
    again = create_app({"DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}"})
    assert again.config["PII_HASH_KEY"] == key
    other = tmp_path / "other"
    monkeypatch.setenv("QUIZAPP_INSTANCE_PATH", str(other))
    assert create_app({"DATABASE_URL": f"sqlite:///{other / 'x.db'}"}).config["PII_HASH_KEY"] != key


def test_production_accepts_strong_settings_and_secures_cookies(tmp_path):
    cfg = load_config(
        str(tmp_path),
        environ={
            "QUIZAPP_ENV": "production",
            "QUIZAPP_SECRET_KEY": STRONG,
            "QUIZAPP_PII_HASH_KEY": STRONG[::-1],
        },
    )
    check_production(cfg)
    assert cfg["SESSION_COOKIE_SECURE"] is True


def test_create_app_refuses_default_secret_in_production(tmp_path, monkeypatch):
    monkeypatch.setenv("QUIZAPP_ENV", "production")
    monkeypatch.delenv("QUIZAPP_SECRET_KEY", raising=False)
    monkeypatch.setenv("QUIZAPP_INSTANCE_PATH", str(tmp_path))
    with pytest.raises(ConfigError):
        create_app()


def test_factory_with_overrides(tmp_path, monkeypatch):
    monkeypatch.setenv("QUIZAPP_INSTANCE_PATH", str(tmp_path))
    app = create_app({"TESTING": True, "DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}"})
    assert app.testing
    assert {"main", "auth", "orgs", "audit"} <= set(app.blueprints)


def test_gunicorn_takes_one_thread_per_process_on_sqlite(monkeypatch):
    import os
    import runpy

    for name in ("QUIZAPP_WORKERS", "QUIZAPP_THREADS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("QUIZAPP_DATABASE_URL", "sqlite:////tmp/x.db")
    conf = runpy.run_path("gunicorn.conf.py")
    assert (conf["workers"], conf["threads"]) == (2 * (os.cpu_count() or 1), 1)
    monkeypatch.setenv("QUIZAPP_DATABASE_URL", "postgresql+psycopg://db/quizapp")
    conf = runpy.run_path("gunicorn.conf.py")
    assert (conf["workers"], conf["threads"]) == (2, 4)
    monkeypatch.setenv("QUIZAPP_THREADS", "8")
    assert runpy.run_path("gunicorn.conf.py")["threads"] == 8
