"""quizapp: online contests, study programmes and certificates for the youth union."""

from __future__ import annotations

import os
from typing import Any

from flask import Flask

from quizapp.clock import SYSTEM_CLOCK, Clock
from quizapp.config import check_production, instance_secret, load_config

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def create_app(overrides: dict[str, Any] | None = None, *, clock: Clock | None = None) -> Flask:
    """Build the app: config, extensions, blueprints, error handlers, CLI.

    `clock` is the one source of the current time (default: the system clock); tests and
    benchmarks pass a `quizapp.clock.SettableClock` they control."""
    app = Flask(
        __name__,
        instance_path=os.environ.get("QUIZAPP_INSTANCE_PATH", os.path.join(ROOT, "instance")),
        template_folder=os.path.join(ROOT, "templates"),
        static_folder="static",
    )
    app.config.update(load_config(app.instance_path))
    if overrides:
        app.config.update(overrides)
    os.makedirs(app.instance_path, exist_ok=True)
    if not app.config["PII_HASH_KEY"]:
        # Never derived from the session secret (whose development default is public): a
        # random key in the instance folder, made on first run.
        app.config["PII_HASH_KEY"] = instance_secret(app.instance_path, "pii_hash_key")
    check_production(app.config)
    if app.config.get("TRUSTED_PROXIES"):
        from werkzeug.middleware.proxy_fix import ProxyFix

        n = app.config["TRUSTED_PROXIES"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n)
    app.extensions["quizapp_clock"] = clock or SYSTEM_CLOCK

    from quizapp import (
        events,
        models,  # noqa: F401  (register every table on the metadata)
    )
    from quizapp.certificates import glue
    from quizapp.extensions import babel, csrf, db, limiter, login_manager
    from quizapp.web import babel_locale, init_web, select_timezone

    # Sessions of this app sign certificates with its keys (quizapp/events.py).
    db.init_app(app, engine=app.config.get("ENGINE"), session_info={events.ISSUER: glue.issuer})
    csrf.init_app(app)
    babel.init_app(
        app,
        locale_selector=babel_locale,
        timezone_selector=select_timezone,
        default_translation_directories=os.path.join(app.root_path, "translations"),
    )
    from quizapp.cache import make_cache

    app.extensions["quizapp_cache"] = make_cache(app.config.get("CACHE_URL", "memory://"))
    app.config.setdefault("RATELIMIT_STORAGE_URI", "memory://")
    limiter.init_app(app)
    login_manager.init_app(app)
    from quizapp.ops.logs import init_logs
    from quizapp.ops.metrics import init_metrics

    init_metrics(app)  # first: its timer spans the other hooks and the commit
    init_logs(app)
    init_web(app)
    if app.config.get("JINJA_STRICT"):
        # Tests render with StrictUndefined: a variable a view forgot to pass fails loudly.
        from jinja2 import StrictUndefined

        app.jinja_env.undefined = StrictUndefined

    from quizapp.api import init_api
    from quizapp.audit.views import bp as audit_bp
    from quizapp.auth.views import bp as auth_bp
    from quizapp.banks.views import bp as banks_bp
    from quizapp.certificates.views import bp as certificates_bp

    # Modules that add routes to a blueprint they share with another (blueprints.py,
    # blueprint.py of their package) are imported here, before the blueprints are registered.
    from quizapp.contests import follow_views, ranking_page, results_views, take  # noqa: F401
    from quizapp.contests import views as contest_views  # noqa: F401
    from quizapp.contests.blueprints import contests as contests_bp
    from quizapp.contests.blueprints import take as take_bp
    from quizapp.indicators.views import bp as indicators_bp
    from quizapp.main import bp as main_bp
    from quizapp.orgs import member_views  # noqa: F401
    from quizapp.orgs import views as org_views  # noqa: F401
    from quizapp.orgs.blueprint import bp as orgs_bp
    from quizapp.programmes import manage_views  # noqa: F401
    from quizapp.programmes import views as programme_views  # noqa: F401
    from quizapp.programmes.blueprint import bp as programmes_bp
    from quizapp.rights.views import bp as rights_bp

    init_api(app)  # the JSON API (/api/v1), its bearer tokens and its CSRF exemption
    for bp in (
        main_bp,
        auth_bp,
        orgs_bp,
        audit_bp,
        banks_bp,
        contests_bp,
        take_bp,
        certificates_bp,
        programmes_bp,
        indicators_bp,
        rights_bp,
    ):
        app.register_blueprint(bp)

    connect_listeners()

    from quizapp.cli import register_cli

    register_cli(app)
    return app


def connect_listeners() -> None:
    """Connect the receivers of what one domain announces to another (quizapp/events.py);
    connecting twice changes nothing."""
    from quizapp.certificates import glue
    from quizapp.programmes import study

    glue.connect_listeners()
    study.connect_listeners()
