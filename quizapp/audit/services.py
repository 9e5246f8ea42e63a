"""Writing and reading the audit log."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session

from quizapp.audit.models import AuditEntry
from quizapp.auth.models import User
from quizapp.clock import utcnow
from quizapp.orgs.scope import in_subtrees
from quizapp.policy import Actor


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return (
            [_jsonable(v) for v in sorted(value, key=str)]
            if isinstance(value, set)
            else [_jsonable(v) for v in value]
        )
    return value


def record(
    session: Session,
    *,
    actor: Actor,
    action: str,
    object_type: str,
    object_id: object,
    unit_path: str = "/",
    summary: str = "",
    before: dict | None = None,
    after: dict | None = None,
    now: datetime | None = None,
) -> AuditEntry:
    """Add one audit entry; only the changed keys of before/after are kept."""
    if before is not None and after is not None:
        changed = {k for k in set(before) | set(after) if before.get(k) != after.get(k)}
        before = {k: before.get(k) for k in sorted(changed)}
        after = {k: after.get(k) for k in sorted(changed)}
    entry = AuditEntry(
        at=now or utcnow(),
        actor_id=actor.user_id,
        action=action,
        object_type=object_type,
        object_id=str(object_id),
        unit_path=unit_path,
        summary=summary[:300],
        before=_jsonable(before),
        after=_jsonable(after),
    )
    session.add(entry)
    session.flush()
    return entry


def visible_entries(
    actor: Actor,
    *,
    q: str = "",
    unit_path: str | None = None,
    actor_id: int | None = None,
    action: str = "",
    since: datetime | None = None,
    until: datetime | None = None,
) -> Select:
    """Entries the actor may read: everything for admins, their subtrees for organisers;
    narrowed to a unit's subtree (`unit_path`), one person's changes, one action code and
    the moments since (inclusive) / until (exclusive)."""
    stmt = select(AuditEntry).order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
    if not actor.is_admin:
        stmt = stmt.where(in_subtrees(AuditEntry.unit_path, actor))
    if q:
        like = f"%{q}%"
        stmt = stmt.where(or_(AuditEntry.summary.ilike(like), AuditEntry.action.ilike(like)))
    if unit_path:
        stmt = stmt.where(AuditEntry.unit_path.startswith(unit_path, autoescape=True))
    if actor_id is not None:
        stmt = stmt.where(AuditEntry.actor_id == actor_id)
    if action:
        stmt = stmt.where(AuditEntry.action == action)
    if since is not None:
        stmt = stmt.where(AuditEntry.at >= since)
    if until is not None:
        stmt = stmt.where(AuditEntry.at < until)
    return stmt


def filter_choices(session: Session, actor: Actor) -> tuple[list[tuple[int, str]], list[str]]:
    """The people and action codes found in the entries the actor may read (the filters'
    choices: nobody outside the actor's subtrees is named)."""
    visible = visible_entries(actor).order_by(None).subquery()
    people = session.execute(
        select(User.id, User.display_name)
        .join(visible, visible.c.actor_id == User.id)
        .distinct()
        .order_by(User.display_name)
    ).all()
    actions = session.scalars(select(visible.c.action).distinct().order_by(visible.c.action))
    return [(p.id, p.display_name) for p in people], list(actions)


def count(session: Session, stmt: Select) -> int:
    return session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
