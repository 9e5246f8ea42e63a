"""Computing every unit's indicator values for a reporting year, set-based: one grouped SQL
query for all the computed lines and activity conditions of a plan (members placed in the unit
they belonged to at the moment counted, from the unit history), then the roll-up up the tree
in memory (5,000 units, not members)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time
from functools import reduce

from sqlalchemy import BigInteger, and_, case, cast, exists, func, literal, or_, select
from sqlalchemy.orm import Session

from quizapp.banks.models import Bank
from quizapp.contests.models import Attempt, Contest, Round
from quizapp.indicators import maths
from quizapp.indicators.core import Condition, Entry, Indicator, Kind, Line, Mode, Plan, Window
from quizapp.indicators.models import IndicatorEntry
from quizapp.orgs.models import Member, MemberCategory, MemberUnitHistory, Unit
from quizapp.programmes.models import Completion, Programme
from quizapp.timeutil import from_local


@dataclass(frozen=True)
class Value:
    """One unit's value of one indicator line (its whole subtree counted)."""

    unit_id: int
    code: str
    line: int
    numerator: int
    denominator: int
    value: float | None = None


def bounds(plan: Plan, year: int, now: datetime) -> tuple[datetime, datetime]:
    """The period's first moment and the moment counted (its end, or now if earlier), UTC."""
    period = plan.period(year)
    start = from_local(datetime.combine(period.start, time.min))
    end = from_local(datetime.combine(period.end, time(23, 59, 59)))
    return start, min(end, now)


def _placed_at(moment: datetime):
    """Join condition: the member's unit at `moment`, from the unit history."""
    h = MemberUnitHistory
    return and_(
        h.member_id == Member.id,
        h.start_at <= moment,
        or_(h.end_at.is_(None), h.end_at > moment),
    )


def _ids(session: Session, programmes=(), banks=()) -> tuple[list[int], list[int]]:
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


def _completed(programme_ids, start: datetime | None, end: datetime):
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


def _took_part(round_ids, start: datetime | None, end: datetime):
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


def _in_population(populations) -> object:
    return exists().where(
        MemberCategory.member_id == Member.id,
        MemberCategory.category.in_([str(p) for p in populations]),
    )


def line_counts(
    session: Session, plan: Plan, line: Line, year: int, now: datetime
) -> dict[int, tuple[int, int]]:
    """{unit id: (numerator, denominator)} of the members placed directly in each unit."""
    start, end = bounds(plan, year, now)
    return _tally(session, [_line_tally(session, line, start)], end, plan.period(year))[0]


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
class _Tally:
    """Per unit: the members of `population` (None: everybody placed there) who did `did`,
    out of all of them; `active_only` leaves deactivated members out, `admitted` keeps only
    those admitted inside the period."""

    population: tuple[str, ...] | None
    did: _Did
    active_only: bool = True
    admitted: bool = False


def _line_tally(session: Session, line: Line, start: datetime) -> _Tally:
    activity = line.activity
    p_ids, r_ids = _ids(session, activity.programmes, activity.contests)
    did = _Did(
        () if activity.mode is Mode.PARTICIPATION else tuple(p_ids),
        () if activity.mode is Mode.COMPLETION else tuple(r_ids),
        start if activity.window is Window.PERIOD else None,
    )
    return _Tally(tuple(str(p) for p in line.population), did, True, line.admitted_in_period)


def _activity_tally(session: Session, ind: Indicator, start: datetime) -> _Tally:
    """Participants of a unit-level activity condition (deactivated members included)."""
    spec = ind.unit_level
    p_ids, r_ids = _ids(session, spec.programmes, spec.contests)
    did = _Did(
        tuple(p_ids) if spec.programmes else None,
        tuple(r_ids) if spec.contests else None,
        start,
    )
    population = tuple(str(p) for p in spec.population) if spec.population else None
    return _Tally(population, did, active_only=False)


# A placed member's signature, one integer: population categories in bits 0-7 (7 exist),
# admitted in the period (bit 8), active (bit 9), then a bit per activity from bit 10.
_ADMITTED, _ACTIVE, _FIRST_ACTIVITY = 1 << 8, 1 << 9, 10
_MAX_BITS = 30  # activities per query: their bits stay inside a 32-bit integer


