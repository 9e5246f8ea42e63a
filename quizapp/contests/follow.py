"""Following a contest down the tree: the organiser of a ward, commune, school or branch
reads, for their own members only, a contest run by a level above them (a province contest
open to their unit). The one place that decides what a follower may read: every follower
page gets its subtrees from `get_followed_contest` and filters each query with them."""

from __future__ import annotations

from sqlalchemy import exists, func, select
from sqlalchemy.orm import Session

from quizapp.certificates.models import Certificate
from quizapp.contests.models import Attempt, Contest, Round
from quizapp.errors import NotFound
from quizapp.i18n import N_
from quizapp.orgs.models import Member, MemberCategory, Unit
from quizapp.orgs.scope import ancestor_paths, under_paths
from quizapp.policy import Actor, follow_paths


def eligible_paths(session: Session, contest: Contest) -> tuple[str, ...] | None:
    """The units a "units" contest is open to; None when the owner's whole subtree may take part."""
    if contest.eligibility != "units":
        return None
    ids = contest.unit_ids or [0]
    return tuple(session.scalars(select(Unit.path).where(Unit.id.in_(ids))))


def follow_scope(session: Session, contest: Contest, actor: Actor) -> tuple[str, ...]:
    """The subtrees in which the actor follows this contest (empty: not a follower)."""
    if contest.status == "draft" or contest.kind != "contest":
        return ()
    return follow_paths(actor, contest.owner_unit.path, eligible_paths(session, contest))


def get_followed_contest(
    session: Session, contest_id: int, actor: Actor
) -> tuple[Contest, tuple[str, ...]]:
    """The contest and the follower's subtrees; 404 for anyone who does not follow it."""
    contest = session.get(Contest, contest_id)
    paths = follow_scope(session, contest, actor) if contest is not None else ()
    if not paths:
        raise NotFound(N_("Contest not found."))
    return contest, paths


def get_followed_round(session: Session, contest: Contest, round_id: int) -> Round:
    rnd = session.get(Round, round_id)
    if rnd is None or rnd.contest_id != contest.id:
        raise NotFound(N_("Round not found."))
    return rnd


def followed_contests(session: Session, actor: Actor) -> list[tuple[Contest, tuple[str, ...]]]:
    """Contests of the levels above the actor's units that are open to their members,
    newest first, each with the subtrees followed."""
    above = sorted({a for p in actor.managed_paths for a in ancestor_paths(p)})
    if actor.is_admin or not above:
        return []
    contests = session.scalars(
        select(Contest)
        .join(Unit, Unit.id == Contest.owner_unit_id)
        .where(Contest.kind == "contest", Contest.status != "draft", Unit.path.in_(above))
        .order_by(Contest.created_at.desc())
    ).all()
    out = []
    for c in contests:
        paths = follow_scope(session, c, actor)
        if paths:
            out.append((c, paths))
    return out


def units_under(paths: tuple[str, ...]):
    return select(Unit.id).where(under_paths(Unit.path, paths))


def roster_stmt(contest: Contest, paths: tuple[str, ...]):
    """The active roster members of the subtrees who may take part (population filter)."""
    stmt = select(Member).where(Member.active.is_(True), Member.unit_id.in_(units_under(paths)))
    if contest.populations:
        stmt = stmt.where(Member.categories.any(MemberCategory.category.in_(contest.populations)))
    return stmt


def _took_part(contest: Contest, round_id: int | None):
    rounds = [round_id] if round_id else [r.id for r in contest.rounds] or [0]
    return exists().where(
        Attempt.member_id == Member.id,
        Attempt.round_id.in_(rounds),
        Attempt.status == "submitted",
        Attempt.preview.is_(False),
    )


def missing_stmt(contest: Contest, paths: tuple[str, ...], round_id: int | None = None):
    """The follow-up list: roster members of the subtrees without a submitted attempt in the
    contest (or in one round), in tree order then by name."""
    return (
        roster_stmt(contest, paths)
        .join(Unit, Unit.id == Member.unit_id)
        .where(~_took_part(contest, round_id))
        .order_by(Unit.path, Member.name_folded, Member.id)
    )


def participation(
    session: Session, contest: Contest, paths: tuple[str, ...], round_id: int | None = None
) -> tuple[int, int]:
    """(roster members who took part, roster members who may take part) in the subtrees."""
    roster = roster_stmt(contest, paths).subquery()
    total = session.scalar(select(func.count()).select_from(roster)) or 0
    took = (
        session.scalar(
            select(func.count()).select_from(
                roster_stmt(contest, paths).where(_took_part(contest, round_id)).subquery()
            )
        )
        or 0
    )
    return took, total


def subtree_ranking(session: Session, rnd: Round, paths: tuple[str, ...], now):
    """The round's ranking (ranks of the whole round) restricted to attempts made in the
    subtrees, and the prediction's actual value."""
    from quizapp.contests import results as R

    ranking, actual = R.round_ranking(session, rnd, now)
    units = set(session.scalars(units_under(paths)))
    return [r for r in ranking if r.entry.unit_id in units], actual


def subtree_contest_ranking(session: Session, contest: Contest, paths: tuple[str, ...], now):
    """The whole contest's ranking (ranks of the whole contest) restricted to participants
    whose first counted attempt was made in the subtrees."""
    from quizapp.contests import results as R

    units = set(session.scalars(units_under(paths)))
    return [r for r in R.contest_ranking(session, contest, now) if r.entry.unit_id in units]


def certificates_stmt(contest: Contest, paths: tuple[str, ...]):
    """The contest's certificates whose recipients belong to the subtrees."""
    return (
        select(Certificate)
        .where(
            Certificate.contest_id == contest.id,
            Certificate.recipient_unit_id.in_(units_under(paths)),
        )
        .order_by(Certificate.issued_at.desc(), Certificate.id.desc())
    )


def subtree_units(session: Session, rnd: Round, paths: tuple[str, ...], *, cache):
    """The round's participation per unit of the follower's subtrees, in tree order (the
    owner's figures, rolled up the same way), and the collective rankings of the units
    directly below the followed units: by participation rate against the roster, and by
    mean score of the counted attempts."""
    from quizapp.contests import units as U
    from quizapp.contests.participation import collective_standings

    nodes, totals, _collective = U.cached_participation(session, rnd, cache=cache)
    rows = session.execute(select(Unit.id, Unit.path).where(under_paths(Unit.path, paths)))
    path = {uid: p for uid, p in rows}
    mine = sorted((n for n in nodes if n.id in path), key=lambda n: path[n.id])
    roots = {n.id for n in mine if path[n.id] in paths}
    children = [n for n in mine if n.parent_id in roots]
    by_rate = collective_standings(children, totals)
    by_mean = collective_standings(children, totals, by="mean")
    return mine, totals, by_rate, by_mean


def get_followed_certificate(
    session: Session, contest: Contest, paths: tuple[str, ...], cert_id: int
) -> Certificate:
    """A valid certificate of the contest issued to a member of the subtrees; 404 otherwise."""
    cert = session.scalar(
        certificates_stmt(contest, paths).where(
            Certificate.id == cert_id, Certificate.status == "valid"
        )
    )
    if cert is None:
        raise NotFound(N_("Certificate not found."))
    return cert
