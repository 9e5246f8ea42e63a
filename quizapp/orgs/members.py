"""Roster services: members one by one, and the preview/confirm import of roster files."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session

from quizapp.audit.services import record
from quizapp.errors import Forbidden, Invalid, NotFound
from quizapp.i18n import N_
from quizapp.orgs.models import Member, MemberCategory, MemberUnitHistory, Unit, UnitType
from quizapp.orgs.population import VI_NAMES, Population
from quizapp.orgs.roster import (
    MEMBER_COLUMNS,
    UNIT_COLUMNS,
    MemberRow,
    RowProblem,
    UnitRow,
    parse_roster,
    rows_xlsx,
)
from quizapp.orgs.services import (
    _move_member_row,
    create_unit,
    get_managed_unit,
    unit_by_code,
)
from quizapp.policy import Actor, can_manage
from quizapp.textutil import clean_name, fold, normalise_email, normalise_phone
from quizapp.timeutil import format_date


def cccd_hash(key: str, cccd: str) -> str:
    """Keyed hash of a citizen ID: lets us find duplicates without storing the number."""
    return hmac.new(key.encode(), cccd.strip().encode(), hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class MemberData:
    """What an organiser (or a roster row) says about a member."""

    full_name: str
    unit_id: int
    categories: tuple[str, ...]
    code: str | None = None
    birth_date: date | None = None
    phone: str | None = None
    email: str | None = None
    admitted_on: date | None = None
    cccd: str | None = None


def set_categories(member: Member, categories) -> None:
    """Change the member's categories in place (rows kept for unchanged categories, so the
    unique (member, category) constraint never sees a duplicate insert)."""
    wanted = set(categories)
    for row in [c for c in member.categories if c.category not in wanted]:
        member.categories.remove(row)
    for cat in sorted(wanted - member.population):
        member.categories.append(MemberCategory(category=cat))


def member_snapshot(m: Member) -> dict:
    return {
        "code": m.code,
        "full_name": m.full_name,
        "birth_date": m.birth_date,
        "phone": m.phone,
        "email": m.email,
        "unit_id": m.unit_id,
        "categories": sorted(m.population),
        "admitted_on": m.admitted_on,
        "active": m.active,
    }


def get_managed_member(session: Session, member_id: int, actor: Actor) -> Member:
    member = session.get(Member, member_id)
    if member is None or not can_manage(actor, member.unit.path):
        raise NotFound(N_("Member not found."))
    return member


def _validate(session: Session, data: MemberData, *, pii_key: str, exclude_id: int | None):
    errors: dict[str, str] = {}
    name = clean_name(data.full_name)
    if not name:
        errors["full_name"] = N_("Enter the full name.")
    cats = [c for c in data.categories if c in Population.__members__.values()]
    if not cats:
        errors["categories"] = N_("Choose at least one population category.")
    phone = normalise_phone(data.phone) if data.phone else None
    if data.phone and phone is None:
        errors["phone"] = N_("Enter a 10-digit phone number starting with 0.")
    email = normalise_email(data.email) if data.email else None
    if data.email and email is None:
        errors["email"] = N_("Enter a valid e-mail address.")
    hashed = None
    if data.cccd:
        if not (data.cccd.isdigit() and len(data.cccd) == 12):
            errors["cccd"] = N_("A citizen ID has 12 digits.")
        else:
            hashed = cccd_hash(pii_key, data.cccd)
    for col, value, msg in (
        (Member.phone, phone, N_("Another member already uses this phone number.")),
        (Member.email, email, N_("Another member already uses this e-mail address.")),
        (Member.code, data.code or None, N_("Another member already uses this code.")),
        (Member.cccd_hash, hashed, N_("A member with this citizen ID already exists.")),
    ):
        if value:
            other = session.scalar(select(Member.id).where(col == value))
            if other is not None and other != exclude_id:
                errors[col.key if col.key != "cccd_hash" else "cccd"] = msg
    if errors:
        raise Invalid(errors)
    return name, tuple(sorted(set(cats))), phone, email, hashed


def create_member(
    session: Session,
    data: MemberData,
    *,
    actor: Actor,
    pii_key: str,
    now: datetime,
    audit: bool = True,
) -> Member:
    """Add a member to a unit the actor manages. Raises Invalid for bad or duplicate data."""
    unit = get_managed_unit(session, data.unit_id, actor)
    if unit.archived:
        raise Invalid({"unit_id": N_("The unit is archived.")})
    name, cats, phone, email, hashed = _validate(session, data, pii_key=pii_key, exclude_id=None)
    member = Member(
        code=data.code or None,
        full_name=name,
        name_folded=fold(name),
        birth_date=data.birth_date,
        phone=phone,
        email=email,
        unit_id=unit.id,
        admitted_on=data.admitted_on,
        cccd_hash=hashed,
        created_at=now,
        updated_at=now,
    )
    member.unit = unit
    member.categories = [MemberCategory(category=c) for c in cats]
    session.add(member)
    session.flush()
    session.add(MemberUnitHistory(member_id=member.id, unit_id=unit.id, start_at=now))
    if audit:
        record(
            session,
            actor=actor,
            action="member.create",
            object_type="member",
            object_id=member.id,
            unit_path=unit.path,
            summary=name,
            after=member_snapshot(member),
            now=now,
        )
    return member


def update_member(
    session: Session,
    member_id: int,
    data: MemberData,
    *,
    actor: Actor,
    pii_key: str,
    now: datetime,
    audit: bool = True,
) -> Member:
    """Edit a member; a changed unit is a move (kept in the unit history)."""
    member = get_managed_member(session, member_id, actor)
    before = member_snapshot(member)
    name, cats, phone, email, hashed = _validate(
        session, data, pii_key=pii_key, exclude_id=member.id
    )
    if data.unit_id != member.unit_id:
        target = get_managed_unit(session, data.unit_id, actor)
        if target.archived:
            raise Invalid({"unit_id": N_("The unit is archived.")})
        _move_member_row(session, member, target, reason="move", now=now)
    member.code = data.code or member.code
    member.full_name, member.name_folded = name, fold(name)
    member.birth_date, member.phone, member.email = data.birth_date, phone, email
    member.admitted_on = data.admitted_on
    if hashed:
        member.cccd_hash = hashed
    set_categories(member, cats)
    member.updated_at = now
    session.flush()
    after = member_snapshot(member)
    if audit and after != before:
        record(
            session,
            actor=actor,
            action="member.update",
            object_type="member",
            object_id=member.id,
            unit_path=member.unit.path,
            summary=name,
            before=before,
            after=after,
            now=now,
        )
    return member


def set_member_active(
    session: Session, member_id: int, active: bool, *, actor: Actor, now: datetime
) -> Member:
    member = get_managed_member(session, member_id, actor)
    if member.active == active:
        return member
    before = member_snapshot(member)
    member.active = active
    member.updated_at = now
    session.flush()
    record(
        session,
        actor=actor,
        action="member.activate" if active else "member.deactivate",
        object_type="member",
        object_id=member.id,
        unit_path=member.unit.path,
        summary=member.full_name,
        before=before,
        after=member_snapshot(member),
        now=now,
    )
    return member


def members_query(
    actor: Actor,
    *,
    unit: Unit | None = None,
    q: str = "",
    category: str = "",
    include_inactive: bool = False,
) -> Select:
    """Members the actor may see, optionally within a unit's subtree, by name/phone/code."""
    stmt = select(Member).join(Unit, Unit.id == Member.unit_id)
    if unit is not None:
        if not can_manage(actor, unit.path):
            raise Forbidden(N_("You cannot see this unit's members."))
        stmt = stmt.where(Unit.path.startswith(unit.path))
    elif not actor.is_admin:
        stmt = stmt.where(or_(*[Unit.path.startswith(p) for p in actor.managed_paths]))
    if not include_inactive:
        stmt = stmt.where(Member.active.is_(True))
    if q.strip():
        needle = fold(q)
        stmt = stmt.where(
            or_(
                Member.name_folded.contains(needle),
                Member.phone.contains(needle),
                Member.code.ilike(f"%{q.strip()}%"),
            )
        )
    if category:
        stmt = stmt.where(Member.categories.any(MemberCategory.category == category))
    return stmt.order_by(Member.name_folded, Member.id)


def export_rows(session: Session, stmt: Select) -> bytes:
    rows = []
    for m in session.scalars(stmt):
        rows.append(
            [
                m.code or "",
                m.full_name,
                format_date(m.birth_date),
                m.phone or "",
                m.email or "",
                m.unit.code,
                "; ".join(VI_NAMES[Population(c)] for c in sorted(m.population)),
                format_date(m.admitted_on),
                "",
            ]
        )
    return rows_xlsx("members", rows)


# --- import -------------------------------------------------------------------------------


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
    session: Session, kind: str, filename: str, content: bytes, *, actor: Actor, pii_key: str
) -> ImportPlan:
    """Read a roster file and say what importing it would create, update and reject."""
    parsed = parse_roster(kind, filename, content)
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
    if kind == "members":
        for row in plan.creates:
            create_member(
                session, _row_data(session, row), actor=actor, pii_key=pii_key, now=now, audit=False
            )
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


def count(session: Session, stmt: Select) -> int:
    return session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
