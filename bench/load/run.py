"""`make bench`: the ceiling, then the five scenarios of issue 9 on generated data, with an
integrity check after each; writes bench/results/latest[-postgres].json and .md and prints
the table. Run through scripts/bench.sh (which installs wrk and, for DB=postgres, starts a
local PostgreSQL); `--quick` shrinks everything for a smoke test."""

from __future__ import annotations

import argparse
import json
import os
import platform
import runpy
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from bench.load import integrity, scenarios  # noqa: E402
from bench.load.server import CpuMeter, Gunicorn, postgres_pids  # noqa: E402

APP_PORT = int(os.environ.get("BENCH_PORT", "8181"))
CEILING_PORT = APP_PORT + 1

TARGETS = {
    "start": "0 errors, p95 < 1 s (start + quiz page)",
    "autosave": "0 errors, p95 < 100 ms",
    "saves_saturation": "≥ 25 % of the ceiling",
    "submit": "0 errors, p95 < 500 ms",
    "verification": "≥ 50 % of the ceiling, p99 < 100 ms",
    "ranking": "≥ 50 % of the ceiling, p99 < 100 ms",
    "dashboard": "p99 < 100 ms (cached)",
}


def log(msg: str) -> None:
    print(msg, flush=True)


def db_sizes(engine) -> dict:
    """Bytes per table (indexes included) and the whole database."""
    from sqlalchemy import text

    with engine.connect() as c:
        if engine.dialect.name == "sqlite":
            owner = dict(c.execute(text("SELECT name, tbl_name FROM sqlite_master")).all())
            per: dict[str, int] = {}
            for name, size in c.execute(text("SELECT name, sum(pgsize) FROM dbstat GROUP BY name")):
                t = owner.get(name, name)
                per[t] = per.get(t, 0) + int(size)
            total = sum(per.values())
        else:
            per = {
                t: int(n)
                for t, n in c.execute(
                    text(
                        "SELECT relname, pg_total_relation_size(c.oid) FROM pg_class c "
                        "JOIN pg_namespace n ON n.oid = c.relnamespace "
                        "WHERE n.nspname = 'public' AND c.relkind = 'r'"
                    )
                )
            }
            total = int(c.execute(text("SELECT pg_database_size(current_database())")).scalar())
    keep = ("attempt", "attempt_question", "certificate", "member", "user_account")
    return {"total": total, **{t: per.get(t, 0) for t in keep}}


PROFILE: dict = {}


