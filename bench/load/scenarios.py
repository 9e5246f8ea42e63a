"""The scenarios of issue 9 and their integrity checks.

Open-loop scenarios (start spike, autosave steady state, submit rush) run simulated phones
on asyncio (bench/load/client.py); saturation scenarios (ceiling, answer saves, certificate
verification, ranking and dashboard reads) run wrk with bench/load/wrk.lua, the same tool
and settings for the ceiling and for the app."""

from __future__ import annotations

import asyncio
import json
import os
import random
import re
import subprocess
import tempfile
import time
from pathlib import Path

from bench.load.client import Client, Stats

HERE = Path(__file__).resolve().parent
WRK_THREADS = int(os.environ.get("BENCH_WRK_CONNECTIONS", "16"))
# Warm-up of the cached reads: long enough for every worker to compute its cache once (the
# cost of that computation is measured apart, see integrity.ranking); the measured 10 s then
# fall within the 30 s the cache lives.
WARM_S = int(os.environ.get("BENCH_WARM_S", "8"))
# Set by the driver (run.py): a CpuMeter of the servers, read over each wrk window alone, so
# that a read phase's CPU per request leaves out its warm-up (where each worker computes its
# cached ranking or dashboard once).
WINDOW_METER = None


# --- wrk ------------------------------------------------------------------------------------


def wrk_line(method: str, path: str, headers: dict | None = None, body: str = "") -> str:
    h = "\x1f".join(f"{k}: {v}" for k, v in (headers or {}).items())
    return f"{method}\t{path}\t{h}\t{body}"


def run_wrk(port: int, per_thread: list[list[str]], seconds: int) -> dict:
    """Run wrk (one connection per thread) for `seconds`; counts, latencies, per thread."""
    tmp = Path(tempfile.mkdtemp(prefix="wrk-"))
    for i, lines in enumerate(per_thread):
        (tmp / f"reqs.{i}").write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = tmp / "out.json"
    n = len(per_thread)
    if WINDOW_METER is not None:
        WINDOW_METER.start()
    subprocess.run(  # noqa: S603
        ["wrk", f"-t{n}", f"-c{n}", f"-d{seconds}s", "--timeout", "10s", "-s"]
        + [str(HERE / "wrk.lua"), f"http://127.0.0.1:{port}/"],
        env={**os.environ, "BENCH_REQS": str(tmp / "reqs"), "BENCH_OUT": str(out)},
        check=True,
        stdout=subprocess.DEVNULL,
    )
    window_cpu = WINDOW_METER.stop() if WINDOW_METER is not None else None
    raw = json.loads(out.read_text())
    secs = raw["duration_us"] / 1e6
    errors = sum(raw["errors"].values())
    lat = raw["latency_us"]
    return {
        "requests": raw["requests"],
        "errors": errors,
        "error_kinds": {k: v for k, v in raw["errors"].items() if v},
        "rps": round(raw["requests"] / secs, 1),
        "p50_ms": round(lat["p50"] / 1000, 1),
        "p95_ms": round(lat["p95"] / 1000, 1),
        "p99_ms": round(lat["p99"] / 1000, 1),
        "max_ms": round(lat["max"] / 1000, 1),
        "seconds": round(secs, 1),
        "connections": n,
        "threads": raw["threads"],
        "cpu_window": window_cpu,
    }


def same_lines(lines: list[str]) -> list[list[str]]:
    return [lines for _ in range(WRK_THREADS)]


def ceiling(port: int, seconds: int) -> dict:
    run_wrk(port, same_lines([wrk_line("GET", "/")]), 2)  # warm up
    return run_wrk(port, same_lines([wrk_line("GET", "/")]), seconds)


# --- helpers --------------------------------------------------------------------------------


def _cookies(p: dict) -> dict:
    c = {"quizapp_session": p["cookie"]}
    if p.get("device"):
        c["quizapp_device"] = p["device"]
    return c


async def _at(t0: float, offset: float) -> None:
    delay = t0 + offset - time.perf_counter()
    if delay > 0:
        await asyncio.sleep(delay)


# --- 1. start spike -------------------------------------------------------------------------