def _tally(
    session: Session, tallies: list[_Tally], end: datetime, period
) -> list[dict[int, tuple[int, int]]]:
    """{unit id: (numerator, denominator)} per tally, for the members placed directly in each
    unit at `end`, every tally from the same single pass over the members."""
    dids = list(dict.fromkeys(t.did for t in tallies))
    if len(dids) > _MAX_BITS:  # a plan with that many different activities: in batches
        first = set(dids[:_MAX_BITS])
        head = [t for t in tallies if t.did in first]
        tail = [t for t in tallies if t.did not in first]
        done = dict(zip(head, _tally(session, head, end, period), strict=True))
        done |= dict(zip(tail, _tally(session, tail, end, period), strict=True))
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


def _categories(tallies: list[_Tally]) -> dict[str, int]:
    """A bit per population category the tallies name."""
    names = sorted({c for t in tallies if t.population for c in t.population})
    if len(names) > 8:  # the signature keeps 8 bits for them (7 populations exist)
        raise ValueError(f"too many population categories: {names}")
    return {c: 1 << i for i, c in enumerate(names)}


def _bits(conditions: list[tuple[int, object]]):
    """max(condition) * 2^bit summed: the bits of the conditions one of the rows meets."""
    terms = [func.max(case((cond, 1), else_=0)) * (1 << bit) for bit, cond in conditions]
    return reduce(lambda a, b: a + b, terms)


def _placed_members(session: Session, tallies: list[_Tally], dids: list[_Did], end, period):
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


def not_counted(
    session: Session,
    plan: Plan,
    line: Line,
    year: int,
    now: datetime,
    unit_path: str,
    *,
    counted: bool = False,
):
    """The members of a unit's subtree in a line's denominator but not its numerator (for
    follow-up), or with `counted` those in both (to trace a figure to the people behind it):
    a select of Member, by unit and name."""
    start, end = bounds(plan, year, now)
    activity = line.activity
    since = start if activity.window is Window.PERIOD else None
    p_ids, r_ids = _ids(session, activity.programmes, activity.contests)
    done = {
        Mode.COMPLETION: lambda: _completed(p_ids, since, end),
        Mode.PARTICIPATION: lambda: _took_part(r_ids, since, end),
        Mode.EITHER: lambda: or_(_completed(p_ids, since, end), _took_part(r_ids, since, end)),
    }[activity.mode]()
    h = MemberUnitHistory
    stmt = (
        select(Member)
        .join(h, _placed_at(end))
        .join(Unit, Unit.id == h.unit_id)
        .where(
            Member.active.is_(True),
            _in_population(line.population),
            Unit.path.startswith(unit_path),
            done if counted else ~done,
        )
        .order_by(Unit.path, Member.name_folded)
    )
    if line.admitted_in_period:
        period = plan.period(year)
        stmt = stmt.where(Member.admitted_on.between(period.start, period.end))
    return stmt