def _profilers(name: str, pids: list[int]) -> list:
    """py-spy (installed in .venv-bench by `scripts/bootstrap.sh bench`) on every worker
    while the phase named by --profile runs; raw stacks land in bench/results/profile/."""
    import subprocess

    if name not in PROFILE.get("phase", "").split(","):
        return []
    spy = ROOT / ".venv-bench/bin/py-spy"
    out = ROOT / "bench" / "results" / "profile"
    out.mkdir(parents=True, exist_ok=True)
    slug = name.replace(" ", "-")
    return [
        subprocess.Popen(  # noqa: S603
            [str(spy), "record", "-p", str(pid), "-d", str(PROFILE["seconds"]), "-r", "200"]
            + ["-f", "raw", "-o", str(out / f"{PROFILE['label']}-{slug}-{pid}.txt"), "--gil"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for pid in pids
    ]


def phase(meter: CpuMeter, name: str, fn, *args):
    log(f"==> {name}")
    from quizapp.extensions import db

    # The integrity check before must not keep its read transaction open during the phase:
    # on SQLite that snapshot stopped every checkpoint (the WAL grew by 45,000 frames during
    # the autosave phase, and every later read searched them); on PostgreSQL it holds back
    # vacuum while answer saves leave dead rows. (None before the app exists: the ceiling.)
    if db.session is not None:
        db.session.remove()
    spies = _profilers(name, PROFILE.get("pids", lambda: [])()[1:])
    meter.start()
    t0 = time.perf_counter()
    res = fn(*args)
    cpu = meter.stop()
    for spy in spies:
        spy.wait()
    out, extra = res if isinstance(res, tuple) else (res, None)
    out["cpu"] = cpu
    brief = json.dumps(_brief(out), ensure_ascii=False)
    log(f"   {name}: {brief} ({time.perf_counter() - t0:.0f} s)")
    return out, extra


def _brief(r: dict) -> dict:
    keys = ("rps", "p50_ms", "p95_ms", "p99_ms", "errors", "requests")
    out = {k: r[k] for k in keys if k in r}
    for sub in ("start", "page", "flow", "submit"):
        if sub in r:
            out[sub] = {k: r[sub].get(k) for k in keys if k in r[sub]}
            if r[sub].get("error_samples"):
                out[sub]["error_samples"] = r[sub]["error_samples"][:3]
    if r.get("error_samples"):
        out["error_samples"] = r["error_samples"][:3]
    out["cpu"] = r.get("cpu")
    return out


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--db", default="", help="database URL (default: SQLite in a temp dir)")
    ap.add_argument("--label", default="sqlite")
    ap.add_argument("--quick", action="store_true", help="small sizes, short phases")
    ap.add_argument("--out", default="")
    ap.add_argument("--keep", action="store_true", help="keep the temporary directory")
    ap.add_argument("--profile", default="", help="py-spy the workers during this phase")
    ap.add_argument("--render", default="", help="rewrite the .md of a results JSON file")
    ap.add_argument(
        "--reads-only",
        action="store_true",
        help="only verification, ranking and dashboard at full sizes (prints them)",
    )
    ap.add_argument(
        "--spike-only", action="store_true", help="stop after the start spike (prints it)"
    )
    args = ap.parse_args()
    if args.render:
        path = Path(args.render)
        result = json.loads(path.read_text(encoding="utf-8"))
        result["verdict"] = verdict(result, result["ceiling"]["rps"])
        result["capacity"] = capacity(result)
        path.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        path.with_suffix(".md").write_text(table(result), encoding="utf-8")
        print(table(result))
        return 0
    q = args.quick
    sizes = {
        "members": 5_000 if q else 100_000,
        "graded": 5_000 if q else 100_000,
        "certificates": 20_000 if q else 1_000_000,
        "participants": 200 if q else 2_000,
    }
    wrk_s = 4 if q else 10
    spike_s, save_users, save_s, submit_s = (10, 100, 20, 10) if q else (60, 1000, 180, 120)

    tmp = Path(tempfile.mkdtemp(prefix="quizapp-bench-"))
    url = args.db or f"sqlite:///{tmp / 'bench.db'}"
    env = {
        "QUIZAPP_ENV": "production",
        "QUIZAPP_SECRET_KEY": "bench-secret-" + "k" * 40,
        "QUIZAPP_PII_HASH_KEY": "bench-pii-" + "p" * 40,
        "QUIZAPP_DATABASE_URL": url,
        "QUIZAPP_INSTANCE_PATH": str(tmp / "instance"),
        "QUIZAPP_BASE_URL": f"http://127.0.0.1:{APP_PORT}",
        # Rate limits on, as deployed (memory storage per process), at the production
        # ceilings per person; the per-address ones are raised, since every request here
        # comes from one address standing for a crowd of phones, and with --quick 100 phones
        # save at saturation for the 1,000 of a full run.
        "QUIZAPP_RATELIMIT_ENABLED": "1",
        "QUIZAPP_VERIFY_RATE_LIMIT": "1000000 per minute",
        "QUIZAPP_VERIFY_MISS_RATE_LIMIT": "1000000 per minute",
        "QUIZAPP_SAVE_RATE_LIMIT": "2400 per minute" if q else "240 per minute",
    }
    os.environ.update(env)
    result: dict = {
        "label": args.label,
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {"cores": os.cpu_count(), "python": platform.python_version()},
        "database": url.split(":")[0],
        "quick": q,
        "sizes": sizes,
    }
    t_all = time.perf_counter()
    gun_log = tmp / "gunicorn.log"

    # 1. The ceiling: a bare Flask endpoint under the same gunicorn configuration; measured
    # again beside each saturation scenario (`BESIDE`), whose ratio is against that one.
    log("==> ceiling: bare Flask endpoint, same gunicorn configuration")
    BESIDE.update(env=env, log=gun_log, seconds=wrk_s)
    ceiling = measure_ceiling("ceiling")
    result["ceiling"] = ceiling
    ceil_rps = ceiling["rps"]

    # 2. Data.
    log(f"==> generating data: {sizes}")
    from quizapp import create_app
    from quizapp.cli import upgrade_database
    from quizapp.extensions import db

    app = create_app()
    t0 = time.perf_counter()
    with app.app_context():
        upgrade_database()
        from bench.load.data import generate

        fx = generate(app, log=log, **sizes)
        db.session.remove()
        result["generate_s"] = round(time.perf_counter() - t0, 1)
        result["generate"] = fx.pop("generate")
        result["db_size_before"] = db_sizes(db.engine)
    log(f"   data ready in {result['generate_s']} s; database {result['db_size_before']}")

    # 3. The app under the same configuration.
    server = Gunicorn("wsgi:app", APP_PORT, env, gun_log).ready("/healthz")
    conf = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    result["gunicorn"] = {
        "worker_class": conf["worker_class"],
        "workers": conf["workers"],
        "threads": conf["threads"],
    }
    meter = CpuMeter({"app": server.pids, "db": postgres_pids})
    scenarios.WINDOW_METER = CpuMeter({"app": server.pids, "db": postgres_pids})
    PROFILE.update(phase=args.profile, seconds=wrk_s, label=args.label, pids=server.pids)
    checks: dict = {}
    try:
        with app.app_context():
            if args.reads_only:  # a quick look at a change to the read paths
                reads(meter, fx, wrk_s, result, checks)
                print(json.dumps(read_summary(result, ceil_rps), indent=2))
                if not args.keep:
                    import shutil

                    shutil.rmtree(tmp, ignore_errors=True)
                return 0 if all(c.get("ok") for c in checks.values()) else 1
            r, _ = phase(meter, "start spike", scenarios.start_spike, APP_PORT, fx, spike_s)
            result["start"] = r
            checks["start"] = integrity.after_start(fx)
            log(f"   integrity: {checks['start']}")
            if args.spike_only:  # a quick look at one change: nothing is written
                print(json.dumps({"ceiling": ceiling, "start": r}, indent=2))
                if not args.keep:
                    import shutil

                    shutil.rmtree(tmp, ignore_errors=True)
                return 0 if checks["start"].get("ok") else 1

            r, acked = phase(
                meter, "autosave", scenarios.autosave, APP_PORT, fx, save_users, save_s
            )
            result["autosave"] = r
            expected = {tuple(map(int, k.split(":"))): v for k, v in acked.items()}
            used = [p["attempt"] for p in fx["participants"] if p.get("attempt")][:save_users]
            checks["autosave"] = integrity.answers(expected, attempts=used)
            log(f"   integrity: {checks['autosave']}")

            near = measure_ceiling("ceiling beside the saves")
            r, extra = phase(
                meter,
                "answer saves at saturation",
                scenarios.save_saturation,
                APP_PORT,
                fx,
                wrk_s,
                save_users,
            )
            expected2, either = scenarios.saturation_expectation(r, extra["plan"])
            r.pop("threads", None)
            r["ceiling_beside"] = _brief_ceiling(near)
            result["saves_saturation"] = r
            rest = [p["attempt"] for p in fx["participants"] if p.get("attempt")][save_users:]
            checks["saves_saturation"] = integrity.answers(expected2, either, attempts=rest)
            log(f"   integrity: {checks['saves_saturation']}")

            r, _ = phase(meter, "submit rush", scenarios.submit_rush, APP_PORT, fx, submit_s)
            result["submit"] = r
            checks["submit"] = integrity.after_submit(fx)
            log(f"   integrity: {checks['submit']}")

            reads(meter, fx, wrk_s, result, checks)
            result["db_size_after"] = db_sizes(db.engine)
            from bench.load.explain import explain

            result["explain"] = explain(db.engine, fx)
    finally:
        server.stop()
    result["integrity"] = checks
    result["total_s"] = round(time.perf_counter() - t_all, 1)
    result["verdict"] = verdict(result, ceil_rps)
    result["capacity"] = capacity(result)
    md = table(result)
    out = (
        Path(args.out)
        if args.out
        else ROOT
        / "bench"
        / "results"
        / ("latest.json" if args.label == "sqlite" else f"latest-{args.label}.json")
    )
    if q and not args.out:
        out = tmp / "quick.json"
    out.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    out.with_suffix(".md").write_text(md, encoding="utf-8")
    print(md)
    log(f"results: {out} (total {result['total_s']} s)")
    if not args.keep:
        import shutil

        shutil.rmtree(tmp, ignore_errors=True)
    return 0 if all(c.get("ok") for c in checks.values()) else 1


BESIDE: dict = {}


def measure_ceiling(name: str) -> dict:
    """The bare Flask endpoint under the same gunicorn configuration, now. Measured at the
    start and again just before each saturation scenario: this machine's speed drifts by
    15–30 % over the minutes of a run, and a ratio against a ceiling measured ten minutes
    earlier measured the drift as much as the app. The app's server idles meanwhile."""
    bare = Gunicorn("bench.load.bare:app", CEILING_PORT, BESIDE["env"], BESIDE["log"]).ready("/")
    meter = CpuMeter({"app": bare.pids, "db": postgres_pids})
    window, scenarios.WINDOW_METER = scenarios.WINDOW_METER, None  # the app's server idles
    try:
        out, _ = phase(meter, name, scenarios.ceiling, CEILING_PORT, BESIDE["seconds"])
    finally:
        scenarios.WINDOW_METER = window
        bare.stop()
    return out


def _brief_ceiling(c: dict) -> dict:
    return {"rps": c["rps"], "p99_ms": c["p99_ms"], "errors": c["errors"]}


def reads(meter, fx: dict, wrk_s: int, result: dict, checks: dict) -> None:
    """The three read scenarios, each with the ceiling measured beside it, and their
    integrity checks."""
    for key, name, scenario, check in (
        ("verification", "verification", scenarios.verification, integrity.verification),
        ("ranking", "ranking", scenarios.ranking, integrity.ranking),
        ("dashboard", "dashboard", scenarios.dashboard, integrity.dashboard),
    ):
        near = measure_ceiling(f"ceiling beside the {name}")
        r, _ = phase(meter, name, scenario, APP_PORT, fx, wrk_s)
        r.pop("threads", None)
        r["ceiling_beside"] = _brief_ceiling(near)
        result[key] = r
        checks[key] = check(APP_PORT, fx)
        log(f"   integrity: {checks[key]}")


def beside(res: dict, ceil: float) -> float:
    """The ceiling a saturation figure is compared with: the one measured beside it (runs
    before that change: the run's first)."""
    return (res.get("ceiling_beside") or {}).get("rps") or ceil


def read_summary(result: dict, ceil: float) -> dict:
    return {
        "ceiling_rps": ceil,
        **{
            key: {
                "rps": result[key]["rps"],
                "ceiling_beside": beside(result[key], ceil),
                "of_ceiling": round(result[key]["rps"] / beside(result[key], ceil), 3),
                "of_first_ceiling": round(result[key]["rps"] / ceil, 3),
                "p99_ms": result[key]["p99_ms"],
                "errors": result[key]["errors"],
            }
            for key in ("verification", "ranking", "dashboard")
        },
    }


def verdict(r: dict, ceil: float) -> dict:
    def ratio(res, first=False):
        c = ceil if first else beside(res, ceil)
        return round(res["rps"] / c, 3) if c and res["rps"] else None

    s, a, w, u = r["start"], r["autosave"], r["saves_saturation"], r["submit"]
    v, k, d = r["verification"], r["ranking"], r["dashboard"]
    return {
        "start": s["errors"] == 0 and (s["flow"]["p95_ms"] or 1e9) < 1000,
        "autosave": a["errors"] == 0 and (a["p95_ms"] or 1e9) < 100,
        "saves_saturation": (ratio(w) or 0) >= 0.25 and w["errors"] == 0,
        "submit": u["errors"] == 0 and (u["submit"]["p95_ms"] or 1e9) < 500,
        "verification": (ratio(v) or 0) >= 0.5 and v["p99_ms"] < 100 and v["errors"] == 0,
        "ranking": (ratio(k) or 0) >= 0.5 and k["p99_ms"] < 100 and k["errors"] == 0,
        "dashboard": d["requests"] > 0 and d["p99_ms"] < 100 and d["errors"] == 0,
        "integrity": all(c.get("ok") for c in r["integrity"].values()),
        "ratios": {
            "saves": ratio(w),
            "verification": ratio(v),
            "ranking": ratio(k),
            "dashboard": ratio(d),
        },
        "ratios_to_first_ceiling": {
            "saves": ratio(w, True),
            "verification": ratio(v, True),
            "ranking": ratio(k, True),
            "dashboard": ratio(d, True),
        },
    }


def capacity(r: dict) -> dict:
    """Per-core figures from the app servers' own CPU time (the load generators excluded)."""

    def per(res, n):
        c = res["cpu"]
        return (c["app_cpu_s"] / n if n else None), (c["db_cpu_s"] / n if n else None)

    n_start = r["start"]["flow"]["requests"] or 1
    n_save = r["autosave"]["requests"] or 1
    n_submit = r["submit"]["flow"]["requests"] or 1
    start_app, start_db = per(r["start"], n_start)
    save_app, save_db = per(r["autosave"], n_save)
    sat = r["saves_saturation"]
    sat_app, sat_db = per(sat, sat["requests"])
    submit_app, submit_db = per(r["submit"], n_submit)
    # One attempt: start + quiz page, 30 answer saves, submit + result page.
    att_app = start_app + 30 * save_app + submit_app
    att_db = start_db + 30 * save_db + submit_db
    size = r["db_size_before"]
    graded = r["sizes"]["graded"]
    per_attempt = (size["attempt"] + size["attempt_question"]) / graded if graded else 0
    per_cert = size["certificate"] / r["sizes"]["certificates"]
    peak = 200_000 / 3600  # 20 % of 1,000,000 attempts in the first hour
    return {
        "app_cpu_ms_per_start": round(start_app * 1000, 2),
        "app_cpu_ms_per_save": round(save_app * 1000, 2),
        "app_cpu_ms_per_save_saturated": round(sat_app * 1000, 2),
        "app_cpu_ms_per_submit": round(submit_app * 1000, 2),
        "app_cpu_ms_per_attempt": round(att_app * 1000, 1),
        "db_cpu_ms_per_attempt": round(att_db * 1000, 1),
        "saves_per_s_per_app_core": round(1 / sat_app, 0) if sat_app else None,
        "saves_per_s_measured_2_cores": sat["rps"],
        "attempts_per_hour_per_app_core": round(3600 / att_app) if att_app else None,
        "bytes_per_attempt": round(per_attempt),
        "bytes_per_certificate": round(per_cert),
        "national_round": {
            "attempts": 1_000_000,
            "first_hour_attempts_per_s": round(peak, 1),
            "first_hour_saves_per_s": round(peak * 30),
            "app_cores_at_100pct": round(peak * att_app, 1),
            "db_cores_at_100pct": round(peak * att_db, 1),
            "database_gb_attempts": round(1_000_000 * per_attempt / 1e9, 2),
            "database_gb_with_certificates": round(1_000_000 * (per_attempt + per_cert) / 1e9, 2),
        },
    }


def table(r: dict) -> str:
    c = r["ceiling"]
    ceil = c["rps"]
    v = r["verdict"]

    def ratio(res):
        """Against the ceiling measured beside it, with the run's first ceiling after."""
        near = beside(res, ceil)
        if not (res["rps"] and near):
            return "–"
        if near == ceil:
            return f"{res['rps'] / ceil:.0%}"
        return f"{res['rps'] / near:.0%} of {near:,.0f} ({res['rps'] / ceil:.0%} of the first)"

    def yes(b):
        return "yes" if b else "**no**"

    def row(name, load, rps, p50, p95, p99, err, ratio_s, target, met, check):
        cells = (name, load, rps, p50, p95, p99, err, ratio_s, target, met, check)
        return "| " + " | ".join(str(x) for x in cells) + " |"

    chk = r["integrity"]

    def ok(name):
        return "exact" if chk.get(name, {}).get("ok") else "**FAILED**"

    s, a, w, u = r["start"], r["autosave"], r["saves_saturation"], r["submit"]
    lines = [
        f"### {r['label']} — {r['measured_at']} ({r['machine']['cores']} cores, "
        f"gunicorn {r['gunicorn'].get('worker_class', 'gthread')} "
        f"{r['gunicorn']['workers']}×{r['gunicorn']['threads']})",
        "",
        f"Ceiling (bare Flask endpoint, same gunicorn configuration, wrk {c['connections']} "
        f"connections): **{ceil:,.0f} requests/s**, p99 {c['p99_ms']} ms, at the start; "
        "measured again just before each saturation scenario, whose ratio is against that "
        "one (the first ceiling's ratio after it).",
        "",
        "| scenario | load | req/s | p50 ms | p95 ms | p99 ms | errors | of ceiling | target "
        "| met | integrity |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
        row(
            "start spike (start + quiz page)",
            f"{s['participants']:,} phones in {s['window_s']:.0f} s ({s['arrivals_per_s']}/s)",
            s["flow"]["rps"],
            s["flow"]["p50_ms"],
            s["flow"]["p95_ms"],
            s["flow"]["p99_ms"],
            s["errors"],
            "–",
            TARGETS["start"],
            yes(v["start"]),
            ok("start"),
        ),
        row(
            "autosave steady state",
            f"{a['users']:,} phones, a save every 5–15 s, {a['seconds']:.0f} s",
            a["rps"],
            a["p50_ms"],
            a["p95_ms"],
            a["p99_ms"],
            a["errors"],
            "–",
            TARGETS["autosave"],
            yes(v["autosave"]),
            ok("autosave"),
        ),
        row(
            "answer saves at saturation",
            f"wrk, {w['connections']} connections, {w['seconds']:.0f} s",
            f"**{w['rps']:,.0f}**",
            w["p50_ms"],
            w["p95_ms"],
            w["p99_ms"],
            w["errors"],
            ratio(w),
            TARGETS["saves_saturation"],
            yes(v["saves_saturation"]),
            ok("saves_saturation"),
        ),
        row(
            "submit rush (submit, graded)",
            f"{u['participants']:,} submissions in {u['window_s']:.0f} s ({u['arrivals_per_s']}/s)",
            u["submit"]["rps"],
            u["submit"]["p50_ms"],
            u["submit"]["p95_ms"],
            u["submit"]["p99_ms"],
            u["errors"],
            "–",
            TARGETS["submit"],
            yes(v["submit"]),
            ok("submit"),
        ),
    ]
    for key, name, load in (
        (
            "verification",
            "certificate verification",
            f"{r['sizes']['certificates']:,} certificates",
        ),
        ("ranking", "public ranking (cached)", f"{r['sizes']['graded']:,} graded attempts"),
        ("dashboard", "organiser dashboard (cached)", f"{r['sizes']['graded']:,} graded attempts"),
    ):
        x = r[key]
        lines.append(
            row(
                name,
                f"wrk, {x['connections']} connections, {x['seconds']:.0f} s; {load}",
                f"**{x['rps']:,.0f}**",
                x["p50_ms"],
                x["p95_ms"],
                x["p99_ms"],
                x["errors"],
                ratio(x),
                TARGETS[key],
                yes(v[key]),
                ok(key),
            )
        )
    cap = r["capacity"]
    nat = cap["national_round"]
    lines += [
        "",
        f"Submit rush, submit + result page: p95 {u['flow']['p95_ms']} ms. "
        f"Start spike, start alone: p95 {s['start']['p95_ms']} ms; quiz page alone: p95 "
        f"{s['page']['p95_ms']} ms.",
        "",
        f"App CPU per attempt (start + page, 30 saves, submit + result): "
        f"{cap['app_cpu_ms_per_attempt']} ms → **{cap['attempts_per_hour_per_app_core']:,} "
        f"attempts/hour per app core**; {cap['saves_per_s_per_app_core']:,.0f} saves/s per app "
        f"core at saturation; database server CPU per attempt "
        f"{cap['db_cpu_ms_per_attempt'] if r['database'] != 'sqlite' else '– (in the app)'} ms; "
        f"{cap['bytes_per_attempt']:,} bytes per attempt, {cap['bytes_per_certificate']:,} per "
        f"certificate. National round peak ({nat['first_hour_attempts_per_s']} attempts/s, "
        f"{nat['first_hour_saves_per_s']:,} saves/s): {nat['app_cores_at_100pct']} app cores "
        f"at 100 %, {nat['db_cores_at_100pct']} database cores at 100 %.",
        "",
        *_window_cpu(r),
        f"Whole run {r['total_s']:.0f} s (data generation {r['generate_s']:.0f} s).",
        "",
    ]
    return "\n".join(lines)


def _window_cpu(r: dict) -> list[str]:
    """Server CPU per request over each read's measured window (its warm-up left out)."""
    parts = []
    for key, name in (
        ("verification", "verification"),
        ("ranking", "ranking"),
        ("dashboard", "dashboard"),
    ):
        w = r.get(key, {}).get("cpu_window")
        n = r.get(key, {}).get("requests")
        if not w or not n:
            continue
        db = f", database {w['db_cpu_s'] * 1000 / n:.2f} ms" if r["database"] != "sqlite" else ""
        parts.append(f"{name} app {w['app_cpu_s'] * 1000 / n:.2f} ms{db}")
    if not parts:
        return []
    return [
        "Server CPU per read request over the measured window (warm-up left out): "
        + "; ".join(parts)
        + ".",
        "",
    ]


if __name__ == "__main__":
    sys.exit(main())
