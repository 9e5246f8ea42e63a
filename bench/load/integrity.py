"""Integrity checks after each scenario, read straight from the database: attempts =
participants, answers saved = answers acknowledged, scores = scores recomputed with the
grading core, certificates issued exactly once, reads that agree with a fresh computation."""

from __future__ import annotations

import time
from collections import Counter
from decimal import Decimal


def _session():
    from quizapp.extensions import db

    db.session.remove()
    return db.session


def after_start(fx: dict) -> dict:
    from sqlalchemy import select

    from quizapp.contests.models import Attempt, AttemptQuestion

    s = _session()
    rows = s.execute(
        select(Attempt.id, Attempt.user_id, Attempt.status).where(
            Attempt.round_id == fx["live_round"]
        )
    ).all()
    per_user = Counter(u for _a, u, _s in rows)
    started = {p["user_id"]: p.get("attempt") for p in fx["participants"]}
    served = Counter(
        a
        for (a,) in s.execute(
            select(AttemptQuestion.attempt_id).where(
                AttemptQuestion.attempt_id.in_([a for a, _u, _s in rows])
            )
        )
    )
    problems = []
    if len(rows) != len(started):
        problems.append(f"{len(rows)} attempts for {len(started)} participants")
    if any(n != 1 for n in per_user.values()):
        problems.append("a participant has several attempts")
    if any(started.get(u) != a for a, u, _s in rows):
        problems.append("an attempt differs from the one the participant was sent to")
    if any(served[a] != 30 for a, _u, _s in rows):
        problems.append("an attempt was not served 30 questions")
    return {
        "ok": not problems,
        "attempts": len(rows),
        "participants": len(started),
        "problems": problems,
    }


def _stored(s, attempt_ids):
    from sqlalchemy import select

    from quizapp.contests.models import AttemptQuestion

    out = {}
    for chunk in range(0, len(attempt_ids), 500):
        ids = attempt_ids[chunk : chunk + 500]
        for aq in s.scalars(select(AttemptQuestion).where(AttemptQuestion.attempt_id.in_(ids))):
            out[(aq.attempt_id, aq.position)] = aq
    return out


def answers(expected: dict, either: set | None = None, attempts: list | None = None) -> dict:
    """Every acknowledged answer is stored as the last acknowledged value, and no answer is
    stored that was never acknowledged (`either`: pairs whose last save was in flight)."""
    from quizapp.banks.models import QuestionVersion
    from quizapp.banks.serial import from_dict
    from quizapp.contests.display import to_stored

    either = either or set()
    s = _session()
    ids = sorted(set(attempts or []) | {a for a, _q in expected})
    stored = _stored(s, ids)
    versions: dict[int, object] = {}
    mismatched, unexpected = [], []
    for (a, q), choice in expected.items():
        aq = stored.get((a, q))
        if aq is None:
            mismatched.append((a, q, "missing"))
            continue
        if aq.version_id not in versions:
            versions[aq.version_id] = from_dict(s.get(QuestionVersion, aq.version_id).content)
        want = to_stored(versions[aq.version_id], aq.option_order, {"choices": [choice]})
        if aq.response != want and (a, q) not in either:
            mismatched.append((a, q, aq.response, want))
    saved = {k for k, aq in stored.items() if aq.saved_at is not None}
    unexpected = sorted(saved - set(expected) - either)
    ok = not mismatched and not unexpected
    return {
        "ok": ok,
        "acknowledged": len(expected),
        "saved": len(saved),
        "in_flight_at_cut": len(either),
        "mismatched": mismatched[:5],
        "saved_never_acknowledged": unexpected[:5],
    }


