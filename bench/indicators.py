"""Benchmark: plan indicators at provincial scale (issue 8 "Speed and memory").

Generates a province of 5,000 units (province → 100 communes/wards → grassroots units and
schools → branches and classes), 1,000,000 members with their population categories,
admission dates and unit history (2% moved during the last year), the three shipped
programmes with 2,000,000 completions (the 12-month safety course expires), 300,000 submitted
contest attempts and the shipped plans, all with bulk inserts (executemany on SQLite, COPY on
PostgreSQL). The database is kept and reused while the parameters and the schema stay the same
(`--regenerate` forces a new one). Then it measures:

- `compute()` of the An Giang and HCMC plans for the current reporting year, and of An Giang
  for the last full year (the one reported by 15 October): median of `--repeat` runs
  (target 5 s);
- `take_snapshot()` of An Giang (compute + storing every unit's values), then eleven earlier
  monthly snapshots are copied from it in SQL so that trends read a year of history;
- the dashboard served from the snapshot: its data (`dashboard()`, the snapshot's values of
  the unit and its children plus the trend) for the province and for a commune, and the page,
  GET /org/indicators as a logged-in admin with Flask's test client (target 100 ms).

Every figure is wall time on a machine that may be doing other work: the 1-minute load average
before and after is written with the results.

Prints a table and writes bench/results/indicators[-postgresql].json.
Run: `make bench-indicators` (SQLite) or `make bench-indicators DB=postgres` (a local
PostgreSQL on 127.0.0.1, started and stopped by scripts/bench-db.sh).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import random
import resource
import sqlite3
import statistics
import subprocess
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

GENERATOR_VERSION = 1
DEFAULTS = {
    "units": 5_000,
    "members": 1_000_000,
    "completions": 2_000_000,
    "attempts": 300_000,
    "seed": 2026,
}
CHUNK = 100_000
SECRET = "bench-" + "x" * 40
ADMIN_EMAIL = "admin@bench.invalid"
ADMIN_PASSWORD = "bench-password-1"  # noqa: S105 - a throw-away local database
PROGRAMMES = (  # key, renewal months
    ("quy-tac-ung-xu-mang-xa-hoi", None),
    ("ky-nang-an-toan-thong-tin", 12),
    ("ly-luan-chinh-tri-doan-vien-moi", None),
)
BANKS = (  # key, share of the attempts (one round each)
    ("ly-luan-chinh-tri-doan-vien", 0.6),
    ("quy-tac-ung-xu-mang-xa-hoi", 0.25),
    ("an-toan-tren-khong-gian-mang", 0.15),
)


# --- database plumbing --------------------------------------------------------------------


def default_url(params: dict) -> str:
    tag = "-".join(str(params[k]) for k in ("units", "members", "completions", "attempts"))
    folder = ROOT / "instance" / "bench"
    folder.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{folder / f'indicators-{tag}.db'}"


def fingerprint(params: dict) -> str:
    """Parameters, generator version and the schema (tables, columns, indexes) the models
    describe: a reused database must have been generated with all three the same."""
    from quizapp import models  # noqa: F401
    from quizapp.db import Base

    schema = []
    for table in sorted(Base.metadata.tables.values(), key=lambda t: t.name):
        schema.append(table.name)
        schema.extend(f"{c.name}:{c.type}" for c in table.columns)
        schema.extend(
            sorted(f"ix:{i.name}:{','.join(c.name for c in i.columns)}" for i in table.indexes)
        )
    blob = json.dumps([GENERATOR_VERSION, params, schema], sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


def ensure_database(url: str) -> None:
    """Create the PostgreSQL database if it does not exist (SQLite creates its file)."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    u = make_url(url)
    if not u.drivername.startswith("postgresql"):
        return
    admin = create_engine(u.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        if not conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": u.database}):
            conn.execute(text(f'CREATE DATABASE "{u.database}"'))
    admin.dispose()


def stored_fingerprint(engine) -> str | None:
    from sqlalchemy import inspect, text

    if not inspect(engine).has_table("bench_meta"):
        return None
    with engine.connect() as conn:
        return conn.scalar(text("SELECT value FROM bench_meta WHERE key = 'fingerprint'"))


class Writer:
    """Bulk rows into a table: executemany on SQLite, COPY on PostgreSQL, in one
    transaction; values are adapted once here (UTC datetimes, dates, booleans, JSON)."""

    def __init__(self, conn) -> None:
        self.conn = conn
        self.pg = conn.dialect.name == "postgresql"
        self.raw = conn.connection.dbapi_connection
        self.rows = 0

    def ts(self, moment: datetime | None):
        if moment is None:
            return None
        if self.pg:
            return moment.replace(tzinfo=UTC)
        return moment.strftime("%Y-%m-%d %H:%M:%S.%f")  # SQLAlchemy's SQLite format

    def day(self, d: date | None):
        if d is None:
            return None
        return d if self.pg else d.isoformat()

    def flag(self, b: bool):
        return b if self.pg else int(b)

    def write(self, table, columns: tuple[str, ...], rows) -> None:
        missing = [
            c.name
            for c in table.columns
            if not c.nullable
            and c.server_default is None
            and c.name not in columns
            and not (c.primary_key and c.autoincrement)
        ]
        if missing:
            raise RuntimeError(f"{table.name}: columns without a value: {missing}")
        names = ", ".join(columns)
        cur = self.raw.cursor()
        try:
            if self.pg:
                with cur.copy(f"COPY {table.name} ({names}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
                        self.rows += 1
            else:
                marks = ", ".join("?" * len(columns))
                sql = f"INSERT INTO {table.name} ({names}) VALUES ({marks})"  # noqa: S608
                batch: list = []
                for row in rows:
                    batch.append(row)
                    if len(batch) >= CHUNK:
                        cur.executemany(sql, batch)
                        self.rows += len(batch)
                        batch = []
                if batch:
                    cur.executemany(sql, batch)
                    self.rows += len(batch)
        finally:
            cur.close()


# --- generation ---------------------------------------------------------------------------


def build_tree(n_units: int) -> list[dict]:
    """Province → 100 communes/wards → 6 grassroots units and 3 schools each → branches
    (under grassroots units) and classes (under schools), n_units in all."""
    communes = max(1, min(100, (n_units - 1) // 50))
    middles = communes * 9
    leaves = max(0, n_units - 1 - communes - middles)
    units = [dict(id=1, code="AG", name="Tỉnh Đoàn An Giang", type="province", parent=None)]
    nid = 2
    mids = []
    for c in range(communes):
        cid = nid
        nid += 1
        kind = "phường" if c % 3 == 0 else "xã"
        units.append(
            dict(
                id=cid, code=f"AG-{c:03d}", name=f"Đoàn {kind} số {c + 1}", type="commune", parent=1
            )
        )
        for g in range(9):
            school = g >= 6
            units.append(
                dict(
                    id=nid,
                    code=f"AG-{c:03d}-{g}",
                    name=(
                        f"Đoàn trường THPT số {c * 3 + g - 5}" if school else f"Đoàn cơ sở {g + 1}"
                    ),
                    type="school" if school else "grassroots",
                    parent=cid,
                )
            )
            mids.append((nid, school))
            nid += 1
    for i in range(leaves):
        parent, school = mids[i % len(mids)]
        units.append(
            dict(
                id=nid,
                code=f"AG-L{i:05d}",
                name=f"Lớp {i + 1}" if school else f"Chi đoàn {i + 1}",
                type="class" if school else "branch",
                parent=parent,
            )
        )
        nid += 1
    by_id = {u["id"]: u for u in units}
    for u in units:  # parents come first
        p = by_id.get(u["parent"])
        u["path"] = (p["path"] if p else "/") + f"{u['id']}/"
        u["depth"] = p["depth"] + 1 if p else 0
    return units


def categories_for(rng: random.Random, unit_type: str) -> tuple[list[str], bool]:
    """(categories, has an admission date) for a member placed in a unit of that type."""
    r = rng.random()
    if unit_type == "branch":
        if r < 0.04:
            return ["cadre", "member"], True
        if r < 0.50:
            return ["member"], True
        if r < 0.55:
            return ["association", "youth"], False
        if r < 0.80:
            return ["youth"], False
        return ["child"], False
    if unit_type == "class":
        if r < 0.05:
            return (["teacher", "cadre"], True) if r < 0.01 else (["teacher"], False)
        if r < 0.40:
            return ["pupil", "member"], True
        if r < 0.75:
            return ["pupil", "child"], False
        return ["pupil"], False
    if unit_type == "school":
        return (["teacher", "cadre"], True) if r < 0.3 else (["teacher"], False)
    return ["cadre", "member"], True  # commune, grassroots: the union's own cadres


def generate(url: str, params: dict, fp: str) -> dict:
    """Drop and build the benchmark database; returns the row counts and seconds."""
    from sqlalchemy import insert, select, text

    from quizapp import models  # noqa: F401
    from quizapp.auth.models import User
    from quizapp.banks.models import Bank
    from quizapp.contests.models import Attempt, Contest, Round
    from quizapp.db import Base, make_engine
    from quizapp.demo import UNIT_TYPES
    from quizapp.indicators.services import load_shipped
    from quizapp.orgs.models import Member, MemberCategory, MemberUnitHistory, Unit, UnitType
    from quizapp.programmes.models import Completion, Programme

    started = time.perf_counter()
    rng = random.Random(params["seed"])
    today = datetime.now(UTC).replace(tzinfo=None, hour=0, minute=0, second=0, microsecond=0)
    if url.startswith("sqlite"):
        path = Path(url.removeprefix("sqlite:///"))
        for suffix in ("", "-wal", "-shm", "-writelock"):
            Path(str(path) + suffix).unlink(missing_ok=True)
    else:
        ensure_database(url)
    engine = make_engine(url, foreign_keys=False)
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    Base.metadata.create_all(engine)
    counts: dict[str, int] = {}
    timings: dict[str, float] = {}

    def lap(name: str, t0: float) -> float:
        timings[name] = round(time.perf_counter() - t0, 1)
        print(f"  {name}: {counts.get(name, '')} rows, {timings[name]} s", flush=True)
        return time.perf_counter()

    # Precomputed moments: one per hour over the last 12 years (rows pick one at random).
    hours = 12 * 366 * 24
    moments = [today - timedelta(hours=h) for h in range(hours, 0, -1)]

    def moment_between(days_ago_from: int, days_ago_to: int) -> datetime:
        lo = max(0, hours - days_ago_from * 24)
        hi = max(lo, hours - 1 - days_ago_to * 24)
        return moments[rng.randint(lo, hi)]

    with engine.begin() as conn:
        if conn.dialect.name == "sqlite":
            conn.exec_driver_sql("PRAGMA cache_size=-400000")
        w = Writer(conn)
        t = time.perf_counter()
        conn.execute(
            insert(UnitType), [dict(key=k, name=n, sort_order=o) for k, n, o in UNIT_TYPES]
        )
        units = build_tree(params["units"])
        created = w.ts(today - timedelta(days=4000))
        w.write(
            Unit.__table__,
            ("id", "code", "name", "name_folded", "type_key", "parent_id", "path", "depth")
            + ("created_at",),
            (
                (u["id"], u["code"], u["name"], u["code"].lower(), u["type"], u["parent"])
                + (u["path"], u["depth"], created)
                for u in units
            ),
        )
        counts["units"] = len(units)
        t = lap("units", t)

        leaves = [u for u in units if u["type"] in ("branch", "class")] or units
        middles = [u for u in units if u["type"] in ("commune", "grassroots", "school")] or units
        n = params["members"]
        member_unit = [0] * (n + 1)
        admitted: list[date | None] = [None] * (n + 1)
        cats: list[list[str]] = [[]] * (n + 1)
        for i in range(1, n + 1):
            u = rng.choice(middles) if rng.random() < 0.03 else rng.choice(leaves)
            member_unit[i] = u["id"]
            c, has_date = categories_for(rng, u["type"])
            cats[i] = c
            if has_date:  # admitted over the last 12 years (pupils: the last 4)
                span = 4 * 365 if "pupil" in c else 12 * 365
                admitted[i] = (today - timedelta(days=rng.randint(0, span))).date()
        t = lap("members (in memory)", t)

        def member_rows():
            stamp = w.ts(today - timedelta(days=30))
            for i in range(1, n + 1):
                yield (
                    i,
                    f"Đoàn viên {i}",
                    f"doan vien {i}",
                    member_unit[i],
                    w.day(admitted[i]),
                    w.flag(i % 100 != 0),  # 1% inactive
                    stamp,
                    stamp,
                )

        w.write(
            Member.__table__,
            ("id", "full_name", "name_folded", "unit_id", "admitted_on", "active")
            + ("created_at", "updated_at"),
            member_rows(),
        )
        counts["members"] = n
        t = lap("members", t)

        def category_rows():
            cid = 0
            for i in range(1, n + 1):
                for c in cats[i]:
                    cid += 1
                    yield (cid, i, c)
            counts["member categories"] = cid

        w.write(MemberCategory.__table__, ("id", "member_id", "category"), category_rows())
        t = lap("member categories", t)

        def history_rows():
            hid = 0
            for i in range(1, n + 1):
                if admitted[i] is not None and (today.date() - admitted[i]).days < 400:
                    start = datetime.combine(admitted[i], datetime.min.time())
                else:
                    start = moment_between(12 * 365, 400)
                hid += 1
                if rng.random() < 0.02:  # moved during the last year
                    moved = moment_between(330, 1)
                    old = rng.choice(leaves)["id"]
                    yield (hid, i, old, w.ts(min(start, moved)), w.ts(moved), "created")
                    hid += 1
                    yield (hid, i, member_unit[i], w.ts(moved), None, "moved")
                else:
                    yield (hid, i, member_unit[i], w.ts(start), None, "created")
            counts["unit history"] = hid

        w.write(
            MemberUnitHistory.__table__,
            ("id", "member_id", "unit_id", "start_at", "end_at", "reason"),
            history_rows(),
        )
        t = lap("unit history", t)

        # Programmes, banks and one contest with a round per bank (a handful of rows).
        now_ts = today.replace(tzinfo=UTC)  # Core inserts: the app's aware datetimes
        long_ago, far = now_ts - timedelta(days=5 * 365), now_ts + timedelta(days=5 * 365)
        for i, (key, _share) in enumerate(BANKS, start=1):
            conn.execute(
                insert(Bank),
                dict(
                    id=i, key=key, title=key, owner_unit_id=1, created_at=now_ts, updated_at=now_ts
                ),
            )
        conn.execute(
            insert(Contest),
            dict(id=1, slug="bench", title="Cuộc thi đo", owner_unit_id=1, status="published")
            | dict(kind="contest", created_at=now_ts),
        )
        for i, _bank in enumerate(BANKS, start=1):
            conn.execute(
                insert(Round),
                dict(id=i, contest_id=1, number=i, title=f"Tuần {i}", opens_at=long_ago)
                | dict(closes_at=far, bank_id=i, blueprint=[], pool=[]),
            )
        for i, (key, renewal) in enumerate(PROGRAMMES, start=1):
            conn.execute(
                insert(Contest),
                dict(id=100 + i, slug=f"p{i}", title=key, owner_unit_id=1, status="published")
                | dict(kind="programme", created_at=now_ts),
            )
            conn.execute(
                insert(Programme),
                dict(id=i, key=key, title=key, owner_unit_id=1, contest_id=100 + i)
                | dict(renewal_months=renewal, starts_at=long_ago, ends_at=far)
                | dict(status="published", created_at=now_ts),
            )

        # Completions: quota per programme; the 12-month course has renewals (cycle 2) and
        # about two thirds of its first cycles have expired; political theory goes to the
        # members with an admission date, around it.
        total = params["completions"]
        eligible_ll = [
            i for i in range(1, n + 1) if admitted[i] is not None and "member" in cats[i]
        ]
        ll_done = []  # (member, completed at): the course around the admission, if done yet
        for i in sorted(rng.sample(eligible_ll, min(int(total * 0.175), len(eligible_ll)))):
            at = datetime.combine(admitted[i], datetime.min.time()) + timedelta(
                days=rng.randint(-60, 150), hours=rng.randint(1, 14)
            )
            if at < today:
                ll_done.append((i, at))
        kn_quota = min(int(total * 0.375), n)
        kn2_quota = min(int(total * 0.075), kn_quota // 2)
        qt_quota = max(0, min(total - len(ll_done) - kn_quota - kn2_quota, n))

        def completion_rows():
            cid = 0
            scores = "{}"
            for i in sorted(rng.sample(range(1, n + 1), qt_quota)):
                cid += 1
                at = moment_between(4 * 365, 0)
                yield (cid, 1, i, member_unit[i], 1, w.ts(at), None, scores)
            kn = sorted(rng.sample(range(1, n + 1), kn_quota))
            renew = set(rng.sample(kn, kn2_quota))
            year = timedelta(days=365)
            for i in kn:
                cid += 1
                if i in renew:  # renewed before the first cycle expired
                    first = moment_between(3 * 365, 400)
                    second = first + timedelta(days=rng.randint(330, 364))
                    yield (cid, 2, i, member_unit[i], 1, w.ts(first), w.ts(first + year), scores)
                    cid += 1
                    yield (cid, 2, i, member_unit[i], 2, w.ts(second), w.ts(second + year), scores)
                else:
                    at = moment_between(3 * 365, 0)
                    yield (cid, 2, i, member_unit[i], 1, w.ts(at), w.ts(at + year), scores)
            for i, at in ll_done:
                cid += 1
                yield (cid, 3, i, member_unit[i], 1, w.ts(at), None, scores)
            counts["completions"] = cid

        w.write(
            Completion.__table__,
            ("id", "programme_id", "member_id", "unit_id", "cycle", "completed_at")
            + ("expires_at", "scores"),
            completion_rows(),
        )
        t = lap("completions", t)

        # Submitted contest attempts (each by its own account).
        attempting = sorted(rng.sample(range(1, n + 1), min(params["attempts"], n)))
        pw = w.ts(today)
        w.write(
            User.__table__,
            ("id", "display_name", "password_hash", "is_admin", "active", "member_id")
            + ("created_at",),
            (
                (k, f"Đoàn viên {i}", "x", w.flag(False), w.flag(True), i, pw)
                for k, i in enumerate(attempting, 1)
            ),
        )
        shares = [s for _k, s in BANKS]

        def attempt_rows():
            for k, i in enumerate(attempting, start=1):
                rnd = rng.choices((1, 2, 3), shares)[0]
                at = moment_between(2 * 365, 0)
                yield (
                    k, rnd, k, i, member_unit[i], 1, w.flag(False), "submitted", k,
                    w.ts(at - timedelta(minutes=15)), w.ts(at + timedelta(minutes=5)), w.ts(at),
                    "user", "", 30,
                )  # fmt: skip

        w.write(
            Attempt.__table__,
            ("id", "round_id", "user_id", "member_id", "unit_id", "number", "preview", "status")
            + ("seed", "started_at", "deadline_at", "submitted_at", "submitted_by", "device")
            + ("question_count",),
            attempt_rows(),
        )
        counts["attempts"] = len(attempting)
        t = lap("attempts", t)

        if conn.dialect.name == "postgresql":  # explicit ids: move the sequences past them
            for table in ("unit", "member", "member_category", "member_unit_history", "bank") + (
                "contest",
                "contest_round",
                "programme",
                "completion",
                "user_account",
                "attempt",
            ):
                conn.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'),"  # noqa: S608
                        f" (SELECT max(id) FROM {table}))"
                    )
                )
        conn.execute(text("CREATE TABLE bench_meta (key VARCHAR(40) PRIMARY KEY, value TEXT)"))

    from sqlalchemy.orm import Session

    with Session(engine) as s:
        load_shipped(s, datetime.now(UTC))
        s.commit()
        assert s.scalar(select(Programme.id).where(Programme.key == PROGRAMMES[0][0])) == 1
    t = time.perf_counter()
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))
        lap("vacuum analyze", t)
    else:
        with engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    meta = {
        "fingerprint": fp,
        "generated_at": datetime.now(UTC).isoformat(),
        "counts": json.dumps(counts),
        "generate_s": str(round(time.perf_counter() - started, 1)),
        "timings": json.dumps(timings),
    }
    with engine.begin() as conn:
        conn.execute(
            text("INSERT INTO bench_meta (key, value) VALUES (:k, :v)"),
            [{"k": k, "v": v} for k, v in meta.items()],
        )
    engine.dispose()
    return meta


# --- measuring ----------------------------------------------------------------------------


def stats(times: list[float]) -> dict:
    ordered = sorted(times)
    p95 = ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]
    return {
        "median_ms": round(statistics.median(times) * 1000, 1),
        "min_ms": round(ordered[0] * 1000, 1),
        "p95_ms": round(p95 * 1000, 1),
        "max_ms": round(ordered[-1] * 1000, 1),
        "runs": len(times),
    }


