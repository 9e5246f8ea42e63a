"""Query plans of the hot queries of the scenarios, on the generated data (EXPLAIN ANALYZE
on PostgreSQL, EXPLAIN QUERY PLAN on SQLite), for bench/results/hot-queries.md."""

from __future__ import annotations

from sqlalchemy import text


def hot_queries(fx: dict, sample: dict) -> list[tuple[str, str, dict]]:
    return [
        (
            "every request of a logged-in phone: its login session",
            "SELECT * FROM login_session WHERE id = :sid",
            {"sid": sample["sid"]},
        ),
        (
            "start: the attempt in progress of this participant",
            "SELECT id FROM attempt WHERE round_id = :r AND user_id = :u"
            " AND status = 'in_progress'",
            {"r": fx["live_round"], "u": sample["user_id"]},
        ),
        (
            "start: attempts used",
            "SELECT count(*) FROM attempt WHERE round_id = :r AND user_id = :u AND preview = :f",
            {"r": fx["live_round"], "u": sample["user_id"], "f": False},
        ),
        (
            "autosave: the answered position",
            "SELECT * FROM attempt_question WHERE attempt_id = :a AND position = :p",
            {"a": sample["attempt"], "p": 7},
        ),
        (
            "verification: a certificate by its code",
            "SELECT * FROM certificate WHERE code = :c",
            {"c": fx["codes"][len(fx["codes"]) // 2]},
        ),
        (
            "ranking and dashboard: the round's submitted attempts",
            "SELECT a.id, a.user_id, a.score FROM attempt a"
            " JOIN member m ON m.id = a.member_id JOIN unit u ON u.id = a.unit_id"
            " WHERE a.round_id = :r AND a.status = 'submitted' AND a.preview = :f",
            {"r": fx["graded_round"], "f": False},
        ),
        (
            "submit: next certificate serial of the unit and year (services._next_serial)",
            "SELECT count(*) FROM certificate WHERE serial LIKE :prefix",
            {"prefix": sample["serial_prefix"] + "%"},
        ),
    ]


def explain(engine, fx: dict) -> list[dict]:
    pg = engine.dialect.name == "postgresql"
    out = []
    with engine.connect() as c:
        row = c.execute(
            text(
                "SELECT a.id, a.user_id FROM attempt a WHERE a.round_id = :r ORDER BY a.id LIMIT 1"
            ),
            {"r": fx["live_round"]},
        ).first()
        sid = c.execute(text("SELECT id FROM login_session LIMIT 1")).scalar()
        prefix = c.execute(text("SELECT serial FROM certificate LIMIT 1")).scalar() or "X-2026-1"
        sample = {
            "attempt": row[0] if row else 0,
            "user_id": row[1] if row else 0,
            "sid": sid,
            "serial_prefix": prefix.rsplit("-", 1)[0] + "-",
        }
        for name, sql, params in hot_queries(fx, sample):
            if pg:
                plan = c.execute(text("EXPLAIN (ANALYZE, BUFFERS OFF) " + sql), params)
                lines = [r[0] for r in plan]
            else:
                plan = c.execute(text("EXPLAIN QUERY PLAN " + sql), params)
                lines = [r[-1] for r in plan]
            out.append({"query": name, "sql": sql, "plan": lines})
    return out