def start_spike(port: int, fx: dict, seconds: float = 60.0) -> dict:
    """Every participant starts the live round within `seconds` (arrival times drawn
    uniformly at random over the window, as the issue states it): POST start, then the quiz
    page."""
    client = Client("127.0.0.1", port)
    people = fx["participants"]
    rng = random.Random(1)
    offsets = sorted(rng.uniform(0, seconds) for _ in people)
    start, page, flow = Stats(), Stats(), Stats()
    rid = fx["live_round"]

    async def one(p, offset, t0):
        await _at(t0, offset)
        t1 = time.perf_counter()
        try:
            r = await client.request(
                "POST",
                f"/rounds/{rid}/start",
                cookies=_cookies(p),
                form={"csrf_token": p["csrf"]},
            )
            m = re.search(r"/attempts/(\d+)$", r.header("location"))
            if r.status != 302 or not m:
                start.fail(f"{r.status} {r.header('location')}", r.seconds, time.perf_counter())
                return
            start.ok(r.seconds, time.perf_counter())
            p["attempt"] = int(m.group(1))
            p["device"] = r.cookies().get("quizapp_device", p.get("device"))
            r = await client.request("GET", f"/attempts/{p['attempt']}", cookies=_cookies(p))
            if r.status != 200 or b'name="csrf_token"' not in r.body:
                page.fail(str(r.status), r.seconds, time.perf_counter())
                return
            page.ok(r.seconds, time.perf_counter())
            flow.ok(time.perf_counter() - t1, time.perf_counter())
        except Exception as exc:  # counted, never hidden
            start.fail(repr(exc), time.perf_counter() - t1, time.perf_counter())

    async def main():
        t0 = time.perf_counter()
        await asyncio.gather(*(one(p, o, t0) for p, o in zip(people, offsets, strict=True)))
        return time.perf_counter() - t0

    wall = asyncio.run(main())
    return {
        "participants": len(people),
        "window_s": seconds,
        "wall_s": round(wall, 1),
        "arrivals_per_s": round(len(people) / seconds, 1),
        "start": start.summary(),
        "page": page.summary(),
        "flow": flow.summary(),
        "errors": start.errors + page.errors,
        "max_in_flight": client.max_in_flight,
    }


# --- 2. autosave steady state ---------------------------------------------------------------


def autosave(port: int, fx: dict, users: int = 1000, seconds: float = 180.0) -> dict:
    """`users` participants in progress, each saving an answer every 5–15 s (uniform jitter)
    for `seconds`; records the last acknowledged answer of every (attempt, position)."""
    client = Client("127.0.0.1", port)
    people = [p for p in fx["participants"] if p.get("attempt")][:users]
    stats = Stats()
    acked: dict[tuple[int, int], int] = {}
    rng = random.Random(2)

    async def one(p, t0):
        at = rng.uniform(0, 10)
        pos, done = 0, set()
        while at < seconds:
            await _at(t0, at)
            if pos < 30 and (not done or rng.random() < 0.85):
                pos += 1
                target = pos
            else:
                target = rng.choice(sorted(done))
            choice = rng.randrange(4)
            body = json.dumps({"position": target, "answer": {"choices": [choice]}}).encode()
            t1 = time.perf_counter()
            try:
                r = await client.request(
                    "POST",
                    f"/attempts/{p['attempt']}/save",
                    cookies=_cookies(p),
                    json_body=body,
                    headers={"X-CSRFToken": p["csrf"], "Accept": "application/json"},
                )
                if r.status == 200 and json.loads(r.body).get("ok"):
                    stats.ok(r.seconds, time.perf_counter())
                    acked[(p["attempt"], target)] = choice
                    done.add(target)
                else:
                    stats.fail(f"{r.status} {r.body[:120]!r}", r.seconds, time.perf_counter())
            except Exception as exc:
                stats.fail(repr(exc), time.perf_counter() - t1, time.perf_counter())
            at += rng.uniform(5, 15)

    async def main():
        t0 = time.perf_counter()
        await asyncio.gather(*(one(p, t0) for p in people))
        return time.perf_counter() - t0

    wall = asyncio.run(main())
    out = stats.summary()
    out.update(
        users=len(people),
        seconds=seconds,
        wall_s=round(wall, 1),
        offered_per_s=round(len(people) / 10, 1),
        max_in_flight=client.max_in_flight,
    )
    return out, {f"{a}:{q}": c for (a, q), c in acked.items()}


# --- 3. answer saves at saturation (wrk) ----------------------------------------------------


