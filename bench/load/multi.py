"""`make bench-multi`: two gunicorn instances on two loopback ports behind a local nginx,
one PostgreSQL. A participant starts an attempt through instance A, saves answers and submits
through instance B, and reads the result through nginx; the database must show one attempt,
submitted, with every answer, and each instance's access log the requests it served.

Usage (scripts/bench_multi.sh does it): python bench/load/multi.py prepare|check FIXTURE."""

from __future__ import annotations

import asyncio
import json
import os
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from bench.load.client import Client  # noqa: E402


def prepare(fixture: Path) -> None:
    from quizapp import create_app
    from quizapp.cli import upgrade_database

    app = create_app()
    with app.app_context():
        upgrade_database()
        from bench.load.data import generate

        fx = generate(app, members=200, graded=10, certificates=10, participants=3, log=print)
    fixture.write_text(json.dumps(fx), encoding="utf-8")


async def _flow(fx: dict, a: int, b: int, proxy: int) -> dict:
    p = fx["participants"][0]
    cookies = {"quizapp_session": p["cookie"]}
    A, B, N = Client("127.0.0.1", a), Client("127.0.0.1", b), Client("127.0.0.1", proxy)
    r = await A.request(
        "POST", f"/rounds/{fx['live_round']}/start", cookies=cookies, form={"csrf_token": p["csrf"]}
    )
    assert r.status == 302, (r.status, r.body[:300])
    attempt = int(re.search(r"/attempts/(\d+)$", r.header("location")).group(1))
    cookies["quizapp_device"] = r.cookies()["quizapp_device"]
    r = await A.request("GET", f"/attempts/{attempt}", cookies=cookies)
    assert r.status == 200
    for position in (1, 2, 3):
        body = json.dumps({"position": position, "answer": {"choices": [0]}}).encode()
        r = await B.request(
            "POST",
            f"/attempts/{attempt}/save",
            cookies=cookies,
            json_body=body,
            headers={"X-CSRFToken": p["csrf"], "Accept": "application/json"},
        )
        assert r.status == 200 and json.loads(r.body)["ok"], (r.status, r.body[:300])
    r = await B.request(
        "POST", f"/attempts/{attempt}/submit", cookies=cookies, form={"csrf_token": p["csrf"]}
    )
    assert r.status == 302 and r.header("location").endswith("/result"), r.status
    r = await N.request("GET", f"/attempts/{attempt}/result", cookies=cookies)
    assert r.status == 200, r.status
    # nginx spreads requests over both instances
    for _ in range(10):
        r = await N.request("GET", "/healthz")
        assert r.status == 200
    return {"attempt": attempt, "user_id": p["user_id"]}


def check(fixture: Path, a: int, b: int, proxy: int, log_a: Path, log_b: Path) -> None:
    from sqlalchemy import select

    from quizapp import create_app
    from quizapp.contests.models import Attempt

    fx = json.loads(fixture.read_text(encoding="utf-8"))
    done = asyncio.run(_flow(fx, a, b, proxy))
    app = create_app()
    with app.app_context():
        from quizapp.extensions import db

        attempts = db.session.scalars(
            select(Attempt).where(
                Attempt.round_id == fx["live_round"], Attempt.user_id == done["user_id"]
            )
        ).all()
        assert len(attempts) == 1, attempts
        att = attempts[0]
        assert att.id == done["attempt"] and att.status == "submitted"
        saved = sorted(q.position for q in att.questions if q.saved_at is not None)
        assert saved == [1, 2, 3], saved
        assert att.score is not None and att.submitted_by == "user", att.score
    aid = done["attempt"]
    text_a, text_b = log_a.read_text(), log_b.read_text()
    assert f"POST /rounds/{fx['live_round']}/start" in text_a
    assert f"POST /attempts/{aid}/submit" in text_b and f"/attempts/{aid}/save" in text_b
    assert f"/rounds/{fx['live_round']}/start" not in text_b
    both = text_a.count("GET /healthz") > 1 and text_b.count("GET /healthz") > 1
    assert both, "nginx did not spread requests over both instances"
    print(
        f"OK: attempt {aid} started through :{a}, answers saved and submitted through :{b}, "
        f"result read through nginx :{proxy}; submitted with 3/3 answers saved; nginx used "
        "both instances"
    )


if __name__ == "__main__":
    cmd, fixture = sys.argv[1], Path(sys.argv[2])
    if cmd == "prepare":
        prepare(fixture)
    else:
        a, b, proxy = (int(x) for x in sys.argv[3:6])
        check(fixture, a, b, proxy, Path(sys.argv[6]), Path(sys.argv[7]))
    os._exit(0)
