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


@pytest.mark.parametrize("secret", [DEFAULT_SECRET, "short"])
def test_production_refuses_weak_secret(tmp_path, secret):
    cfg = load_config(
        str(tmp_path),
        environ={
            "QUIZAPP_ENV": "production",
            "QUIZAPP_SECRET_KEY": secret,
            "QUIZAPP_PII_HASH_KEY": "k",
        },
    )
    with pytest.raises(ConfigError):
        check_production(cfg)


def test_production_accepts_strong_settings_and_secures_cookies(tmp_path):
    cfg = load_config(
        str(tmp_path),
        environ={
            "QUIZAPP_ENV": "production",
            "QUIZAPP_SECRET_KEY": "x" * 40,
            "QUIZAPP_PII_HASH_KEY": "k" * 40,
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