def save_saturation(port: int, fx: dict, seconds: int, skip: int = 1000) -> tuple[dict, dict]:
    """wrk saving answers as fast as the server takes them, on the attempts the steady state
    did not use; each wrk thread owns its attempts, so the last acknowledged value of every
    (attempt, position) is known exactly."""
    people = [p for p in fx["participants"] if p.get("attempt")][skip:]
    per_thread, plan = [], []
    for t in range(WRK_THREADS):
        mine = people[t::WRK_THREADS]
        lines, seq = [], []
        for k in range(6000):
            p = mine[k % len(mine)]
            position = (k // len(mine)) % 30 + 1
            choice = (k * 7 + t) % 4
            body = json.dumps({"position": position, "answer": {"choices": [choice]}})
            cookie = "; ".join(f"{a}={b}" for a, b in _cookies(p).items())
            headers = {
                "Cookie": cookie,
                "X-CSRFToken": p["csrf"],
                "Content-Type": "application/json",
                "Accept": "application/json",
            }
            lines.append(wrk_line("POST", f"/attempts/{p['attempt']}/save", headers, body))
            seq.append((p["attempt"], position, choice))
        per_thread.append(lines)
        plan.append(seq)
    res = run_wrk(port, per_thread, seconds)
    return res, {"plan": plan}


def saturation_expectation(res: dict, plan: list) -> tuple[dict, set]:
    """The answers that must be stored: the last acknowledged save of each pair, except pairs
    whose last request was in flight when wrk stopped (either value is then right)."""
    expected: dict[tuple[int, int], int] = {}
    either: set[tuple[int, int]] = set()
    for th in res["threads"]:
        seq = plan[th["tid"]]
        answered = th["ok"] + th["bad"]
        failed = {int(x.split(":")[0]) for x in th["badlist"].split(",") if x}
        for i in range(1, answered + 1):
            if i in failed:
                continue
            a, q, c = seq[(i - 1) % len(seq)]
            expected[(a, q)] = c
        if th["sent"] > answered:  # the request in flight at the cut
            a, q, _c = seq[(th["sent"] - 1) % len(seq)]
            either.add((a, q))
    return expected, either


# --- 4. submit rush -------------------------------------------------------------------------


def submit_rush(port: int, fx: dict, seconds: float = 120.0) -> dict:
    """Every participant submits within `seconds` (uniformly at random over the window):
    POST submit (graded at once), then the result page."""
    client = Client("127.0.0.1", port)
    people = [p for p in fx["participants"] if p.get("attempt")]
    rng = random.Random(3)
    offsets = sorted(rng.uniform(0, seconds) for _ in people)
    submit, page, flow = Stats(), Stats(), Stats()

    async def one(p, offset, t0):
        await _at(t0, offset)
        t1 = time.perf_counter()
        try:
            r = await client.request(
                "POST",
                f"/attempts/{p['attempt']}/submit",
                cookies=_cookies(p),
                form={"csrf_token": p["csrf"], "prediction": str(rng.randint(0, 3000))},
            )
            if r.status != 302 or not r.header("location").endswith("/result"):
                submit.fail(f"{r.status} {r.header('location')}", r.seconds, time.perf_counter())
                return
            submit.ok(r.seconds, time.perf_counter())
            r = await client.request("GET", f"/attempts/{p['attempt']}/result", cookies=_cookies(p))
            if r.status != 200:
                page.fail(str(r.status), r.seconds, time.perf_counter())
                return
            page.ok(r.seconds, time.perf_counter())
            flow.ok(time.perf_counter() - t1, time.perf_counter())
        except Exception as exc:
            submit.fail(repr(exc), time.perf_counter() - t1, time.perf_counter())

    async def main():
        t0 = time.perf_counter()
        await asyncio.gather(*(one(p, o, t0) for p, o in zip(people, offsets, strict=True)))
        return time.perf_counter() - t0

    wall = asyncio.run(main())
    return {
        "participants": len(people),
        "window_s": seconds,
        "wall_s": round(wall, 1),
        "arrivals_per_s": round(len(people) / seconds, 1),
        "submit": submit.summary(),
        "page": page.summary(),
        "flow": flow.summary(),
        "errors": submit.errors + page.errors,
        "max_in_flight": client.max_in_flight,
    }


# --- 5. reads (wrk) -------------------------------------------------------------------------


def verification(port: int, fx: dict, seconds: int) -> dict:
    """QR scans: the public page of certificates drawn across the 1,000,000 issued."""
    codes = fx["codes"]
    per_thread = [
        [wrk_line("GET", f"/v/{c}") for c in codes[t::WRK_THREADS]] for t in range(WRK_THREADS)
    ]
    run_wrk(port, per_thread, 2)
    return run_wrk(port, per_thread, seconds)


def ranking(port: int, fx: dict, seconds: int) -> dict:
    """The public ranking of the round with 100,000 graded attempts: half anonymous visitors,
    half logged-in participants (who also see their own rank)."""
    path = f"/c/{fx['slug']}/rounds/{fx['graded_round']}/ranking"
    people = fx["participants"]
    per_thread = []
    for t in range(WRK_THREADS):
        lines = []
        for k in range(200):
            if k % 2:
                p = people[(t * 200 + k) % len(people)]
                lines.append(wrk_line("GET", path, {"Cookie": f"quizapp_session={p['cookie']}"}))
            else:
                lines.append(wrk_line("GET", path))
        per_thread.append(lines)
    run_wrk(port, per_thread, WARM_S)  # each worker builds its cached ranking once
    return run_wrk(port, per_thread, seconds)


def dashboard(port: int, fx: dict, seconds: int) -> dict:
    """Organisers watching the live dashboard of the round with 100,000 graded attempts."""
    path = f"/org/contests/{fx['contest_id']}/rounds/{fx['graded_round']}/dashboard"
    line = wrk_line("GET", path, {"Cookie": f"quizapp_session={fx['organiser']['cookie']}"})
    run_wrk(port, same_lines([line]), WARM_S)
    return run_wrk(port, same_lines([line]), seconds)