def measure(url: str, repeat: int, requests: int) -> dict:
    from sqlalchemy import delete, func, select

    from quizapp import create_app
    from quizapp.auth.models import User
    from quizapp.auth.services import hash_password
    from quizapp.extensions import db
    from quizapp.indicators import compute as C
    from quizapp.indicators import services as I
    from quizapp.indicators.models import Snapshot, SnapshotValue

    try:  # the dashboard's data, wherever it lives
        from quizapp.indicators.dashboard import dashboard
    except ImportError:
        dashboard = I.dashboard
    from quizapp.orgs.models import Unit
    from quizapp.timeutil import local_today

    app = create_app(
        {
            "SECRET_KEY": SECRET,
            "DATABASE_URL": url,
            "RATELIMIT_ENABLED": False,
            "WTF_CSRF_ENABLED": False,
        }
    )
    out: dict = {"compute": [], "dashboard": [], "load_average_before": os.getloadavg()[0]}
    now = datetime.now(UTC)
    with app.app_context():
        s = db.session
        # Earlier runs' snapshots go: every run measures the same tables.
        s.execute(delete(SnapshotValue))
        s.execute(delete(Snapshot))
        if s.scalar(select(User.id).where(User.email == ADMIN_EMAIL)) is None:
            s.add(User(display_name="Quản trị đo", email=ADMIN_EMAIL, is_admin=True,
                       password_hash=hash_password(ADMIN_PASSWORD)))  # fmt: skip
        s.commit()
        province_id = s.scalar(select(Unit.id).where(Unit.parent_id.is_(None)).order_by(Unit.id))
        commune_id = s.scalar(
            select(Unit.id).where(Unit.parent_id == province_id).order_by(Unit.id)
        )
        runs = []
        for key in ("an-giang-311", "hcm-2639"):
            _row, plan = I.get_plan(s, key)
            year = I.current_year(plan, now)
            runs.append((key, year, now, "current year"))
            if key == "an-giang-311":  # the year reported by 15 October
                end = C.bounds(plan, year - 1, now)[1]
                runs.append((key, year - 1, end, "last full year"))
        s.commit()
        out["peak_rss_before_compute_mb"] = _peak_rss_mb()
        for key, year, at, label in runs:
            _row, plan = I.get_plan(db.session, key)
            times, values = [], 0
            for _ in range(repeat):
                t0 = time.perf_counter()
                vals = C.compute(db.session, plan, year, at)
                times.append(time.perf_counter() - t0)
                values = len(vals)
                db.session.rollback()
            row = {
                "plan": key,
                "year": year,
                "period": label,
                "median_s": round(statistics.median(times), 2),
                "min_s": round(min(times), 2),
                "max_s": round(max(times), 2),
                "runs": repeat,
                "values": values,
            }
            out["compute"].append(row)
            print(f"  compute {key} {year} ({label}): median {row['median_s']} s", flush=True)

        # compute() holds per-unit counts, not members: its memory is the growth of the peak.
        out["peak_rss_after_compute_mb"] = _peak_rss_mb()
        _row, plan = I.get_plan(db.session, "an-giang-311")
        year = I.current_year(plan, now)
        t0 = time.perf_counter()
        snap = I.take_snapshot(db.session, "an-giang-311", year, now, reason="monthly")
        db.session.commit()
        out["snapshot"] = {
            "plan": "an-giang-311",
            "year": year,
            "seconds": round(time.perf_counter() - t0, 2),
            "values": db.session.scalar(
                select(func.count())
                .select_from(SnapshotValue)
                .where(SnapshotValue.snapshot_id == snap.id)
            ),
        }
        print(f"  take_snapshot: {out['snapshot']['seconds']} s", flush=True)
        t0 = time.perf_counter()
        out["history_snapshots"] = copy_history(db.session, plan, snap, now, 11)
        db.session.commit()
        out["history_s"] = round(time.perf_counter() - t0, 1)

        today = local_today(now)
        for label, unit_id in (("province", province_id), ("commune", commune_id)):
            times = []
            for _ in range(requests):
                db.session.remove()
                t0 = time.perf_counter()
                sess = db.session
                snap_ = I.latest_snapshot(sess, "an-giang-311", year)
                view = dashboard(sess, plan, snap_, sess.get(Unit, unit_id), today)
                times.append(time.perf_counter() - t0)
            out["dashboard"].append(
                {"what": f"dashboard() data ({label}, {len(view)} lines)", **stats(times)}
            )
        routes = {r.rule for r in app.url_map.iter_rules()}
        db.session.remove()

    if "/org/indicators" in routes:
        client = app.test_client()
        resp = client.post("/login", data={"identifier": ADMIN_EMAIL, "password": ADMIN_PASSWORD})
        assert resp.status_code == 302, resp.status_code
        for label, unit_id in (("province", province_id), ("commune", commune_id)):
            page = f"/org/indicators?plan=an-giang-311&unit={unit_id}&year={year}"
            times, size, status = [], 0, None
            for _ in range(requests + 1):
                t0 = time.perf_counter()
                resp = client.get(page)
                times.append(time.perf_counter() - t0)
                size, status = len(resp.data), resp.status_code
                if status != 200:
                    print(f"  GET {page}: HTTP {status}", flush=True)
                    break
            if status != 200:
                out["dashboard"].append(
                    {"what": f"GET /org/indicators ({label})", "status": status}
                )
                continue
            first = times.pop(0)
            out["dashboard"].append(
                {
                    "what": f"GET /org/indicators ({label})",
                    "status": status,
                    "bytes": size,
                    "first_ms": round(first * 1000, 1),
                    **stats(times),
                }
            )
    else:
        out["dashboard_http"] = "route /org/indicators not present: only the service was timed"
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
    out["peak_rss_mb"] = _peak_rss_mb()
    # Other work on the machine slows every figure: the 1-minute load average at the end.
    out["load_average_after"] = os.getloadavg()[0]
    return out


