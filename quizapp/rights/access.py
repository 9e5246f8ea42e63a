"""Who looked: organisers' views and exports of personal data, one row per page or file
(who, what, when, unit, how many people), written in the request's own transaction."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Select, insert, select
from sqlalchemy.orm import Session

from quizapp.i18n import N_
from quizapp.orgs.scope import in_subtrees
from quizapp.policy import Actor
from quizapp.rights.models import DataAccess

# What was seen, by code (the code is stored; the label is translated where shown).
WHAT_LABELS = {
    "members": N_("Member list"),
    "members.export": N_("Member list export"),
    "member": N_("Member record"),
    "results": N_("Round results"),
    "results.export": N_("Round results export"),
    "prizes.export": N_("Prize list export"),
    "contest_results": N_("Contest results"),
    "contest_results.export": N_("Contest results export"),
    "attempt.pdf": N_("A participant's attempt (PDF)"),
    "follow": N_("Followed contest: results"),
    "follow.export": N_("Followed contest: results export"),
    "follow_round": N_("Followed round: results"),
    "follow_round.export": N_("Followed round: results export"),
    "follow_missing": N_("Follow-up list"),
    "follow_missing.export": N_("Follow-up list export"),
    "follow_certificates": N_("Followed contest: certificates"),
    "certificate.pdf": N_("A member's certificate (PDF)"),
    "certificates": N_("Certificates issued"),
    "programme.progress": N_("Study programme progress"),
    "programme.not_completed.export": N_("Study programme: export of those not completed"),
}


def common_path(paths) -> str:
    """The deepest unit path that contains every path given ("/" when none is common)."""
    paths = [p for p in paths if p]
    if not paths:
        return "/"
    parts = [p.strip("/").split("/") for p in paths]
    common = []
    for segs in zip(*parts, strict=False):
        if len(set(segs)) != 1:
            break
        common.append(segs[0])
    return "/" + "".join(s + "/" for s in common) if common else "/"


def actor_path(actor: Actor) -> str:
    """Where a page over "all my units" happened: the actor's managed subtrees' common root."""
    return "/" if actor.is_admin else common_path(actor.managed_paths)


def record_access(
    session: Session,
    *,
    actor: Actor,
    what: str,
    unit_path: str,
    people: int,
    object_id: object = "",
    now: datetime,
) -> None:
    """One INSERT, whatever the number of people seen."""
    session.execute(
        insert(DataAccess).values(
            at=now,
            actor_id=actor.user_id,
            what=what[:40],
            object_id=str(object_id)[:60],
            unit_path=unit_path or "/",
            people=max(0, int(people)),
        )
    )


def visible_access(
    actor: Actor,
    *,
    unit_path: str | None = None,
    actor_id: int | None = None,
    what: str = "",
    since: datetime | None = None,
    until: datetime | None = None,
) -> Select:
    """The log rows the actor may read (an admin: all; an organiser: their subtrees'),
    newest first, narrowed by unit subtree, person, what and time."""
    stmt = select(DataAccess).order_by(DataAccess.at.desc(), DataAccess.id.desc())
    if not actor.is_admin:
        stmt = stmt.where(in_subtrees(DataAccess.unit_path, actor))
    if unit_path:
        stmt = stmt.where(DataAccess.unit_path.startswith(unit_path, autoescape=True))
    if actor_id is not None:
        stmt = stmt.where(DataAccess.actor_id == actor_id)
    if what:
        stmt = stmt.where(DataAccess.what == what)
    if since is not None:
        stmt = stmt.where(DataAccess.at >= since)
    if until is not None:
        stmt = stmt.where(DataAccess.at < until)
    return stmt


def people_choices(session: Session, actor: Actor) -> list[tuple[int, str]]:
    from quizapp.auth.models import User

    visible = visible_access(actor).order_by(None).subquery()
    rows = session.execute(
        select(User.id, User.display_name)
        .join(visible, visible.c.actor_id == User.id)
        .distinct()
        .order_by(User.display_name)
    ).all()
    return [(r.id, r.display_name) for r in rows]
