"""Roster services: members one by one, and the preview/confirm import of roster files."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import Select, delete, func, or_, select
from sqlalchemy.orm import Session

from quizapp.audit.services import record
from quizapp.errors import Forbidden, Invalid, NotFound
from quizapp.i18n import N_
from quizapp.orgs.models import Member, MemberCategory, MemberUnitHistory, Unit
from quizapp.orgs.population import VI_NAMES, Population, population_text
from quizapp.orgs.roster import (
    rows_xlsx,
)
from quizapp.orgs.scope import in_subtrees
from quizapp.orgs.services import (
    _move_member_row,
    get_managed_unit,
)
from quizapp.policy import Actor, can_act_on_account, can_manage
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


def end_member_sessions(session: Session, member_id: int, *, keep: str | None = None) -> None:
    """End every login session of the member's account (but `keep`, the one in use)."""
    from quizapp.auth.models import LoginSession, User  # avoid an import cycle at module load

    users = select(User.id).where(User.member_id == member_id).scalar_subquery()
    stmt = delete(LoginSession).where(LoginSession.user_id.in_(users))
    if keep is not None:
        stmt = stmt.where(LoginSession.id != keep)
    session.execute(stmt)


def require_authority_over_account(session: Session, member: Member, actor: Actor) -> None:
    """Raise Forbidden when the member's login account holds a role the actor may not touch
    (`policy.can_act_on_account`): a branch organiser never resets, deactivates or edits the
    account of the ward organiser or admin who is also on the branch's roster."""
    from quizapp.auth.models import OrganiserRole, User  # avoid an import cycle at module load

    rows = session.execute(
        select(User.is_admin, Unit.path)
        .outerjoin(OrganiserRole, OrganiserRole.user_id == User.id)
        .outerjoin(Unit, Unit.id == OrganiserRole.unit_id)
        .where(User.member_id == member.id)
    ).all()
    if not rows:
        return
    paths = tuple(r.path for r in rows if r.path is not None)
    if not can_act_on_account(actor, is_admin=rows[0].is_admin, role_paths=paths):
        raise Forbidden(
            N_("This person's account holds a role at or above your level; ask a higher level.")
        )


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
    require_authority_over_account(session, member, actor)
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
    require_authority_over_account(session, member, actor)
    if member.active == active:
        return member
    before = member_snapshot(member)
    member.active = active
    if not active:  # a deactivated member's open sessions end now
        end_member_sessions(session, member.id)
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
        stmt = stmt.where(in_subtrees(Unit.path, actor))
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


def export_rows(
    session: Session, stmt: Select, translate: Callable[[str], str] | None = None
) -> bytes:
    """The roster file (re-importable); population categories in the interface's language
    when `translate` is given (the import reads the labels of both languages), else in
    Vietnamese."""
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
                population_text(m.population, translate)
                if translate
                else "; ".join(VI_NAMES[Population(c)] for c in sorted(m.population)),
                format_date(m.admitted_on),
                "",
            ]
        )
    return rows_xlsx("members", rows)


def count(session: Session, stmt: Select) -> int:
    return session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
