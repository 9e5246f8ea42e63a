"""Counting the members behind indicator lines, set-based: every computed line and activity
condition of a plan in one grouped SQL query, each member placed in the unit they belonged to at
the moment counted (from the unit history) and read once per plan, not once per line; and the
conditions (completed, took part, in a population) that list the members behind a figure."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import reduce

from sqlalchemy import BigInteger, and_, case, cast, exists, func, literal, or_, select
from sqlalchemy.orm import Session

from quizapp.banks.models import Bank
from quizapp.contests.models import Attempt, Contest, Round
from quizapp.indicators.core import Indicator, Line, Mode, Window
from quizapp.orgs.models import Member, MemberCategory, MemberUnitHistory
from quizapp.programmes.models import Completion, Programme


def ids(session: Session, programmes=(), banks=()) -> tuple[list[int], list[int]]:
    p_ids = list(session.scalars(select(Programme.id).where(Programme.key.in_(list(programmes)))))
    r_ids = list(
        session.scalars(
            select(Round.id)
            .join(Bank, Bank.id == Round.bank_id)
            .join(Contest, Contest.id == Round.contest_id)
            .where(Bank.key.in_(list(banks)), Contest.kind == "contest")
        )
    )
    return p_ids, r_ids


def completed(programme_ids, start: datetime | None, end: datetime):
    """Member completed one of the programmes in the window, and it is still valid at end."""
    conds = [
        Completion.member_id == Member.id,
        Completion.completed_at <= end,
        or_(Completion.expires_at.is_(None), Completion.expires_at > end),
    ]
    if programme_ids is not None:
        conds.append(Completion.programme_id.in_(programme_ids or [0]))
    if start is not None:
        conds.append(Completion.completed_at >= start)
    return exists().where(*conds)


def took_part(round_ids, start: datetime | None, end: datetime):
    """Member submitted an attempt at one of the rounds in the window (never a preview)."""
    conds = [
        Attempt.member_id == Member.id,
        Attempt.status == "submitted",
        Attempt.preview.is_(False),
        Attempt.submitted_at <= end,
    ]
    if round_ids is not None:
        conds.append(Attempt.round_id.in_(round_ids or [0]))
    if start is not None:
        conds.append(Attempt.submitted_at >= start)
    return exists().where(*conds)


def in_population(populations) -> object:
    return exists().where(
        MemberCategory.member_id == Member.id,
        MemberCategory.category.in_([str(p) for p in populations]),
    )


# --- counting: every line of a plan in one grouped query -----------------------------------


@dataclass(frozen=True)
class _Did:
    """What a member must have done by the moment counted: completed one of `programmes`
    (None: any programme; empty: completions do not count) or submitted an attempt at one of
    `rounds` (None: any round; empty: attempts do not count), on or after `since` if given."""

    programmes: tuple[int, ...] | None
    rounds: tuple[int, ...] | None
    since: datetime | None


@dataclass(frozen=True)
class Tally:
    """Per unit: the members of `population` (None: everybody placed there) who did `did`,
    out of all of them; `active_only` leaves deactivated members out, `admitted` keeps only
    those admitted inside the period."""

    population: tuple[str, ...] | None
    did: _Did
    active_only: bool = True
    admitted: bool = False


def line_tally(session: Session, line: Line, start: datetime) -> Tally:
    activity = line.activity
    p_ids, r_ids = ids(session, activity.programmes, activity.contests)
    did = _Did(
        () if activity.mode is Mode.PARTICIPATION else tuple(p_ids),
        () if activity.mode is Mode.COMPLETION else tuple(r_ids),
        start if activity.window is Window.PERIOD else None,
    )
    return Tally(tuple(str(p) for p in line.population), did, True, line.admitted_in_period)


def activity_tally(session: Session, ind: Indicator, start: datetime) -> Tally:
    """Participants of a unit-level activity condition (deactivated members included)."""
    spec = ind.unit_level
    p_ids, r_ids = ids(session, spec.programmes, spec.contests)
    did = _Did(
        tuple(p_ids) if spec.programmes else None,
        tuple(r_ids) if spec.contests else None,
        start,
    )
    population = tuple(str(p) for p in spec.population) if spec.population else None
    return Tally(population, did, active_only=False)


# A placed member's signature, one integer: population categories in bits 0-7 (7 exist),
# admitted in the period (bit 8), active (bit 9), then a bit per activity from bit 10.
_ADMITTED, _ACTIVE, _FIRST_ACTIVITY = 1 << 8, 1 << 9, 10
_MAX_BITS = 30  # activities per query: their bits stay inside a 32-bit integer


def tally(
    session: Session, tallies: list[Tally], end: datetime, period
) -> list[dict[int, tuple[int, int]]]:
    """{unit id: (numerator, denominator)} per tally, for the members placed directly in each
    unit at `end`, every tally from the same single pass over the members."""
    dids = list(dict.fromkeys(t.did for t in tallies))
    if len(dids) > _MAX_BITS:  # a plan with that many different activities: in batches
        first = set(dids[:_MAX_BITS])
        head = [t for t in tallies if t.did in first]
        tail = [t for t in tallies if t.did not in first]
        done = dict(zip(head, tally(session, head, end, period), strict=True))
        done |= dict(zip(tail, tally(session, tail, end, period), strict=True))
        return [done[t] for t in tallies]
    placed = _placed_members(session, tallies, dids, end, period).c
    # Members of a unit with the same signature, counted once; each tally sums the groups.
    groups = (
        select(placed.unit, placed.sig, func.count().label("n"))
        .group_by(placed.unit, placed.sig)
        .subquery("signatures")
    ).c
    categories = _categories(tallies)

    def has(bits: int):
        return groups.sig.op("&")(bits) != 0

    sums = []
    for t in tallies:
        conds = []
        if t.population is not None:
            conds.append(has(sum(categories[c] for c in t.population)))
        if t.active_only:
            conds.append(has(_ACTIVE))
        if t.admitted:
            conds.append(has(_ADMITTED))
        did = has(1 << (_FIRST_ACTIVITY + dids.index(t.did)))
        sums.append(func.sum(case((and_(*conds, did), groups.n), else_=0)))
        sums.append(func.sum(case((and_(*conds), groups.n), else_=0) if conds else groups.n))
    out: list[dict[int, tuple[int, int]]] = [{} for _ in tallies]
    for row in _merge_joined(session, select(groups.unit, *sums).group_by(groups.unit)):
        for i, counts in enumerate(out):
            num, den = int(row[1 + 2 * i] or 0), int(row[2 + 2 * i] or 0)
            if den:
                counts[row[0]] = (num, den)
    return out


# PostgreSQL, for the one statement: merge joins, no JIT (restored after it; a failed statement
# ends the transaction, which undoes them anyway).
_PLANNER = {"enable_hashjoin": "off", "jit": "off"}


def _merge_joined(session: Session, stmt) -> list:
    """Run the tally. On PostgreSQL the members, their history and the per-member aggregates
    all come in member order from their indexes: merged, nothing is hashed. PostgreSQL 15
    prices the hash joins a few percent cheaper, but at 1,000,000 members they take 4.7 s
    where merge joins take 3.2 s (`make bench-indicators DB=postgres`); compiling the plan
    (JIT) adds 0.5 s more than it saves, for a statement run once."""
    if session.get_bind().dialect.name != "postgresql":
        return session.execute(stmt).all()
    names = list(_PLANNER)
    before = session.execute(select(*[func.current_setting(n) for n in names])).one()
    session.execute(select(*[func.set_config(n, v, True) for n, v in _PLANNER.items()]))
    rows = session.execute(stmt).all()
    session.execute(
        select(*[func.set_config(n, v, True) for n, v in zip(names, before, strict=True)])
    )
    return rows


def _categories(tallies: list[Tally]) -> dict[str, int]:
    """A bit per population category the tallies name."""
    names = sorted({c for t in tallies if t.population for c in t.population})
    if len(names) > 8:  # the signature keeps 8 bits for them (7 populations exist)
        raise ValueError(f"too many population categories: {names}")
    return {c: 1 << i for i, c in enumerate(names)}


def _bits(conditions: list[tuple[int, object]]):
    """max(condition) * 2^bit summed: the bits of the conditions one of the rows meets."""
    terms = [func.max(case((cond, 1), else_=0)) * (1 << bit) for bit, cond in conditions]
    return reduce(lambda a, b: a + b, terms)


def _placed_members(session: Session, tallies: list[Tally], dids: list[_Did], end, period):
    """One row per member placed at `end`: the unit and the member's signature (population
    categories, admitted in the period, active, activities completed or taken part in).

    SQLite looks each member's categories and completions up in their indexes (correlated
    subqueries, rows of one member are adjacent) and builds each list of participants once,
    materialising the rows so that nothing is evaluated twice; PostgreSQL merge-joins
    per-member aggregates (`_merge_joined`). Either way the members are read once per plan,
    not once per line: that is what keeps 1,000,000 members under the 5 s of issue 8."""
    sqlite = session.get_bind().dialect.name == "sqlite"
    h = MemberUnitHistory
    stmt = select(h.unit_id.label("unit")).join(Member, Member.id == h.member_id)

    def per_member(member_id, value, where, name):
        nonlocal stmt
        if sqlite:
            sub = select(value).where(member_id == Member.id, *where).scalar_subquery()
            return func.coalesce(sub, 0)
        sub = (
            select(member_id.label("member_id"), value.label("value"))
            .where(*where)
            .group_by(member_id)
            .subquery(name)
        )
        stmt = stmt.outerjoin(sub, sub.c.member_id == Member.id)
        return func.coalesce(sub.c.value, 0)

    categories = _categories(tallies)
    if categories:
        weight = func.sum(case(categories, value=MemberCategory.category, else_=0))
        where = [] if sqlite else [MemberCategory.category.in_(list(categories))]
        mask = per_member(MemberCategory.member_id, weight, where, "categories")
    else:
        mask = literal(0)
    if period is not None and any(t.admitted for t in tallies):
        admitted = case((Member.admitted_on.between(period.start, period.end), _ADMITTED), else_=0)
    else:
        admitted = literal(0)

    # Completions valid at `end`: bit k when one of the member's completions meets did k.
    parts, programmes = [], set()
    for k, did in enumerate(dids):
        if did.programmes == ():
            continue
        cond = [] if did.programmes is None else [Completion.programme_id.in_(did.programmes)]
        if did.since is not None:
            cond.append(Completion.completed_at >= did.since)
        parts.append((k, and_(*cond) if cond else literal(True)))
        programmes.update(did.programmes or ())
    completed = literal(0)
    if parts:
        where = [
            Completion.completed_at <= end,
            or_(Completion.expires_at.is_(None), Completion.expires_at > end),
        ]
        if not sqlite and all(d.programmes is not None for d in dids):
            where.append(Completion.programme_id.in_(sorted(programmes)))
        completed = per_member(Completion.member_id, _bits(parts), where, "completed")

    # Submitted attempts (never previews): bit k when one of them meets did k.
    parts, rounds = [], set()
    for k, did in enumerate(dids):
        if did.rounds == ():
            continue
        cond = [] if did.rounds is None else [Attempt.round_id.in_(did.rounds)]
        if did.since is not None:
            cond.append(Attempt.submitted_at >= did.since)
        parts.append((k, cond))
        rounds.update(did.rounds or ())
    took_part = literal(0)
    if parts:
        where = [
            Attempt.member_id.is_not(None),
            Attempt.status == "submitted",
            Attempt.preview.is_(False),
            Attempt.submitted_at <= end,
        ]
        if sqlite:  # attempts have no index by member and round: a list per activity
            took_part = reduce(
                lambda a, b: a + b,
                [
                    case(
                        (Member.id.in_(select(Attempt.member_id).where(*where, *cond)), 1 << k),
                        else_=0,
                    )
                    for k, cond in parts
                ],
            )
        else:
            if all(d.rounds is not None for d in dids):
                where.append(Attempt.round_id.in_(sorted(rounds)))
            bits = _bits([(k, and_(*c) if c else literal(True)) for k, c in parts])
            took_part = per_member(Attempt.member_id, bits, where, "took_part")

    active = case((Member.active.is_(True), _ACTIVE), else_=0)
    did = cast(completed.op("|")(took_part), BigInteger) * (1 << _FIRST_ACTIVITY)
    stmt = stmt.add_columns((cast(mask, BigInteger) + admitted + active + did).label("sig"))
    stmt = stmt.where(h.start_at <= end, or_(h.end_at.is_(None), h.end_at > end))
    if sqlite:
        return stmt.cte("placed").prefix_with("MATERIALIZED")
    return stmt.subquery("placed")
