"""Computing every unit's indicator values for a reporting year, set-based: one grouped SQL
query per computed line (members placed in the unit they belonged to at the moment counted,
from the unit history), then the roll-up up the tree in memory (5,000 units, not members)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time

from sqlalchemy import and_, case, exists, func, or_, select
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
    activity = line.activity
    since = start if activity.window is Window.PERIOD else None
    p_ids, r_ids = _ids(session, activity.programmes, activity.contests)
    if activity.mode is Mode.COMPLETION:
        done = _completed(p_ids, since, end)
    elif activity.mode is Mode.PARTICIPATION:
        done = _took_part(r_ids, since, end)
    else:
        done = or_(_completed(p_ids, since, end), _took_part(r_ids, since, end))
    h = MemberUnitHistory
    stmt = (
        select(h.unit_id, func.count(), func.sum(case((done, 1), else_=0)))
        .select_from(Member)
        .join(h, _placed_at(end))
        .where(Member.active.is_(True), _in_population(line.population))
        .group_by(h.unit_id)
    )
    if line.admitted_in_period:
        period = plan.period(year)
        stmt = stmt.where(Member.admitted_on.between(period.start, period.end))
    return {unit: (int(num or 0), int(den)) for unit, den, num in session.execute(stmt)}


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


def _active_units(session: Session, ind: Indicator, plan: Plan, year: int, now: datetime):
    """Units (placed at the moment counted) with enough participants in the period."""
    spec = ind.unit_level
    start, end = bounds(plan, year, now)
    p_ids, r_ids = _ids(session, spec.programmes, spec.contests)
    did = or_(
        _completed(p_ids if spec.programmes else None, start, end),
        _took_part(r_ids if spec.contests else None, start, end),
    )
    h = MemberUnitHistory
    stmt = (
        select(h.unit_id, func.count())
        .select_from(Member)
        .join(h, _placed_at(end))
        .where(did)
        .group_by(h.unit_id)
    )
    if spec.population:
        stmt = stmt.where(_in_population(spec.population))
    return dict(session.execute(stmt).all())


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
    _start, end = bounds(plan, year, now)
    units = session.execute(
        # Units archived (merged) by then are left out: their members had moved on.
        select(Unit.id, Unit.path, Unit.type_key).where(
            or_(Unit.archived_at.is_(None), Unit.archived_at > end)
        )
    ).all()
    paths = _closed({u.id: u.path for u in units})
    types = {u.id: u.type_key for u in units if u.id in paths}
    overrides = unit_types or {}
    out: list[Value] = []

    def rolled(code: str, line: int, counts: dict) -> None:
        counts = {u: c for u, c in counts.items() if u in paths}
        for unit, total in maths.roll_up_paths(counts, paths).items():
            if total.denominator:
                out.append(Value(unit, code, line, total.numerator, total.denominator))

    entries = _entries(session, plan, year)
    for ind in plan.indicators:
        if ind.kind is Kind.COMPUTED:
            for i, line in enumerate(ind.lines):
                rolled(ind.code, i, line_counts(session, plan, line, year, now))
        elif ind.kind is Kind.UNIT_LEVEL:
            wanted = overrides.get(ind.code) or ind.unit_level.unit_types
            if ind.unit_level.condition is Condition.ACTIVITY:
                direct = _active_units(session, ind, plan, year, now)
                people = maths.roll_up_paths(
                    {u: (n, 0) for u, n in direct.items() if u in paths}, paths
                )
                meeting = {
                    u for u, c in people.items() if c.numerator >= ind.unit_level.min_participants
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