def after_submit(fx: dict) -> dict:
    from sqlalchemy import func, select

    from quizapp.banks.models import QuestionVersion
    from quizapp.banks.serial import from_dict
    from quizapp.certificates.models import Certificate
    from quizapp.contests.grading import grade
    from quizapp.contests.models import Attempt

    s = _session()
    attempts = s.scalars(select(Attempt).where(Attempt.round_id == fx["live_round"])).all()
    versions: dict[int, object] = {}
    wrong_scores, not_submitted, earned = [], 0, 0
    for a in attempts:
        if a.status != "submitted":
            not_submitted += 1
            continue
        total = Decimal(0)
        for aq in a.questions:
            if aq.version_id not in versions:
                versions[aq.version_id] = from_dict(s.get(QuestionVersion, aq.version_id).content)
            g = grade(versions[aq.version_id], aq.response)
            total += g.score
            if aq.score is None or Decimal(aq.score) != g.score:
                wrong_scores.append((a.id, aq.position))
        if a.score is None or Decimal(a.score) != total:
            wrong_scores.append((a.id, 0))
        earned += a.max_score and a.score * 100 >= a.max_score * 80
    issued = (
        s.scalar(
            select(func.count()).where(
                Certificate.round_id == fx["live_round"], Certificate.kind == "achievement"
            )
        )
        or 0
    )
    problems = []
    if len(attempts) != len(fx["participants"]):
        problems.append(f"{len(attempts)} attempts for {len(fx['participants'])} participants")
    if not_submitted:
        problems.append(f"{not_submitted} attempts not submitted")
    if wrong_scores:
        problems.append(f"{len(wrong_scores)} scores differ from the recomputed ones")
    if issued != earned:
        problems.append(f"{issued} certificates issued for {earned} earned")
    return {
        "ok": not problems,
        "attempts": len(attempts),
        "submitted": len(attempts) - not_submitted,
        "scores_checked": len(attempts) - not_submitted,
        "certificates_earned": int(earned),
        "certificates_issued": issued,
        "problems": problems,
    }


def verification(port: int, fx: dict) -> dict:
    """What the public JSON says for a sample of codes agrees with the database."""
    import asyncio
    import json

    from sqlalchemy import select

    from bench.load.client import Client
    from quizapp.certificates.models import Certificate

    s = _session()
    sample = fx["codes"][:: max(1, len(fx["codes"]) // 100)]
    client = Client("127.0.0.1", port)

    async def fetch(code):
        return await client.request("GET", f"/v/{code}.json")

    async def main():
        return await asyncio.gather(*(fetch(c) for c in sample))

    responses = asyncio.run(main())
    bad = []
    for code, r in zip(sample, responses, strict=True):
        cert = s.scalar(select(Certificate).where(Certificate.code == code))
        facts = json.loads(r.body) if r.status == 200 else {}
        if cert is None or facts.get("serial") != cert.serial or facts.get("status") != "valid":
            bad.append(code)
    return {"ok": not bad, "checked": len(sample), "wrong": bad[:5]}


def ranking(port: int, fx: dict) -> dict:
    """The page's total and a participant's own rank agree with a fresh computation."""
    import asyncio
    import re

    from bench.load.client import Client
    from quizapp.clock import utcnow
    from quizapp.contests import results as R
    from quizapp.contests.models import Round

    s = _session()
    rnd = s.get(Round, fx["graded_round"])
    t0 = time.perf_counter()
    full, _actual = R.round_ranking(s, rnd, utcnow())
    build_s = time.perf_counter() - t0
    ranks = {r.entry.participant_id: r.rank for r in full}
    client = Client("127.0.0.1", port)
    path = f"/c/{fx['slug']}/rounds/{fx['graded_round']}/ranking"
    people = fx["participants"][:20]

    async def main():
        return await asyncio.gather(
            *(
                client.request("GET", path, cookies={"quizapp_session": p["cookie"], "lang": "en"})
                for p in people
            )
        )

    bad = []
    for p, r in zip(people, asyncio.run(main()), strict=True):
        m = re.search(r"Your rank: (\d+) of (\d+)", r.body.decode())
        if not m or int(m.group(1)) != ranks.get(p["user_id"]) or int(m.group(2)) != len(full):
            bad.append((p["user_id"], m.groups() if m else None, ranks.get(p["user_id"])))
    return {
        "ok": not bad,
        "ranked": len(full),
        "checked": len(people),
        "wrong": bad[:5],
        "build_s": round(build_s, 2),  # computing the whole ranking once (idle machine)
    }


def dashboard(port: int, fx: dict) -> dict:
    """The dashboard's counts agree with the database."""
    import asyncio

    from sqlalchemy import func, select

    from bench.load.client import Client
    from quizapp.contests.models import Attempt

    s = _session()
    submitted = s.scalar(
        select(func.count()).where(
            Attempt.round_id == fx["graded_round"], Attempt.status == "submitted"
        )
    )
    client = Client("127.0.0.1", port)
    path = f"/org/contests/{fx['contest_id']}/rounds/{fx['graded_round']}/dashboard"
    r = asyncio.run(
        client.request(
            "GET", path, cookies={"quizapp_session": fx["organiser"]["cookie"], "lang": "en"}
        )
    )
    text = r.body.decode()
    shown = any(
        f in text for f in (f"{submitted:,}", f"{submitted:,}".replace(",", "."), str(submitted))
    )
    return {"ok": r.status == 200 and shown, "submitted": submitted, "status": r.status}
