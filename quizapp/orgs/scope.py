"""The part of the unit tree an actor organises, as SQL and for the pages' unit pickers.

`in_subtrees` is the one SQL form of `policy.can_manage`: every list of an organiser's units,
members, contests, programmes, certificates or audit entries is filtered with it."""

from __future__ import annotations

from sqlalchemy import false, or_, select, true

from quizapp.extensions import db
from quizapp.forms import to_choices
from quizapp.orgs.models import Unit
from quizapp.orgs.treeorder import tree_order
from quizapp.policy import Actor


def in_subtrees(path_column, actor: Actor):
    """SQL condition: the materialised path in `path_column` lies inside a subtree the actor
    organises (always true for admins, never for an actor who organises nothing)."""
    if actor.is_admin:
        return true()
    if not actor.managed_paths:
        return false()
    return or_(*[path_column.startswith(p) for p in actor.managed_paths])


def managed_units(actor: Actor, include_archived: bool = False) -> list[Unit]:
    """The units the actor organises, in tree order (for pickers and dashboards)."""
    stmt = select(Unit).where(in_subtrees(Unit.path, actor))
    if not include_archived:
        stmt = stmt.where(Unit.archived_at.is_(None))
    return tree_order(db.session.scalars(stmt))


def unit_choices(units: list[Unit]) -> list[tuple[int, str]]:
    """A select's choices for these units, indented by depth."""
    return to_choices((u.id, "— " * u.depth + f"{u.name} ({u.code})") for u in units)


def ancestor_paths(path: str) -> list[str]:
    """The materialised paths of the units strictly above `path` ("/1/7/12/" → "/1/", "/1/7/")."""
    parts = [p for p in path.split("/") if p]
    return ["/" + "/".join(parts[:i]) + "/" for i in range(1, len(parts))]


def under_paths(path_column, paths: tuple[str, ...]):
    """SQL condition: the materialised path lies inside one of these subtrees."""
    return or_(*[path_column.startswith(p) for p in paths]) if paths else false()
