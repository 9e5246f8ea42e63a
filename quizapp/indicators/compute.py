"""Computing every unit's indicator values for a reporting year, set-based: one grouped SQL
query for all the computed lines and activity conditions of a plan (members placed in the unit
they belonged to at the moment counted, from the unit history), then the roll-up up the tree
in memory (5,000 units, not members)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from quizapp.indicators import counting, maths, tree
from quizapp.indicators.core import Condition, Entry, Kind, Line, Mode, Plan, Window
from quizapp.indicators.models import IndicatorEntry
from quizapp.orgs.models import Member, MemberUnitHistory, Unit
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
    p_ids, r_ids = counting.ids(session, activity.programmes, activity.contests)
    done = {
        Mode.COMPLETION: lambda: counting.completed(p_ids, since, end),
        Mode.PARTICIPATION: lambda: counting.took_part(r_ids, since, end),
        Mode.EITHER: lambda: or_(
            counting.completed(p_ids, since, end), counting.took_part(r_ids, since, end)
        ),
    }[activity.mode]()
    h = MemberUnitHistory
    stmt = (
        select(Member)
        .join(h, _placed_at(end))
        .join(Unit, Unit.id == h.unit_id)
        .where(
            Member.active.is_(True),
            counting.in_population(line.population),
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
    paths = tree.closed({u.id: u.path for u in units})
    types = {u.id: u.type_key for u in units if u.id in paths}
    roll_up = tree.roll_up(tree.parents(paths))  # the tree once for the ~20 roll-ups below
    overrides = unit_types or {}
    out: list[Value] = []

    def rolled(code: str, line: int, counts: dict) -> None:
        counts = {u: c for u, c in counts.items() if u in paths}
        for unit, (numerator, denominator) in roll_up(counts).items():
            if denominator:
                out.append(Value(unit, code, line, numerator, denominator))

    entries = _entries(session, plan, year)
    # Every computed line and activity condition of the plan, counted in one query.
    tallies: dict[tuple[str, int], counting.Tally] = {}
    for ind in plan.indicators:
        if ind.kind is Kind.COMPUTED:
            for i, line in enumerate(ind.lines):
                tallies[ind.code, i] = counting.line_tally(session, line, start)
        elif ind.kind is Kind.UNIT_LEVEL and ind.unit_level.condition is Condition.ACTIVITY:
            tallies[ind.code, 0] = counting.activity_tally(session, ind, start)
    counted = (
        dict(
            zip(
                tallies,
                counting.tally(session, list(tallies.values()), end, plan.period(year)),
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


def _entries(session: Session, plan: Plan, year: int) -> dict[str, list[IndicatorEntry]]:
    out: dict[str, list[IndicatorEntry]] = {}
    for e in session.scalars(
        select(IndicatorEntry).where(
            IndicatorEntry.plan_key == plan.key, IndicatorEntry.year == year
        )
    ):
        out.setdefault(e.code, []).append(e)
    return out
