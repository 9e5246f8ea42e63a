"""Benchmark: load time of a 30-question quiz page on an emulated slow-3G phone.

Starts the app on loopback with a temporary SQLite database, creates a published round of 30
questions, logs a member in with headless Chromium (Debian's) at a 390×844 viewport, then
reloads the quiz page under Chrome DevTools network throttling (slow 3G: 400 kbit/s down,
400 kbit/s up, 400 ms round trip) and 4× CPU slowdown. Prints and writes
bench/results/quiz_page.json. Run: `make bench-quiz` (target: under 2 s).
"""

from __future__ import annotations

import json
import shutil
import statistics
import sys
import tempfile
import threading
from datetime import UTC, datetime
from pathlib import Path

from werkzeug.serving import make_server

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from quizapp import create_app  # noqa: E402
from quizapp.db import Base  # noqa: E402

SLOW_3G = {
    "offline": False,
    "latency": 400,
    "downloadThroughput": 400 * 1024 / 8,
    "uploadThroughput": 400 * 1024 / 8,
}


def main(runs: int = 5) -> dict:
    from playwright.sync_api import sync_playwright

    from quizapp.auth.models import User
    from quizapp.auth.services import hash_password
    from quizapp.extensions import db
    from quizapp.orgs.members import MemberData, create_member
    from quizapp.policy import SYSTEM
    from tests.contest_helpers import make_bank, make_contest
    from tests.factories import ensure_types

    tmp = tempfile.mkdtemp()
    app = create_app(
        {
            "SECRET_KEY": "bench-" + "x" * 40,
            "RATELIMIT_ENABLED": False,
            "DATABASE_URL": f"sqlite:///{tmp}/bench.db",
        }
    )
    now = datetime.now(UTC)
    with app.app_context():
        Base.metadata.create_all(db.engine)
        ensure_types(db.session)
        from quizapp.orgs.services import create_unit

        unit = create_unit(
            db.session,
            actor=SYSTEM,
            code="B",
            name="Đơn vị đo",
            type_key="province",
            parent_id=None,
            now=now,
        )
        bank = make_bank(db.session, unit, now, n=60)
        contest = make_contest(db.session, unit, bank, now, count=30, attempts_allowed=20)
        m = create_member(
            db.session,
            MemberData(
                full_name="Người đo", unit_id=unit.id, categories=("youth",), phone="0900000001"
            ),
            actor=SYSTEM,
            pii_key="k",
            now=now,
        )
        db.session.add(
            User(
                display_name="Người đo",
                phone="0900000001",
                member_id=m.id,
                password_hash=hash_password("bench-password"),
            )
        )
        db.session.commit()
        slug = contest.slug
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_port}"
    times, sizes = [], []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=shutil.which("chromium") or "/usr/bin/chromium",
            args=["--headless", "--no-sandbox", "--disable-gpu"],
        )
        ctx = browser.new_context(
            viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True, locale="vi-VN"
        )
        page = ctx.new_page()
        page.goto(base + "/login")
        page.fill("#identifier", "0900000001")
        page.fill("#password", "bench-password")
        page.locator("main form button[type=submit]").click()
        page.goto(f"{base}/c/{slug}")
        page.locator("main form button[type=submit]").first.click()
        page.wait_for_url("**/attempts/*")
        quiz_url = page.url
        cdp = ctx.new_cdp_session(page)
        cdp.send("Network.enable")
        cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
        cdp.send("Network.emulateNetworkConditions", SLOW_3G)
        cdp.send("Emulation.setCPUThrottlingRate", {"rate": 4})
        for _ in range(runs):
            page.goto(quiz_url, wait_until="load")
            timing = page.evaluate(
                "JSON.stringify(performance.getEntriesByType('navigation')[0].toJSON())"
            )
            nav = json.loads(timing)
            times.append(nav["loadEventEnd"] / 1000)
            sizes.append(
                sum(
                    e["transferSize"]
                    for e in json.loads(
                        page.evaluate(
                            "JSON.stringify(performance.getEntriesByType('resource')"
                            ".map(e => e.toJSON()))"
                        )
                    )
                )
                + nav["transferSize"]
            )
        browser.close()
    server.shutdown()
    result = {
        "scenario": "quiz page, 30 questions, slow 3G + 4x CPU",
        "runs": runs,
        "load_s_median": round(statistics.median(times), 3),
        "load_s_max": round(max(times), 3),
        "transfer_bytes": max(sizes),
        "target_s": 2.0,
        "measured_at": now.isoformat(),
    }
    out = ROOT / "bench" / "results" / "quiz_page.json"
    out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    shutil.rmtree(tmp, ignore_errors=True)
    return result


if __name__ == "__main__":
    print(json.dumps(main(), indent=2))
