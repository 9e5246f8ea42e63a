"""Authorisation as a pure policy: who may manage which part of the unit tree."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Actor:
    """The person acting, reduced to what policy needs (built from a User by the web layer)."""

    user_id: int | None
    is_admin: bool = False
    managed_paths: tuple[str, ...] = ()
    name: str = ""

    @property
    def is_organiser(self) -> bool:
        return self.is_admin or bool(self.managed_paths)


SYSTEM = Actor(user_id=None, is_admin=True, name="system")


def can_manage(actor: Actor, unit_path: str) -> bool:
    """True when the actor may change the unit at `unit_path` ("/1/7/") or anything in it."""
    if actor.is_admin:
        return True
    return any(unit_path.startswith(p) for p in actor.managed_paths)


def can_manage_strictly_below(actor: Actor, unit_path: str) -> bool:
    """True when the unit lies strictly inside a managed subtree (needed to move or merge it:
    an organiser must not detach the root of their own subtree)."""
    if actor.is_admin:
        return True
    return any(unit_path.startswith(p) and unit_path != p for p in actor.managed_paths)


def can_act_on_account(actor: Actor, *, is_admin: bool, role_paths: tuple[str, ...]) -> bool:
    """Authority never flows up the tree: an organiser may reset the password of, deactivate
    or change the roles of an account only when every organiser role it holds lies strictly
    inside a subtree the organiser manages (below the organiser's own level, so a co-organiser
    of the same unit is out of reach too). Only an admin acts on an admin's account."""
    if actor.is_admin:
        return True
    if is_admin:
        return False
    return all(can_manage_strictly_below(actor, path) for path in role_paths)


def follow_paths(
    actor: Actor, owner_path: str, eligible_paths: tuple[str, ...] | None
) -> tuple[str, ...]:
    """The subtrees in which the actor FOLLOWS a contest owned by the unit at `owner_path`:
    read-only access to their own members' participation, results and certificates in a
    contest run by a level above them. `eligible_paths`: the units a "units" contest is
    open to (None: the owner's whole subtree). Empty for an actor who manages the owner unit
    (they manage the contest instead) and for one whose subtrees the contest does not reach.

    For each managed subtree strictly below the owner: the whole subtree when the contest is
    open to it, or the eligible units inside it (the narrower part) otherwise."""
    if actor.is_admin or can_manage(actor, owner_path):
        return ()
    out: list[str] = []
    for p in actor.managed_paths:
        if not p.startswith(owner_path):
            continue
        if eligible_paths is None or any(p.startswith(e) for e in eligible_paths):
            out.append(p)
        else:
            out.extend(e for e in eligible_paths if e.startswith(p))
    return tuple(sorted(set(out)))


def can_follow(actor: Actor, owner_path: str, eligible_paths: tuple[str, ...] | None) -> bool:
    return bool(follow_paths(actor, owner_path, eligible_paths))
