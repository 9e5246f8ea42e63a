"""Generated data of `make bench`: a province of 100 branches with a roster of 100,000
members (each with an account), a bank of 500 questions, a published contest with two
rounds of 30 questions — round 1 closed with 100,000 graded attempts (30 answers each), round
2 open for the live scenarios — an achievement-certificate rule, and 1,000,000 issued
certificates. Small objects go through the services; the bulk rows are inserted directly
(COPY on PostgreSQL, executemany on SQLite) in the shape the services write.

Participants of the scenarios get a server-side login session and a signed session cookie
with a CSRF token, made with the server's own secret, so that the benchmark measures the
contest and not password hashing (a login costs one scrypt hash, not measured here)."""

from __future__ import annotations

import json
import random
import secrets
import time
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

N_UNITS = 100
PASSWORD = "bench-password"  # noqa: S105 - generated accounts of a throwaway database


def _sqlite_dt(value: datetime) -> str:
    return value.astimezone(UTC).replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")


class Bulk:
    """Fast inserts of plain rows: COPY on PostgreSQL, executemany on SQLite."""

    def __init__(self, conn):
        self.conn = conn
        self.pg = conn.dialect.name == "postgresql"

    def _value(self, v):
        if isinstance(v, datetime):
            return v if self.pg else _sqlite_dt(v)
        if isinstance(v, dict | list):
            return json.dumps(v, ensure_ascii=False)
        if isinstance(v, bool) and not self.pg:
            return int(v)
        if isinstance(v, Decimal) and not self.pg:
            return float(v)
        return v

    def insert(self, table: str, columns: list[str], rows) -> int:
        raw = self.conn.connection.driver_connection
        n = 0
        batch: list = []

        def flush():
            if not batch:
                return
            if self.pg:
                sql = f"COPY {table} ({', '.join(columns)}) FROM STDIN"
                with raw.cursor() as cur, cur.copy(sql) as cp:
                    for r in batch:
                        cp.write_row(r)
            else:
                marks = ", ".join("?" for _ in columns)
                raw.executemany(
                    f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})",  # noqa: S608
                    batch,
                )
            batch.clear()

        for row in rows:
            batch.append(tuple(self._value(v) for v in row))
            n += 1
            if len(batch) >= 50_000:
                flush()
        flush()
        return n


def session_cookie(app, login_id: str) -> tuple[str, str]:
    """(session cookie value, CSRF token) of a logged-in browser, as the app would set them."""
    from flask import session
    from flask_wtf.csrf import generate_csrf

    with app.app_context(), app.test_request_context("/"):  # a fresh `g` for each one
        session["_user_id"] = login_id
        session["_fresh"] = True
        token = generate_csrf()
        value = app.session_interface.get_signing_serializer(app).dumps(dict(session))
    return value, token


