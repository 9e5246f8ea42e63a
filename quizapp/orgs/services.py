"""Unit tree services: create, rename, move, archive, merge, browse."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import String, func, literal, or_, select, update
from sqlalchemy.orm import Session

from quizapp.audit.services import record
from quizapp.errors import Conflict, Forbidden, Invalid, NotFound
from quizapp.i18n import N_
from quizapp.orgs.models import Member, MemberUnitHistory, Unit, UnitType
from quizapp.orgs.treeorder import tree_order
from quizapp.policy import Actor, can_manage, can_manage_strictly_below
from quizapp.textutil import clean_name, fold

CODE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$")


def unit_snapshot(unit: Unit) -> dict:
    return {
        "code": unit.code,
        "name": unit.name,
        "type": unit.type_key,
        "parent_id": unit.parent_id,
        "archived": unit.archived,
        "locality": unit.locality,
        "signatory": f"{unit.signatory_title} {unit.signatory_name}".strip(),
    }


def _audit(
    session: Session,
    unit: Unit,
    action: str,
    *,
    actor: Actor,
    now: datetime,
    before: dict | None = None,
) -> None:
    record(
        session,
        actor=actor,
        action=action,
        object_type="unit",
        object_id=unit.id,
        unit_path=unit.path,
        summary=f"{unit.code} {unit.name}",
        before=before,
        after=unit_snapshot(unit),
        now=now,
    )


def get_unit(session: Session, unit_id: int) -> Unit:
    unit = session.get(Unit, unit_id)
    if unit is None:
        raise NotFound(N_("Unit not found."))
    return unit


def get_managed_unit(session: Session, unit_id: int, actor: Actor) -> Unit:
    """The unit, if the actor may manage it; NotFound otherwise (no existence leak)."""
    unit = session.get(Unit, unit_id)
    if unit is None or not can_manage(actor, unit.path):
        raise NotFound(N_("Unit not found."))
    return unit


def unit_by_code(session: Session, code: str) -> Unit | None:
    return session.scalar(select(Unit).where(func.lower(Unit.code) == code.strip().lower()))


def _check_code(session: Session, code: str, *, exclude_id: int | None = None) -> str:
    code = (code or "").strip()
    if not CODE_RE.match(code):
        raise Invalid({"code": N_("Use 1–40 letters, digits, dot, dash or underscore.")})
    other = unit_by_code(session, code)
    if other is not None and other.id != exclude_id:
        raise Invalid({"code": N_("Another unit already uses this code.")})
    return code


def _check_type(session: Session, type_key: str) -> str:
    if session.get(UnitType, type_key) is None:
        raise Invalid({"type_key": N_("Unknown unit type.")})
    return type_key


def _set_path(unit: Unit, parent: Unit | None) -> None:
    unit.path = f"{parent.path if parent else '/'}{unit.id}/"
    unit.depth = (parent.depth + 1) if parent else 0


def create_unit(
    session: Session,
    *,
    actor: Actor,
    code: str,
    name: str,
    type_key: str,
    parent_id: int | None,
    now: datetime,
) -> Unit:
    """Create a unit under `parent_id` (None: a new root, admins only).

    Raises Forbidden outside the actor's subtree, Invalid for a bad or duplicate code.
    """
    parent = get_unit(session, parent_id) if parent_id else None
    if parent is None and not actor.is_admin:
        raise Forbidden(N_("Only administrators can create top-level units."))
    if parent is not None:
        if not can_manage(actor, parent.path):
            raise Forbidden(N_("You can only create units inside your own unit."))
        if parent.archived:
            raise Invalid({"parent_id": N_("The parent unit is archived.")})
    name = clean_name(name)
    if not name:
        raise Invalid({"name": N_("Enter the unit's name.")})
    unit = Unit(
        code=_check_code(session, code),
        name=name,
        name_folded=fold(name),
        type_key=_check_type(session, type_key),
        parent_id=parent.id if parent else None,
        created_at=now,
    )
    session.add(unit)
    session.flush()
    _set_path(unit, parent)
    session.flush()
    record(
        session,
        actor=actor,
        action="unit.create",
        object_type="unit",
        object_id=unit.id,
        unit_path=unit.path,
        summary=f"{unit.code} {unit.name}",
        after=unit_snapshot(unit),
        now=now,
    )
    return unit


def update_unit(
    session: Session,
    unit_id: int,
    *,
    actor: Actor,
    code: str,
    name: str,
    type_key: str,
    now: datetime,
    locality: str | None = None,
    signatory_title: str | None = None,
    signatory_name: str | None = None,
) -> Unit:
    """Rename a unit, or change its code or type; set the place and signatory its
    certificates print (None: unchanged; the unit's own organiser may change them)."""
    unit = get_managed_unit(session, unit_id, actor)
    before = unit_snapshot(unit)
    name = clean_name(name)
    if not name:
        raise Invalid({"name": N_("Enter the unit's name.")})
    new_code = _check_code(session, code, exclude_id=unit.id)
    new_type = _check_type(session, type_key)
    if (new_code, new_type) != (unit.code, unit.type_key) and not can_manage_strictly_below(
        actor, unit.path
    ):
        # The code and type of the unit an organiser heads are part of its identity above
        # (the province counts its units by type): the level above or an admin changes them.
        raise Forbidden(N_("The code and type of the unit you organise are changed above it."))
    unit.code, unit.type_key = new_code, new_type
    unit.name = name
    unit.name_folded = fold(name)
    for attr, value in (
        ("locality", locality),
        ("signatory_title", signatory_title),
        ("signatory_name", signatory_name),
    ):
        if value is not None:
            setattr(unit, attr, clean_name(value))
    session.flush()
    _audit(session, unit, "unit.update", actor=actor, now=now, before=before)
    return unit


def move_unit(
    session: Session, unit_id: int, new_parent_id: int, *, actor: Actor, now: datetime
) -> Unit:
    """Attach a unit (and its subtree) to another parent inside the actor's subtree."""
    unit = get_managed_unit(session, unit_id, actor)
    if not can_manage_strictly_below(actor, unit.path):
        raise Forbidden(N_("You cannot move the unit you are organiser of."))
    parent = get_managed_unit(session, new_parent_id, actor)
    if unit.contains(parent):
        raise Invalid({"parent_id": N_("A unit cannot be moved into its own subtree.")})
    if parent.archived:
        raise Invalid({"parent_id": N_("The parent unit is archived.")})
    before = unit_snapshot(unit)
    old_path, old_depth = unit.path, unit.depth
    unit.parent_id = parent.id
    _set_path(unit, parent)
    # Rewrite the materialised paths of the whole subtree in one statement.
    session.execute(
        update(Unit)
        .where(Unit.path.startswith(old_path), Unit.id != unit.id)
        .values(
            path=literal(unit.path, String).concat(func.substr(Unit.path, len(old_path) + 1)),
            depth=Unit.depth + (unit.depth - old_depth),
        )
        .execution_options(synchronize_session=False)
    )
    session.flush()
    session.expire_all()
    unit = session.get(Unit, unit_id)
    record(
        session,
        actor=actor,
        action="unit.move",
        object_type="unit",
        object_id=unit.id,
        unit_path=unit.path,
        summary=f"{unit.code} → {parent.code}",
        before=before,
        after=unit_snapshot(unit),
        now=now,
    )
    return unit


def archive_unit(session: Session, unit_id: int, *, actor: Actor, now: datetime) -> Unit:
    """Archive an empty unit (no active members, no active child units)."""
    unit = get_managed_unit(session, unit_id, actor)
    if not can_manage_strictly_below(actor, unit.path):
        raise Forbidden(N_("You cannot archive the unit you are organiser of."))
    if unit.archived:
        raise Conflict(N_("The unit is already archived."))
    children = session.scalar(
        select(func.count()).where(Unit.parent_id == unit.id, Unit.archived_at.is_(None))
    )
    members = session.scalar(
        select(func.count()).where(Member.unit_id == unit.id, Member.active.is_(True))
    )
    if children or members:
        raise Conflict(
            N_("Move or merge its %(children)s units and %(members)s members first."),
            children=children,
            members=members,
        )
    before = unit_snapshot(unit)
    unit.archived_at = now
    session.flush()
    _audit(session, unit, "unit.archive", actor=actor, now=now, before=before)
    return unit


def merge_units(
    session: Session, source_ids: Iterable[int], target_id: int, *, actor: Actor, now: datetime
) -> Unit:
    """Merge units into `target_id`: their members (and with them their results),
    child units and organisers move to the target; the sources are archived with the target as
    successor, so past reports can still name them."""
    target = get_managed_unit(session, target_id, actor)
    if target.archived:
        raise Invalid({"target_id": N_("The target unit is archived.")})
    sources = [get_managed_unit(session, sid, actor) for sid in dict.fromkeys(source_ids)]
    if not sources:
        raise Invalid({"source_ids": N_("Choose at least one unit to merge.")})
    for src in sources:
        if src.id == target.id:
            raise Invalid({"source_ids": N_("A unit cannot be merged into itself.")})
        if src.contains(target):
            raise Invalid({"source_ids": N_("A unit cannot be merged into its own subtree.")})
        if src.archived:
            raise Invalid(
                {
                    "source_ids": N_("%(code)s is already archived."),
                },
                code=src.code,
            )
        if not can_manage_strictly_below(actor, src.path):
            raise Forbidden(N_("You cannot merge away the unit you are organiser of."))
    from quizapp.auth.models import OrganiserRole  # avoid an import cycle at module load

    ids = [s.id for s in sources]
    moved = session.scalars(select(Member).where(Member.unit_id.in_(ids))).all()
    for member in moved:
        _move_member_row(session, member, target, reason="merge", now=now)
    for child in session.scalars(select(Unit).where(Unit.parent_id.in_(ids))).all():
        move_unit(session, child.id, target.id, actor=actor, now=now)
    existing = set(
        session.scalars(select(OrganiserRole.user_id).where(OrganiserRole.unit_id == target.id))
    )
    for role in session.scalars(select(OrganiserRole).where(OrganiserRole.unit_id.in_(ids))):
        if role.user_id in existing:
            session.delete(role)
        else:
            role.unit_id = target.id
            existing.add(role.user_id)
    for src in sources:
        before = unit_snapshot(src)
        src.archived_at = now
        src.successor_id = target.id
        session.flush()
        record(
            session,
            actor=actor,
            action="unit.merge",
            object_type="unit",
            object_id=src.id,
            unit_path=target.path,
            summary=f"{src.code} → {target.code}",
            before=before,
            after={**unit_snapshot(src), "successor": target.code},
            now=now,
        )
    session.flush()
    return target


def _move_member_row(
    session: Session, member: Member, unit: Unit, *, reason: str, now: datetime
) -> None:
    session.execute(
        update(MemberUnitHistory)
        .where(MemberUnitHistory.member_id == member.id, MemberUnitHistory.end_at.is_(None))
        .values(end_at=now)
    )
    member.unit_id = unit.id
    member.unit = unit
    session.add(
        MemberUnitHistory(member_id=member.id, unit_id=unit.id, start_at=now, reason=reason)
    )


def successor_of(session: Session, unit: Unit) -> Unit:
    """Follow successor pointers to the unit that carries an archived unit's history today."""
    seen = set()
    while unit.successor_id and unit.id not in seen:
        seen.add(unit.id)
        unit = session.get(Unit, unit.successor_id)
    return unit


@dataclass
class TreeNode:
    unit: Unit
    members: int = 0  # active members in the whole subtree
    children: list[TreeNode] = field(default_factory=list)


def tree(
    session: Session, roots: Iterable[Unit], *, include_archived: bool = False
) -> list[TreeNode]:
    """The subtrees under `roots` with active-member counts rolled up, in two queries."""
    roots = list(roots)
    if not roots:
        return []
    cond = [Unit.path.startswith(r.path) for r in roots]
    stmt = select(Unit).where(or_(*cond))
    if not include_archived:
        stmt = stmt.where(Unit.archived_at.is_(None))
    units = tree_order(session.scalars(stmt))  # parents first, siblings by folded name
    direct = dict(
        session.execute(
            select(Member.unit_id, func.count())
            .join(Unit, Unit.id == Member.unit_id)
            .where(Member.active.is_(True), or_(*cond))
            .group_by(Member.unit_id)
        ).all()
    )
    nodes = {u.id: TreeNode(u, direct.get(u.id, 0)) for u in units}
    top: list[TreeNode] = []
    for u in units:  # in tree order: parents are seen first
        node = nodes[u.id]
        parent = nodes.get(u.parent_id) if u.parent_id else None
        if parent is None:
            top.append(node)
        else:
            parent.children.append(node)

    def roll(n: TreeNode) -> int:
        n.members += sum(roll(c) for c in n.children)
        return n.members

    for n in top:
        roll(n)
    return top


def children_of(session: Session, parent_id: int | None) -> list[Unit]:
    stmt = select(Unit).where(Unit.archived_at.is_(None)).order_by(Unit.name)
    stmt = stmt.where(
        Unit.parent_id.is_(None) if parent_id is None else Unit.parent_id == parent_id
    )
    return list(session.scalars(stmt))


def search_units(
    session: Session, text: str, *, limit: int = 20, within: str | None = None
) -> list[Unit]:
    """Active units whose name or code contains `text`, ignoring case and diacritics."""
    needle = fold(text)
    if len(needle) < 2:
        return []
    stmt = (
        select(Unit)
        .where(Unit.archived_at.is_(None))
        .where((Unit.name_folded.contains(needle)) | (func.lower(Unit.code).contains(needle)))
        .order_by(Unit.depth, Unit.name)
        .limit(limit)
    )
    if within:
        stmt = stmt.where(Unit.path.startswith(within))
    return list(session.scalars(stmt))


def ancestors(session: Session, unit: Unit) -> list[Unit]:
    """The unit's ancestors from the root down, the unit itself last."""
    ids = [int(x) for x in unit.path.strip("/").split("/") if x]
    found = {u.id: u for u in session.scalars(select(Unit).where(Unit.id.in_(ids)))}
    return [found[i] for i in ids if i in found]


def unit_types(session: Session) -> list[UnitType]:
    return list(session.scalars(select(UnitType).order_by(UnitType.sort_order, UnitType.name)))
