"""Everything the platform holds about one person, walked from the models' foreign keys.

`OWNED` names every foreign-key column whose rows belong to the person (their account,
roster record, consents, attempts with their answers, certificates, enrolments and progress,
requests…); `EXCLUDED` names, with the reason, every other column that points at a person's
row. `tests/unit/test_rights_export_coverage.py` walks `Base.metadata` and fails when a
foreign key reaches the person (directly or through an owned table) and is in neither, so
a new table cannot be forgotten by the export."""

from __future__ import annotations

import io
import json
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Table, or_, select
from sqlalchemy.orm import Session

from quizapp.db import Base
from quizapp.i18n import N_, from_data, in_vietnamese

# The person's own rows: user_account by id, member by id.
SUBJECT_TABLES = ("user_account", "member")

# (table, column): rows whose column names the person, or one of the person's owned rows.
OWNED: frozenset[tuple[str, str]] = frozenset(
    {
        ("user_account", "member_id"),
        ("member_category", "member_id"),
        ("member_unit_history", "member_id"),
        ("consent", "member_id"),
        ("roster_claim", "user_id"),
        ("roster_claim", "member_id"),
        ("login_session", "user_id"),
        ("organiser_role", "user_id"),
        ("reset_code", "user_id"),
        ("attempt", "user_id"),
        ("attempt", "member_id"),
        ("attempt_question", "attempt_id"),
        ("certificate", "user_id"),
        ("certificate", "member_id"),
        ("certificate", "attempt_id"),
        ("certificate", "replaced_by_id"),
        ("enrolment", "member_id"),
        ("completion", "member_id"),
        ("completion", "user_id"),
        ("completion", "certificate_id"),
        ("data_request", "member_id"),
        ("data_request", "user_id"),
        ("data_access", "actor_id"),
        ("api_token", "user_id"),
        ("api_idempotency_key", "user_id"),
        ("api_idempotency_key", "attempt_id"),
    }
)

_ACTED = "the person appears as the organiser who acted; the rows are other people's data"
EXCLUDED: dict[tuple[str, str], str] = {
    ("audit_entry", "actor_id"): _ACTED + " (entries ABOUT the person are exported, below)",
    ("consent", "recorded_by_id"): _ACTED,
    ("contest", "created_by_id"): _ACTED,
    ("programme", "created_by_id"): _ACTED,
    ("question_version", "created_by_id"): _ACTED,
    ("key_correction", "created_by_id"): _ACTED,
    ("prize_list", "published_by_id"): _ACTED + " (the person's places are exported, below)",
    ("indicator_confirmation", "confirmed_by_id"): _ACTED,
    ("indicator_entry", "entered_by_id"): _ACTED,
    ("indicator_plan", "updated_by_id"): _ACTED,
    ("reset_code", "issued_by_id"): _ACTED,
    ("certificate", "revoked_by_id"): _ACTED,
    ("data_request", "decided_by_id"): _ACTED,
    ("pending_import", "user_id"): _ACTED + ": an uploaded roster file, deleted once imported",
}

# Columns never exported: secrets that prove nothing to the person and would help an attacker.
OMITTED: dict[tuple[str, str], str] = {
    ("user_account", "password_hash"): "password hash (a secret)",
    ("login_session", "id"): "the login session's token (a secret)",
    ("reset_code", "code_hash"): "reset code hash (a secret)",
    ("api_token", "token_hash"): "an app's refresh token hash (a secret)",
}

# Sections in the order the file shows them (owned tables first, then the subject's own).
SECTION_ORDER = (
    "user_account",
    "member",
    "member_category",
    "member_unit_history",
    "consent",
    "roster_claim",
    "data_request",
    "login_session",
    "organiser_role",
    "reset_code",
    "api_token",
    "api_idempotency_key",
    "attempt",
    "attempt_question",
    "certificate",
    "enrolment",
    "completion",
    "data_access",
    "audit_entry",
    "prize_places",
)


# What each section holds, for the page (the file keeps the table names).
SECTION_LABELS = {
    "user_account": N_("Your account"),
    "member": N_("Your roster record"),
    "member_category": N_("Population categories"),
    "member_unit_history": N_("Units you belonged to"),
    "consent": N_("Consents"),
    "roster_claim": N_("Requests to link your account to a roster record"),
    "data_request": N_("Your requests about your data"),
    "login_session": N_("Login sessions"),
    "organiser_role": N_("Organiser roles"),
    "reset_code": N_("Password reset codes"),
    "api_token": N_("Apps logged in to your account"),
    "api_idempotency_key": N_("Answers sent by apps (resend keys)"),
    "attempt": N_("Attempts"),
    "attempt_question": N_("Questions and answers of your attempts"),
    "certificate": N_("Certificates"),
    "enrolment": N_("Study programme enrolments"),
    "completion": N_("Study programmes completed"),
    "data_access": N_("Your views of personal data as an organiser"),
    "audit_entry": N_("Audit log entries about you"),
    "prize_places": N_("Places on published prize lists"),
}


def owned_tables() -> list[str]:
    """Every table the export reads, subject tables first."""
    found = list(SUBJECT_TABLES)
    for table, _col in sorted(OWNED):
        if table not in found:
            found.append(table)
    return found