def generate(
    app,
    *,
    members: int = 100_000,
    graded: int = 100_000,
    certificates: int = 1_000_000,
    participants: int = 2_000,
    log=print,
) -> dict:
    """Fill an empty, migrated database; return the fixture the scenarios use."""
    from sqlalchemy import func, select, text

    from quizapp.auth.models import LoginSession, OrganiserRole, User
    from quizapp.auth.services import hash_password
    from quizapp.certificates.credential import CertificateFacts, credential
    from quizapp.certificates.glue import issuer
    from quizapp.certificates.services import RuleData, save_rule
    from quizapp.certificates.signing import sign_jws
    from quizapp.contests import services as contest_services
    from quizapp.contests.draw import draw
    from quizapp.contests.grading import grade
    from quizapp.contests.models import Round
    from quizapp.extensions import db
    from quizapp.orgs.models import Member
    from quizapp.orgs.services import create_unit
    from quizapp.policy import SYSTEM
    from tests.contest_helpers import make_bank, make_contest
    from tests.factories import ensure_types

    rng = random.Random(2026)
    now = datetime.now(UTC)
    stats: dict = {}
    t0 = time.perf_counter()
    s = db.session
    ensure_types(s)
    province = create_unit(
        s,
        actor=SYSTEM,
        code="BENCH",
        name="Tỉnh Đoàn Thử tải",
        type_key="province",
        parent_id=None,
        now=now,
    )
    branches = [
        create_unit(
            s,
            actor=SYSTEM,
            code=f"BENCH{i:03d}",
            name=f"Chi đoàn số {i}",
            type_key="branch",
            parent_id=province.id,
            now=now,
        )
        for i in range(N_UNITS)
    ]
    bank = make_bank(s, province, now, n=500)
    contest = make_contest(
        s,
        province,
        bank,
        now,
        count=30,
        publish=False,
        title="Tuần thi thứ 1",
        attempts_allowed=1,
        review="score",
        time_limit_s=1800,
        opens_at=now - timedelta(hours=1),
        closes_at=now + timedelta(days=7),
    )
    contest_services.save_round(
        s,
        contest.id,
        contest_services.RoundData(
            title="Tuần thi thứ 2",
            opens_at=now - timedelta(hours=1),
            closes_at=now + timedelta(days=7),
            time_limit_s=1800,
            bank_id=bank.id,
            blueprint=({"count": 30, "category": None, "difficulty": None},),
            shuffle_questions=True,
            shuffle_options=True,
            attempts_allowed=1,
            counting="best",
            pass_mark=50,
            review="score",
            prediction=True,
            include_unverified=True,
        ),
        actor=SYSTEM,
        now=now,
    )
    contest_services.set_status(s, contest.id, "published", actor=SYSTEM, now=now)
    save_rule(s, contest.id, RuleData(kind="achievement", threshold=80), actor=SYSTEM, now=now)
    s.flush()
    graded_round, live_round = sorted(contest.rounds, key=lambda r: r.number)
    # Round 1 is last week's: closed, its ranking and dashboard are read in the scenarios.
    graded_round.opens_at = now - timedelta(days=8)
    graded_round.closes_at = now - timedelta(days=1)
    organiser = User(
        display_name="Ban tổ chức",
        email="organiser@bench.local",
        password_hash=hash_password(PASSWORD),
        created_at=now,
    )
    s.add(organiser)
    s.flush()
    s.add(OrganiserRole(user_id=organiser.id, unit_id=province.id, granted_at=now))
    s.commit()
    stats["objects_s"] = round(time.perf_counter() - t0, 1)

    conn = s.connection()
    bulk = Bulk(conn)
    base_member = (s.scalar(select(func.max(Member.id))) or 0) + 1
    base_user = (s.scalar(select(func.max(User.id))) or 0) + 1
    pw = hash_password(PASSWORD)
    family = ["Nguyễn", "Trần", "Lê", "Phạm", "Huỳnh", "Võ", "Phan", "Trương", "Bùi", "Đặng"]
    middle = ["Văn", "Thị", "Minh", "Ngọc", "Thanh", "Hữu", "Quốc", "Thu"]
    given = ["An", "Bình", "Chi", "Dũng", "Hà", "Hùng", "Lan", "Long", "Mai", "Nam", "Phúc"]
    names = [
        f"{rng.choice(family)} {rng.choice(middle)} {rng.choice(given)} {i}" for i in range(members)
    ]
    unit_of = [branches[i % N_UNITS] for i in range(members)]
    t0 = time.perf_counter()
    bulk.insert(
        "member",
        ["id", "full_name", "name_folded", "birth_date", "phone", "unit_id", "active"]
        + ["created_at", "updated_at"],
        (
            (
                base_member + i,
                names[i],
                names[i].lower(),
                date(1995 + i % 12, 1 + i % 12, 1 + i % 28),
                f"08{i:08d}",
                unit_of[i].id,
                True,
                now,
                now,
            )
            for i in range(members)
        ),
    )
    bulk.insert(
        "member_category",
        ["member_id", "category"],
        ((base_member + i, "member") for i in range(members)),
    )
    bulk.insert(
        "user_account",
        ["id", "phone", "display_name", "password_hash", "is_admin", "active", "member_id"]
        + ["created_at"],
        (
            (base_user + i, f"08{i:08d}", names[i], pw, False, True, base_member + i, now)
            for i in range(members)
        ),
    )
    stats["roster_s"] = round(time.perf_counter() - t0, 1)

    # Round 1: `graded` submitted attempts, each with its 30 served questions and answers.
    t0 = time.perf_counter()
    pool = contest_services.round_pool(graded_round)
    items = contest_services.round_items(graded_round)
    questions = _questions(s, [p.version_id for p in pool])
    aq_rows: list = []

    def attempt_rows():
        for i in range(graded):
            aid = base_attempt + i
            drawn = draw(pool, items, [], seed=i, shuffle_questions=True, shuffle_options=True)
            total = 0
            started = now - timedelta(days=1, hours=rng.randint(1, 160), seconds=i % 3600)
            skill = rng.random()
            for pos, d in enumerate(drawn, start=1):
                q = questions[d.version_id]
                right = rng.random() < 0.35 + 0.6 * skill
                choice = 0 if right else rng.randint(1, 3)
                response = {"choices": [choice]}
                g = grade(q, response)
                total += int(g.score)
                aq_rows.append(
                    (aid, pos, d.version_id, list(d.option_order), response, False, started)
                    + (g.fraction, g.score, 1 << choice)
                )
            duration = rng.randint(120, 1500)
            yield (
                aid,
                graded_round.id,
                base_user + i,
                base_member + i,
                unit_of[i].id,
                1,
                False,
                "submitted",
                i,
                started,
                started + timedelta(seconds=graded_round.time_limit_s),
                started + timedelta(seconds=duration),
                "user",
                "",
                total,
                30,
                total,
                30,
                rng.randint(0, 5000),
            )

    base_attempt = 1
    cols = ["id", "round_id", "user_id", "member_id", "unit_id", "number", "preview", "status"]
    cols += ["seed", "started_at", "deadline_at", "submitted_at", "submitted_by", "device"]
    cols += ["score", "max_score", "correct_count", "question_count", "prediction"]
    aq_cols = ["attempt_id", "position", "version_id", "option_order", "response", "flagged"]
    aq_cols += ["saved_at", "fraction", "score", "choice_mask"]
    chunk = 5_000
    gen = attempt_rows()
    while True:
        rows = [r for _, r in zip(range(chunk), gen, strict=False)]
        if not rows:
            break
        bulk.insert("attempt", cols, rows)
        bulk.insert("attempt_question", aq_cols, aq_rows)
        aq_rows.clear()
    stats["graded_attempts_s"] = round(time.perf_counter() - t0, 1)

    # 1,000,000 issued certificates of the organising unit (last weeks' rounds); one real
    # signed credential gives the size of the stored JWS (the lookup never re-verifies it).
    t0 = time.perf_counter()
    facts = CertificateFacts(
        code="x" * 26,
        serial="BENCH-2026-0000001",
        kind="achievement",
        issuer_name=province.name,
        issuer_code=province.code,
        recipient_name=names[0],
        birth_year=2000,
        achievement_name="Cuộc thi trực tuyến – Tuần thi thứ 1",
        achievement_description="Số câu trả lời đúng: 27/30",
        issued_at=now,
        template_version=1,
    )
    jws = sign_jws(credential(facts, app.config["BASE_URL"]), issuer().keys.current())
    codes: list[str] = []
    year = now.year
    cert_cols = ["serial", "code", "achievement_key", "kind", "contest_id", "round_id"]
    cert_cols += ["user_id", "member_id", "issuer_unit_id", "recipient_unit_id"]
    cert_cols += ["recipient_name", "birth_year", "achievement", "issued_at", "layout"]
    cert_cols += ["template_version", "jws", "status"]
    sample_every = max(1, certificates // 20_000)

    def cert_rows():
        for n in range(certificates):
            code = secrets.token_hex(13)  # 26 characters, as new_code() gives
            if n % sample_every == 0:
                codes.append(code)
            m = n % members
            yield (
                f"BENCH-{year}-{n + 1:06d}",
                code,
                f"bulk:{n}",
                "achievement",
                contest.id,
                graded_round.id,
                base_user + m,
                base_member + m,
                province.id,
                unit_of[m].id,
                names[m],
                1995 + m % 12,
                {
                    "contest": contest.title,
                    "round": f"Tuần thi thứ {1 + n // members}",
                    "kind": "achievement",
                    "correct": 27,
                    "questions": 30,
                    "date": now.date().isoformat(),
                },
                now - timedelta(days=1),
                "classic",
                1,
                jws,
                "valid",
            )

    bulk.insert("certificate", cert_cols, cert_rows())
    stats["certificates_s"] = round(time.perf_counter() - t0, 1)

    if bulk.pg:  # rows given explicit ids: move the sequences past them
        for table in ("member", "user_account", "attempt"):
            s.execute(
                text(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'),"  # noqa: S608
                    f" (SELECT max(id) FROM {table}))"
                )
            )

    # The live round's participants: logged-in phones (server-side login sessions).
    t0 = time.perf_counter()
    login_rows, people = [], []
    chosen = rng.sample(range(members), participants)
    for i in chosen:
        sid = secrets.token_urlsafe(32)
        login_rows.append((sid, base_user + i, now, now, "bench"))
        people.append({"user_id": base_user + i, "sid": sid})
    org_sid = secrets.token_urlsafe(32)
    login_rows.append((org_sid, organiser.id, now, now, "bench"))
    bulk.insert(
        "login_session", ["id", "user_id", "created_at", "last_seen_at", "user_agent"], login_rows
    )
    s.commit()
    for p in people:
        p["cookie"], p["csrf"] = session_cookie(app, p.pop("sid"))
    org_cookie, org_csrf = session_cookie(app, org_sid)
    stats["sessions_s"] = round(time.perf_counter() - t0, 1)
    t0 = time.perf_counter()
    if db.engine.dialect.name == "postgresql":
        # VACUUM too: the bulk inserts (3,000,000 served questions, 1,000,000 certificates)
        # would otherwise trigger autovacuum's insert-driven pass over gigabytes during the
        # measured phases, as it would once after a real import, not in every week.
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
            c.execute(text("VACUUM (ANALYZE)"))
    else:
        with db.engine.connect() as c:
            c.execute(text("ANALYZE"))
            c.commit()
    stats["analyze_s"] = round(time.perf_counter() - t0, 1)
    assert s.get(LoginSession, org_sid) is not None
    assert s.get(Round, live_round.id).pool
    log(f"   generated in {stats}")
    return {
        "contest_id": contest.id,
        "slug": contest.slug,
        "graded_round": graded_round.id,
        "live_round": live_round.id,
        "participants": people,
        "organiser": {"cookie": org_cookie, "csrf": org_csrf},
        "codes": codes,
        "members": members,
        "graded": graded,
        "certificates": certificates,
        "generate": stats,
    }


def _questions(session, ids):
    from sqlalchemy import select

    from quizapp.banks.models import QuestionVersion
    from quizapp.banks.serial import from_dict

    return {
        v.id: from_dict(v.content)
        for v in session.scalars(select(QuestionVersion).where(QuestionVersion.id.in_(ids)))
    }
