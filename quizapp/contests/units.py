"""Participation per unit of a round: eligible roster members, participants, passes and
scores of the counted attempts, counted in the database and rolled up the unit tree (the
pure roll-up is `participation`), and the collective ranking of the units."""

from __future__ import annotations

from typing import NamedTuple

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from quizapp.contests.models import Attempt, Round
from quizapp.contests.participation import (
    Standing,
    Tally,
    UnitNode,
    collective_standings,
    rollup,
)
from quizapp.contests.results import RANKING_SECONDS, published_prizes
from quizapp.orgs.models import Member, MemberCategory, Unit


def unit_participation(session: Session, rnd: Round):
    """Per unit of the contest's scope: eligible members, participants, pass rate and scores
    of the counted attempts, rolled up the tree; and the collective ranking of the units
    directly under the organising unit (by participation rate and by mean score).

    Grouped in the database: one row per unit and distinct score, never one per attempt, so
    the cost hardly grows with the round (the per-attempt way took 2.9 s at 100,000
    attempts; `make bench`)."""
    contest = rnd.contest
    root = contest.owner_unit
    units = session.scalars(
        select(Unit).where(Unit.path.startswith(root.path), Unit.archived_at.is_(None))
    ).all()
    nodes = [
        UnitNode(u.id, u.parent_id if u.id != root.id else None, u.name, u.depth) for u in units
    ]
    stmt = select(Member.unit_id, func.count(Member.id)).where(
        Member.active.is_(True), Member.unit_id.in_([u.id for u in units])
    )
    if contest.populations:
        stmt = stmt.where(Member.categories.any(MemberCategory.category.in_(contest.populations)))
    direct: dict[int, Tally] = {
        uid: Tally(eligible=n) for uid, n in session.execute(stmt.group_by(Member.unit_id)).all()
    }
    for unit_id, score, max_score, n in session.execute(_counted_scores(rnd)):
        t = direct.setdefault(unit_id, Tally())
        t.participants += n
        if max_score:
            pct = float(score * 100 / max_score)
            t.scores[pct] += n
            if pct >= rnd.pass_mark:
                t.passed += n
    totals = rollup(nodes, direct)
    children = [n for n in nodes if n.parent_id == root.id]
    points = prize_points(session, contest, units, children) if contest.points_weight else {}
    weight = contest.points_weight or 0.0
    return (
        nodes,
        totals,
        Collective(
            collective_standings(children, totals, points=points, weight=weight),
            collective_standings(children, totals, by="mean"),
            weight,
        ),
    )


class Collective(NamedTuple):
    """The collective rankings of a set of units (see `participation.collective_standings`
    for the rules the page states)."""

    by_rate: list[Standing]
    by_mean: list[Standing]
    weight: float = 0.0  # prize points added to the participation rate, per point


def _counted_scores(rnd: Round):
    """(unit, score, maximum, how many) of the counted attempts: each participant's attempt
    chosen as `ranking.counted` chooses it (best: highest score, then the earliest; first;
    last), with a window function."""
    order = {
        "first": (Attempt.number.asc(),),
        "last": (Attempt.number.desc(),),
    }.get(rnd.counting, (Attempt.score.desc(), Attempt.number.asc()))
    chosen = (
        select(
            Attempt.unit_id,
            Attempt.score,
            Attempt.max_score,
            func.row_number().over(partition_by=Attempt.user_id, order_by=order).label("nth"),
        )
        .join(Member, Member.id == Attempt.member_id)
        .join(Unit, Unit.id == Attempt.unit_id)
        .where(
            Attempt.round_id == rnd.id, Attempt.status == "submitted", Attempt.preview.is_(False)
        )
        .subquery()
    )
    return (
        select(chosen.c.unit_id, chosen.c.score, chosen.c.max_score, func.count())
        .where(chosen.c.nth == 1)
        .group_by(chosen.c.unit_id, chosen.c.score, chosen.c.max_score)
    )


def prize_points(session: Session, contest, units, children) -> dict[int, float]:
    """Points of the prizes won (published lists of every round) per unit under the
    organiser, for the collective ranking."""
    path = {u.id: u.path for u in units}
    child_paths = {c.id: path[c.id] for c in children}
    out: dict[int, float] = {}
    for rnd in contest.rounds:
        published = published_prizes(session, rnd.id)
        for e in published.entries if published else []:
            winner = path.get(e.get("unit_id"))
            for cid, cpath in child_paths.items():
                if winner and winner.startswith(cpath):
                    out[cid] = out.get(cid, 0.0) + float(
                        (contest.prize_points or {}).get(e["prize"], 0)
                    )
    return out


def cached_participation(session: Session, rnd: Round, *, cache, ttl: float = RANKING_SECONDS):
    """`unit_participation`, cached (the results page, its export and the dashboard)."""
    from quizapp.cache import cached

    return cached(cache, f"participation:{rnd.id}", ttl, lambda: unit_participation(session, rnd))