def uncovered_foreign_keys(metadata=Base.metadata) -> list[str]:
    """Foreign keys that reach the person (to a subject table, or to a table whose rows the
    export treats as the person's) and are neither OWNED nor EXCLUDED: "table.column → target"."""
    reach = set(SUBJECT_TABLES) | {t for t, _c in OWNED}
    missing = []
    for table in metadata.sorted_tables:
        for fk in table.foreign_keys:
            target = fk.column.table.name
            key = (table.name, fk.parent.name)
            if target in reach and key not in OWNED and key not in EXCLUDED:
                missing.append(f"{table.name}.{fk.parent.name} → {target}")
    return sorted(missing)


def _why(entry: dict) -> dict:
    """A prize place's explanation as text (a message is kept as data: read in Vietnamese)."""
    if "reason" in entry:
        return {"why": in_vietnamese(from_data(entry["reason"]))}
    return {}


def _value(v: Any) -> Any:
    if isinstance(v, datetime | date):
        return v.isoformat()
    if isinstance(v, Decimal):
        return format(v.normalize(), "f")
    if isinstance(v, bytes):
        return None
    return v


def _keyed_rows(session: Session, table: Table, where) -> list[tuple[Any, dict]]:
    """(primary key, row without the omitted columns) of the rows matching `where`."""
    pk = list(table.primary_key.columns)
    stmt = select(*table.columns).where(where).order_by(*pk)
    out = []
    for row in session.execute(stmt):
        m = row._mapping
        out.append(
            (
                m[pk[0].name],
                {k: _value(v) for k, v in m.items() if (table.name, k) not in OMITTED},
            )
        )
    return out


def _rows(session: Session, table: Table, where) -> list[dict]:
    return [r for _k, r in _keyed_rows(session, table, where)]


def collect(session: Session, *, user_id: int | None, member_id: int | None) -> dict[str, list]:
    """Every row about the person, table by table (secrets left out), plus the audit entries
    about them and their places on published prize lists."""
    from quizapp.audit.models import AuditEntry
    from quizapp.contests.models import PrizeList

    tables = Base.metadata.tables
    ids: dict[str, set] = {
        "user_account": {user_id} - {None},
        "member": {member_id} - {None},
    }
    out: dict[str, list] = {}
    if ids["member"]:
        out["member"] = _rows(session, tables["member"], tables["member"].c.id.in_(ids["member"]))
    # tables in dependency order, so that an owned table's ids are known before its children
    for table in Base.metadata.sorted_tables:
        conds = []
        for fk in table.foreign_keys:
            key = (table.name, fk.parent.name)
            if key not in OWNED:
                continue
            target = fk.column.table.name
            known = ids.get(target) or set()
            if known:
                conds.append(fk.parent.in_(sorted(known)))
        if table.name == "user_account" and ids["user_account"]:
            conds.append(table.c.id.in_(sorted(ids["user_account"])))
        if not conds:
            continue
        keyed = _keyed_rows(session, table, or_(*conds))
        if not keyed:
            continue
        out[table.name] = [r for _k, r in keyed]
        found = {k for k, _r in keyed}
        if table.name in ids:
            ids[table.name] |= found
        else:
            ids[table.name] = found
    # audit entries about the person (not those they wrote as an organiser)
    about = []
    if ids["member"]:
        about.append(
            (AuditEntry.object_type == "member")
            & AuditEntry.object_id.in_([str(i) for i in ids["member"]])
        )
    if ids["user_account"]:
        about.append(
            AuditEntry.object_type.in_(("user", "account"))
            & AuditEntry.object_id.in_([str(i) for i in ids["user_account"]])
        )
    if about:
        rows = _rows(session, AuditEntry.__table__, or_(*about))
        if rows:
            out["audit_entry"] = rows
    # places on published prize lists (the frozen lists name the person)
    participants = ids["user_account"]  # a ranking's participant is the account
    places = []
    if participants:
        for pl in session.scalars(select(PrizeList).order_by(PrizeList.id)):
            for e in pl.entries or []:
                if e.get("participant_id") in participants:
                    places.append(
                        {
                            "prize_list": pl.id,
                            "contest_id": pl.contest_id,
                            "round_id": pl.round_id,
                            **{k: _value(v) for k, v in e.items() if k != "reason"},
                            **_why(e),
                        }
                    )
    if places:
        out["prize_places"] = places
    order = {name: i for i, name in enumerate(SECTION_ORDER)}
    return dict(sorted(out.items(), key=lambda kv: (order.get(kv[0], 99), kv[0])))


def to_json(data: dict, *, generated_at: datetime) -> bytes:
    body = {"generated_at": generated_at.isoformat(), "tables": data}
    return json.dumps(body, ensure_ascii=False, indent=2, default=str).encode("utf-8")


def to_xlsx(data: dict) -> bytes:
    """One sheet per table: a header row of column names, then the rows (JSON cells as text)."""
    from openpyxl import Workbook

    from quizapp.exports import append_row

    wb = Workbook()
    wb.remove(wb.active)
    if not data:
        wb.create_sheet("empty")
    for name, rows in data.items():
        ws = wb.create_sheet(name[:31])
        headers: list[str] = []
        for r in rows:
            headers.extend(k for k in r if k not in headers)
        append_row(ws, headers)
        for r in rows:
            append_row(
                ws,
                [
                    json.dumps(r.get(h), ensure_ascii=False)
                    if isinstance(r.get(h), dict | list)
                    else r.get(h)
                    for h in headers
                ],
            )
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
