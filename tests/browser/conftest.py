"""Real headless Chromium (Debian's) driven by Playwright against a live server on loopback."""

from __future__ import annotations

import os
import shutil
import threading

import pytest
from werkzeug.serving import make_server

from quizapp import create_app
from quizapp.clock import SettableClock
from quizapp.db import Base
from tests.conftest import NOW

CHROMIUM = os.environ.get("QUIZAPP_CHROMIUM", shutil.which("chromium") or "/usr/bin/chromium")
AXE = os.path.join(os.path.dirname(__file__), "..", "..", "node_modules", "axe-core", "axe.min.js")


@pytest.fixture(scope="session")
def live_clock():
    """The live server's clock: it starts at the suite's NOW and runs at the real pace (the
    pages count down in real time); a test may move it (`live_clock.advance(minutes=5)`)."""
    return SettableClock(NOW, ticking=True)


@pytest.fixture(scope="session")
def live_app(tmp_path_factory, live_clock):
    from quizapp.demo import load_demo
    from quizapp.extensions import db

    path = tmp_path_factory.mktemp("live") / "live.db"
    app = create_app(
        {
            "SECRET_KEY": "browser-test-secret-key-0123456789abcdef",
            "DATABASE_URL": f"sqlite:///{path}",
            "RATELIMIT_ENABLED": False,
            "PII_HASH_KEY": "browser",
            "JINJA_STRICT": True,
            "SIGNING_KEY_DIR": str(path.parent / "keys"),
            "CERT_CACHE_DIR": str(path.parent / "cache"),
            "UPLOADS_DIR": str(path.parent / "uploads"),
        },
        clock=live_clock,
    )
    with app.app_context():
        Base.metadata.create_all(db.engine)
        load_demo(db.session, pii_key="browser", now=live_clock.now(), members=60)
        db.session.commit()
    return app


@pytest.fixture(scope="session")
def live_server(live_app):
    server = make_server("127.0.0.1", 0, live_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
                "--disable-quic",
            ],
        )
        yield b
        b.close()


@pytest.fixture()
def page(browser):
    context = browser.new_context(
        viewport={"width": 390, "height": 844},
        is_mobile=True,
        has_touch=True,
        locale="vi-VN",
        device_scale_factor=2,
    )
    p = context.new_page()
    p.set_default_timeout(10_000)
    yield p
    context.close()


@pytest.fixture()
def check_a11y():
    """Run axe-core (WCAG 2.0/2.1 A and AA) on the page; return the violations."""

    with open(AXE, encoding="utf-8") as fh:
        source = fh.read()

    def _check(page):
        # evaluate() is not subject to the page's CSP (add_script_tag would be refused),
        # so the app keeps its strict policy during the test.
        page.evaluate(source)
        result = page.evaluate(
            """() => axe.run(document, {runOnly: {type: "tag",
                 values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}})"""
        )
        return [
            (v["id"], v["help"], [n["target"] for n in v["nodes"]][:3])
            for v in result["violations"]
        ]

    return _check


def no_horizontal_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