def compute(
    session: Session,
    plan: Plan,
    year: int,
    now: datetime,
    *,
    unit_types: dict[str, tuple[str, ...]] | None = None,
) -> list[Value]:
    """Every unit's value of every indicator line of the plan for the reporting year.

    `unit_types` overrides a unit-level or reported indicator's unit types (by first code).
    """
    start, end = bounds(plan, year, now)
    units = session.execute(
        # Units archived (merged) by then are left out: their members had moved on.
        select(Unit.id, Unit.path, Unit.type_key).where(
            or_(Unit.archived_at.is_(None), Unit.archived_at > end)
        )
    ).all()
    paths = _closed({u.id: u.path for u in units})
    types = {u.id: u.type_key for u in units if u.id in paths}
    roll_up = _roll_up(_parents(paths))  # the tree once for the ~20 roll-ups below
    overrides = unit_types or {}
    out: list[Value] = []

    def rolled(code: str, line: int, counts: dict) -> None:
        counts = {u: c for u, c in counts.items() if u in paths}
        for unit, (numerator, denominator) in roll_up(counts).items():
            if denominator:
                out.append(Value(unit, code, line, numerator, denominator))

    entries = _entries(session, plan, year)
    # Every computed line and activity condition of the plan, counted in one query.
    tallies: dict[tuple[str, int], _Tally] = {}
    for ind in plan.indicators:
        if ind.kind is Kind.COMPUTED:
            for i, line in enumerate(ind.lines):
                tallies[ind.code, i] = _line_tally(session, line, start)
        elif ind.kind is Kind.UNIT_LEVEL and ind.unit_level.condition is Condition.ACTIVITY:
            tallies[ind.code, 0] = _activity_tally(session, ind, start)
    counted = (
        dict(
            zip(
                tallies,
                _tally(session, list(tallies.values()), end, plan.period(year)),
                strict=True,
            )
        )
        if tallies
        else {}
    )
    for ind in plan.indicators:
        if ind.kind is Kind.COMPUTED:
            for i, _line in enumerate(ind.lines):
                rolled(ind.code, i, counted[ind.code, i])
        elif ind.kind is Kind.UNIT_LEVEL:
            wanted = overrides.get(ind.code) or ind.unit_level.unit_types
            if ind.unit_level.condition is Condition.ACTIVITY:
                direct = {u: n for u, (n, _d) in counted[ind.code, 0].items() if n}
                people = roll_up({u: (n, 0) for u, n in direct.items() if u in paths})
                meeting = {
                    u for u, (n, _d) in people.items() if n >= ind.unit_level.min_participants
                }
            else:
                meeting = {
                    e.unit_id for e in entries.get(ind.code, []) if e.yes and e.unit_id in paths
                }
            rolled(ind.code, 0, maths.unit_level_counts(types, meeting, wanted))
        else:
            spec = ind.reported
            mine = [e for e in entries.get(ind.code, []) if e.unit_id in paths]
            if spec.entry is Entry.PERCENTAGE:
                rolled(
                    ind.code,
                    0,
                    {
                        e.unit_id: (e.numerator, e.denominator)
                        for e in mine
                        if e.numerator is not None and e.denominator is not None
                    },
                )
            else:
                for e in mine:
                    value = e.value if spec.entry is Entry.NUMBER else (1.0 if e.yes else 0.0)
                    if value is not None:
                        out.append(Value(e.unit_id, ind.code, 0, 0, 0, float(value)))
    return out


def _parents(paths: dict[int, str]) -> dict[int, int | None]:
    """{unit: parent} from the materialised paths (as `maths.roll_up_paths` reads them)."""
    parents: dict[int, int | None] = {}
    for unit, path in paths.items():
        ids = maths.parse_path(path)
        if ids[-1] != unit:
            raise ValueError(f"path {path!r} does not end with unit {unit}")
        parents[unit] = ids[-2] if len(ids) > 1 else None
    return parents


def _roll_up(parents: dict[int, int | None]):
    """`maths.roll_up` for many counts over one tree: numerators and denominators summed up
    the tree (never rates averaged), the children-first order worked out once."""
    depth: dict[int, int] = {}

    def depth_of(start: int) -> int:
        chain, unit = [], start
        while unit is not None and unit not in depth:
            if unit in chain:
                raise ValueError(f"the unit tree has a cycle through {unit!r}")
            chain.append(unit)
            unit = parents[unit]
        base = -1 if unit is None else depth[unit]
        for offset, node in enumerate(reversed(chain), start=1):
            depth[node] = base + offset
        return depth[start]

    order = [u for u in sorted(parents, key=depth_of, reverse=True) if parents[u] is not None]

    def roll_up(counts: dict) -> dict[int, tuple[int, int]]:
        num, den = dict.fromkeys(parents, 0), dict.fromkeys(parents, 0)
        for unit, count in counts.items():
            n, d = (count.numerator, count.denominator) if isinstance(count, maths.Count) else count
            num[unit] += n
            den[unit] += d
        for unit in order:
            parent = parents[unit]
            num[parent] += num[unit]
            den[parent] += den[unit]
        return {unit: (num[unit], den[unit]) for unit in parents}

    return roll_up


def _closed(paths: dict[int, str]) -> dict[int, str]:
    """Paths restricted to units whose ancestors are all present (an archived ancestor
    drops its subtree from the tree the roll-up walks)."""
    return {u: p for u, p in paths.items() if all(int(x) in paths for x in p.strip("/").split("/"))}


def _entries(session: Session, plan: Plan, year: int) -> dict[str, list[IndicatorEntry]]:
    out: dict[str, list[IndicatorEntry]] = {}
    for e in session.scalars(
        select(IndicatorEntry).where(
            IndicatorEntry.plan_key == plan.key, IndicatorEntry.year == year
        )
    ):
        out.setdefault(e.code, []).append(e)
    return out
