"""Importing roster files: what a file would create, update and reject (the preview), and
applying it all or nothing."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from quizapp import events
from quizapp.audit.services import record
from quizapp.errors import Invalid
from quizapp.i18n import N_
from quizapp.orgs.members import (
    MemberData,
    cccd_hash,
    create_member,
    member_snapshot,
    update_member,
)
from quizapp.orgs.models import Member, Unit, UnitType
from quizapp.orgs.roster import (
    MEMBER_COLUMNS,
    UNIT_COLUMNS,
    MemberRow,
    RowProblem,
    UnitRow,
    parse_roster,
)
from quizapp.orgs.services import create_unit, unit_by_code
from quizapp.policy import Actor, can_manage
from quizapp.spreadsheets import XlsxLimits
from quizapp.textutil import fold


@dataclass
class ImportPlan:
    kind: str
    creates: list[MemberRow | UnitRow] = field(default_factory=list)
    updates: list[tuple[MemberRow | UnitRow, dict]] = field(default_factory=list)  # row, changes
    unchanged: int = 0
    problems: list[RowProblem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems



def plan_import(
    session: Session,
    kind: str,
    filename: str,
    content: bytes,
    *,
    actor: Actor,
    pii_key: str,
    limits: XlsxLimits | None = None,
) -> ImportPlan:
    """Read a roster file and say what importing it would create, update and reject (an XLSX
    workbook within `limits`)."""
    parsed = parse_roster(kind, filename, content, limits)
    plan = ImportPlan(kind=kind, problems=list(parsed.problems))
    if kind == "members":
        _plan_members(session, plan, parsed.rows, actor=actor, pii_key=pii_key)
    else:
        _plan_units(session, plan, parsed.rows, actor=actor)
    plan.problems.sort(key=lambda p: (p.row, p.column))
    return plan


def _plan_members(session, plan, rows: Iterable[MemberRow], *, actor, pii_key) -> None:
    c = MEMBER_COLUMNS
    seen: dict[tuple[str, str], int] = {}
    units: dict[str, Unit | None] = {}
    for row in rows:
        problems: list[RowProblem] = []
        for col, value in (
            ("code", row.code),
            ("phone", row.phone),
            ("email", row.email),
            ("cccd", row.cccd),
        ):
            if value:
                first = seen.setdefault((col, value), row.row)
                if first != row.row:
                    problems.append(
                        RowProblem(
                            row.row, c[col], N_("Duplicate of row %(first)s."), {"first": first}
                        )
                    )
        key = row.unit_code.lower()
        if key not in units:
            units[key] = unit_by_code(session, row.unit_code)
        unit = units[key]
        if unit is None or unit.archived:
            problems.append(
                RowProblem(
                    row.row,
                    c["unit_code"],
                    N_("Unknown unit code “%(value)s”."),
                    {"value": row.unit_code},
                )
            )
        elif not can_manage(actor, unit.path):
            problems.append(
                RowProblem(
                    row.row,
                    c["unit_code"],
                    N_("Unit “%(value)s” is outside your units."),
                    {"value": row.unit_code},
                )
            )
        existing = None
        if row.code:
            existing = session.scalar(select(Member).where(Member.code == row.code))
        if existing is None and row.phone:
            existing = session.scalar(select(Member).where(Member.phone == row.phone))
            if existing is not None and row.code and existing.code and existing.code != row.code:
                problems.append(
                    RowProblem(row.row, c["phone"], N_("Already used by another member."))
                )
                existing = None
        if existing is not None and not can_manage(actor, existing.unit.path):
            problems.append(
                RowProblem(
                    row.row,
                    c["code"] if row.code else c["phone"],
                    N_("This member belongs to a unit outside yours."),
                )
            )
        hashed = cccd_hash(pii_key, row.cccd) if row.cccd else None
        for col, model_col, value in (
            ("phone", Member.phone, row.phone),
            ("email", Member.email, row.email),
            ("cccd", Member.cccd_hash, hashed),
        ):
            if value:
                other = session.scalar(select(Member.id).where(model_col == value))
                if other is not None and (existing is None or other != existing.id):
                    problems.append(
                        RowProblem(row.row, c[col], N_("Already used by another member."))
                    )
        if problems:
            plan.problems.extend(problems)
            continue
        if existing is None:
            plan.creates.append(row)
            continue
        changes = _member_changes(existing, row, unit, hashed)
        if changes:
            plan.updates.append((row, changes))
        else:
            plan.unchanged += 1


def _member_changes(m: Member, row: MemberRow, unit: Unit, hashed: str | None) -> dict:
    wanted = {
        "full_name": row.full_name,
        "birth_date": row.birth_date,
        "phone": row.phone,
        "email": row.email,
        "unit_id": unit.id,
        "categories": sorted(row.categories),
        "admitted_on": row.admitted_on,
        "code": row.code or m.code,
    }
    current = member_snapshot(m)
    changes = {k: v for k, v in wanted.items() if v is not None and current.get(k) != v}
    if hashed and m.cccd_hash != hashed:
        changes["cccd"] = True
    if not m.active:
        changes["active"] = True
    return changes


def _plan_units(session, plan, rows: Iterable[UnitRow], *, actor) -> None:
    c = UNIT_COLUMNS
    types = {t.key.lower(): t.key for t in session.scalars(select(UnitType))}
    types.update({fold(t.name): t.key for t in session.scalars(select(UnitType))})
    in_file: dict[str, int] = {}
    for row in rows:
        problems = []
        first = in_file.setdefault(row.code.lower(), row.row)
        if first != row.row:
            problems.append(
                RowProblem(row.row, c["code"], N_("Duplicate of row %(first)s."), {"first": first})
            )
        if fold(row.type) not in types and row.type.lower() not in types:
            problems.append(
                RowProblem(
                    row.row, c["type"], N_("Unknown unit type “%(value)s”."), {"value": row.type}
                )
            )
        existing = unit_by_code(session, row.code)
        parent = unit_by_code(session, row.parent_code) if row.parent_code else None
        if row.parent_code and parent is None:
            earlier = in_file.get(row.parent_code.lower())
            if earlier is None or earlier >= row.row:
                problems.append(
                    RowProblem(
                        row.row,
                        c["parent_code"],
                        N_("Unknown unit code “%(value)s”."),
                        {"value": row.parent_code},
                    )
                )
        elif parent is not None and not can_manage(actor, parent.path):
            problems.append(
                RowProblem(
                    row.row,
                    c["parent_code"],
                    N_("Unit “%(value)s” is outside your units."),
                    {"value": row.parent_code},
                )
            )
        elif not row.parent_code and not actor.is_admin and existing is None:
            problems.append(
                RowProblem(
                    row.row, c["parent_code"], N_("Only administrators can create top-level units.")
                )
            )
        if existing is not None and not can_manage(actor, existing.path):
            problems.append(
                RowProblem(
                    row.row,
                    c["code"],
                    N_("Unit “%(value)s” is outside your units."),
                    {"value": row.code},
                )
            )
        if problems:
            plan.problems.extend(problems)
            continue
        type_key = types.get(fold(row.type)) or types[row.type.lower()]
        if existing is None:
            plan.creates.append(row)
        else:
            changes = {}
            if existing.name != row.name:
                changes["name"] = row.name
            if existing.type_key != type_key:
                changes["type"] = type_key
            if (parent.id if parent else existing.parent_id) != existing.parent_id:
                changes["parent_code"] = row.parent_code
            if changes:
                plan.updates.append((row, changes))
            else:
                plan.unchanged += 1


def apply_import(
    session: Session,
    kind: str,
    filename: str,
    content: bytes,
    *,
    actor: Actor,
    pii_key: str,
    now: datetime,
) -> ImportPlan:
    """Import the whole file or nothing: raises Invalid when any row is rejected."""
    plan = plan_import(session, kind, filename, content, actor=actor, pii_key=pii_key)
    if not plan.ok:
        raise Invalid(
            {"file": N_("The file has %(n)s rejected rows; nothing was imported.")},
            n=len(plan.problems),
        )
    touched: list[int] = []
    if kind == "members":
        for row in plan.creates:
            member = create_member(
                session, _row_data(session, row), actor=actor, pii_key=pii_key, now=now, audit=False
            )
            touched.append(member.id)
        for row, _changes in plan.updates:
            member = (
                session.scalar(select(Member).where(Member.code == row.code)) if row.code else None
            ) or session.scalar(select(Member).where(Member.phone == row.phone))
            update_member(
                session,
                member.id,
                _row_data(session, row, member),
                actor=actor,
                pii_key=pii_key,
                now=now,
                audit=False,
            )
            if not member.active:
                member.active = True
            touched.append(member.id)
        events.members_imported.send(touched, session=session, now=now)
    else:
        _apply_units(session, plan, actor=actor, now=now)
    unit_path = "/" if actor.is_admin else (actor.managed_paths[0] if actor.managed_paths else "/")
    record(
        session,
        actor=actor,
        action=f"import.{kind}",
        object_type="import",
        object_id=filename[:60],
        unit_path=unit_path,
        summary=f"{filename}: +{len(plan.creates)} ~{len(plan.updates)} ={plan.unchanged}",
        after={
            "created": len(plan.creates),
            "updated": len(plan.updates),
            "unchanged": plan.unchanged,
        },
        now=now,
    )
    return plan


def _row_data(session, row: MemberRow, member: Member | None = None) -> MemberData:
    unit = unit_by_code(session, row.unit_code)
    return MemberData(
        full_name=row.full_name,
        unit_id=unit.id,
        categories=row.categories,
        code=row.code or (member.code if member else None),
        birth_date=row.birth_date,
        phone=row.phone or (member.phone if member else None),
        email=row.email or (member.email if member else None),
        admitted_on=row.admitted_on or (member.admitted_on if member else None),
        cccd=row.cccd,
    )


def _apply_units(session, plan: ImportPlan, *, actor: Actor, now: datetime) -> None:
    from quizapp.orgs.services import move_unit, update_unit

    types = {fold(t.name): t.key for t in session.scalars(select(UnitType))}
    types.update({t.key.lower(): t.key for t in session.scalars(select(UnitType))})
    for row in plan.creates:
        parent = unit_by_code(session, row.parent_code) if row.parent_code else None
        create_unit(
            session,
            actor=actor,
            code=row.code,
            name=row.name,
            type_key=types.get(fold(row.type)) or types[row.type.lower()],
            parent_id=parent.id if parent else None,
            now=now,
        )
    for row, changes in plan.updates:
        unit = unit_by_code(session, row.code)
        if "name" in changes or "type" in changes:
            update_unit(
                session,
                unit.id,
                actor=actor,
                code=unit.code,
                name=row.name,
                type_key=changes.get("type", unit.type_key),
                now=now,
            )
        if "parent_code" in changes:
            move_unit(
                session, unit.id, unit_by_code(session, row.parent_code).id, actor=actor, now=now
            )