def _peak_rss_mb() -> int:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)


def copy_history(session, plan, snap, now: datetime, months: int) -> int:
    """Earlier monthly snapshots, copied from `snap` in SQL with numerators scaled down
    (a year of trend for the dashboard to read, without computing each month)."""
    from sqlalchemy import insert, literal, select

    from quizapp.indicators.models import Snapshot, SnapshotValue

    v = SnapshotValue
    for k in range(months, 0, -1):
        at = now - timedelta(days=30 * k)
        past = Snapshot(
            plan_key=snap.plan_key,
            year=plan.period_of(at.date()).year,
            taken_at=at,
            as_of=at,
            reason="monthly",
            definition_at=snap.definition_at,
        )
        session.add(past)
        session.flush()
        keep = months + 1 - k
        session.execute(
            insert(v).from_select(
                ["snapshot_id", "unit_id", "code", "line", "numerator", "denominator", "value"],
                select(
                    literal(past.id),
                    v.unit_id,
                    v.code,
                    v.line,
                    (v.numerator * keep) // (months + 1),
                    v.denominator,
                    v.value,
                ).where(v.snapshot_id == snap.id),
            )
        )
    return months


# --- main ---------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--url", help="database URL (default: a SQLite file in instance/bench)")
    ap.add_argument("--regenerate", action="store_true", help="build the data again")
    ap.add_argument("--generate-only", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--repeat", type=int, default=3, help="compute() runs per plan (median)")
    ap.add_argument("--requests", type=int, default=30, help="dashboard requests (median)")
    ap.add_argument("--scale", type=float, default=1.0, help="multiply members/completions")
    for k, v in DEFAULTS.items():
        ap.add_argument(f"--{k}", type=int, default=v)
    args = ap.parse_args(argv)
    params = {k: getattr(args, k) for k in DEFAULTS}
    for k in ("members", "completions", "attempts"):
        params[k] = int(params[k] * args.scale)
    url = args.url or os.environ.get("QUIZAPP_BENCH_DATABASE_URL") or default_url(params)
    fp = fingerprint(params)
    if args.generate_only:
        print(json.dumps(generate(url, params, fp), indent=2))
        return {}

    from sqlalchemy.engine import make_url

    from quizapp.db import make_engine

    ensure_database(url)
    engine = make_engine(url)
    backend = engine.dialect.name
    reused = stored_fingerprint(engine) == fp and not args.regenerate  # connects
    server = engine.dialect.server_version_info if backend == "postgresql" else None
    engine.dispose()
    print(f"==> {backend}: {make_url(url).render_as_string(hide_password=True)}", flush=True)
    if not reused:
        print("==> generating (in a child process, so that its memory is not counted)", flush=True)
        subprocess.run(  # noqa: S603 - this very script
            [sys.executable, __file__, "--generate-only", "--url", url, "--scale", "1"]
            + [a for k in DEFAULTS for a in (f"--{k}", str(params[k]))],
            check=True,
        )
    engine = make_engine(url)
    from sqlalchemy import text

    with engine.connect() as conn:
        meta = dict(conn.execute(text("SELECT key, value FROM bench_meta")).all())
    engine.dispose()
    print("==> measuring", flush=True)
    result = {
        "backend": backend,
        "server_version": ".".join(map(str, server)) if server else None,
        "sqlite_version": sqlite3.sqlite_version if backend == "sqlite" else None,
        "params": params,
        "generated_at": meta["generated_at"],
        "generate_s": float(meta["generate_s"]),
        "generated_now": not reused,
        "rows": json.loads(meta["counts"]),
        **measure(url, args.repeat, args.requests),
        "targets": {"compute_s": 5.0, "dashboard_ms": 100.0},
        "machine": f"{os.cpu_count()} cores, {platform.python_implementation()} "
        f"{platform.python_version()}, {platform.system()} {platform.release()}",
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    name = "indicators.json" if backend == "sqlite" else f"indicators-{backend}.json"
    out = ROOT / "bench" / "results" / name
    out.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print_table(result)
    print(f"==> {out.relative_to(ROOT)}")
    return result


def print_table(r: dict) -> None:
    print()
    print(f"{'measure':58} {'median':>10} {'p95/max':>10}")
    gen = "generated now" if r["generated_now"] else "reused"
    print(f"{'generation (' + gen + ')':58} {r['generate_s']:>8.1f} s")
    for c in r["compute"]:
        what = f"compute {c['plan']} {c['year']} ({c['period']}, {c['values']} values)"
        print(f"{what:58} {c['median_s']:>8.2f} s {c['max_s']:>8.2f} s")
    snap = r["snapshot"]
    print(f"{'take_snapshot an-giang-311 (' + str(snap['values']) + ' values)':58} "
          f"{snap['seconds']:>8.2f} s")  # fmt: skip
    for d in r["dashboard"]:
        if "median_ms" not in d:
            print(f"{d['what']:58} HTTP {d['status']}")
            continue
        print(f"{d['what']:58} {d['median_ms']:>7.1f} ms {d['p95_ms']:>7.1f} ms")
    if "dashboard_http" in r:
        print(r["dashboard_http"])
    print(
        f"peak RSS of the measuring process: {r['peak_rss_mb']} MB "
        f"({r['peak_rss_before_compute_mb']} MB before compute(), "
        f"{r['peak_rss_after_compute_mb']} MB after it)"
    )
    print(
        f"load average: {r['load_average_before']:.1f} before, {r['load_average_after']:.1f} after"
    )


if __name__ == "__main__":
    main()
