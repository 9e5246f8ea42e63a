"""What an indicator dashboard shows for a unit, read from a snapshot: each line's count and
rate, the status of each target by projection, the trend over the snapshots and the units
below sorted by gap."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from quizapp.indicators import maths
from quizapp.indicators.core import Entry, Indicator, Kind, Plan, Window
from quizapp.indicators.models import Snapshot, SnapshotValue
from quizapp.orgs.models import Unit
from quizapp.timeutil import local_today


@dataclass(frozen=True)
class TargetView:
    code: str
    value: float
    deadline: date
    assessment: maths.Assessment


@dataclass(frozen=True)
class LineView:
    indicator: Indicator
    line: int
    label: str
    count: maths.Count
    value: float | None  # reported numbers
    actual: float | None  # the rate (or the number)
    targets: list[TargetView]
    trend: list[tuple[date, float]]
    children: list[tuple[Unit, maths.Count, float | None, float | None]]  # unit, count, rate, gap
    main: TargetView | None  # the next target still ahead (else the last one)


def _labels(ind: Indicator) -> list[tuple[int, str, tuple]]:
    if ind.kind is Kind.COMPUTED:
        return [(i, line.label, line.targets) for i, line in enumerate(ind.lines)]
    return [(0, ind.title, ind.targets)]


def dashboard(
    session: Session,
    plan: Plan,
    snap: Snapshot,
    unit: Unit,
    today: date,
    only: tuple[str, int] | None = None,
) -> list[LineView]:
    """Every indicator line for a unit from a snapshot (or only the line `(code, line)`),
    with its children (largest gap first), its trend over the snapshots of the plan and the
    status of each target."""
    children = session.scalars(
        select(Unit).where(Unit.parent_id == unit.id, Unit.archived_at.is_(None))
    ).all()
    ids = [unit.id, *[c.id for c in children]]
    query = select(
        SnapshotValue.unit_id,
        SnapshotValue.code,
        SnapshotValue.line,
        SnapshotValue.numerator,
        SnapshotValue.denominator,
        SnapshotValue.value,
    ).where(SnapshotValue.snapshot_id == snap.id, SnapshotValue.unit_id.in_(ids))
    if only is not None:
        query = query.where(SnapshotValue.code == only[0], SnapshotValue.line == only[1])
    # Plain rows, not ORM objects: a province reads thousands of them per page.
    values = {(r.unit_id, r.code, r.line): r for r in session.execute(query)}
    history = _trends(session, plan, unit.id, snap)
    period = plan.period(snap.year)
    out = []
    for ind in plan.indicators:
        if only is not None and ind.code != only[0]:
            continue
        number = ind.kind is Kind.REPORTED and ind.reported.entry is not Entry.PERCENTAGE
        for i, label, targets in _labels(ind):
            if only is not None and i != only[1]:
                continue
            v = values.get((unit.id, ind.code, i))
            count = maths.Count(v.numerator, v.denominator) if v else maths.Count()
            actual = (v.value if v else None) if number else count.rate
            trend = history.get((ind.code, i), [])
            per_period = ind.each_period or (
                ind.kind is Kind.COMPUTED and ind.lines[i].activity.window is Window.PERIOD
            )
            origin = period.start if per_period and not number else None
            if per_period:
                trend = [(d, x) for d, x in trend if period.start <= d <= period.end]
            views = []
            for t in targets:
                if ind.each_period and t is not maths.target_for(targets, period.end):
                    continue
                views.append(
                    TargetView(
                        t.code,
                        t.value,
                        t.deadline,
                        maths.assess(
                            trend,
                            t.value,
                            # A target held every year is judged at the end of each year.
                            min(t.deadline, period.end) if ind.each_period else t.deadline,
                            today,
                            origin=origin,
                            cap=None if number else 100.0,
                        ),
                    )
                )
            kids = []
            goal = maths.target_for(targets, today) or (targets[-1] if targets else None)
            for c in children:
                cv = values.get((c.id, ind.code, i))
                cc = maths.Count(cv.numerator, cv.denominator) if cv else maths.Count()
                crate = (cv.value if cv else None) if number else cc.rate
                kids.append((c, cc, crate, maths.gap(crate, goal.value) if goal else None))
            kids.sort(key=lambda k: (-(k[3] if k[3] is not None else -1e9), k[0].name))
            main = next((t for t in views if t.deadline >= today), views[-1] if views else None)
            out.append(
                LineView(
                    ind, i, label, count, v.value if v else None, actual, views, trend, kids, main
                )
            )
    return out


def _trends(session: Session, plan: Plan, unit_id: int, upto: Snapshot):
    """{(code, line): [(local date, value)]} over the plan's snapshots up to `upto`."""
    rows = session.execute(
        select(Snapshot.as_of, SnapshotValue)
        .join(Snapshot, Snapshot.id == SnapshotValue.snapshot_id)
        .where(
            Snapshot.plan_key == plan.key,
            SnapshotValue.unit_id == unit_id,
            Snapshot.taken_at <= upto.taken_at,
        )
        .order_by(Snapshot.as_of)
    ).all()
    out: dict[tuple[str, int], dict[date, float]] = {}
    for as_of, v in rows:
        value = v.value if v.value is not None else maths.rate(v.numerator, v.denominator)
        if value is not None:
            out.setdefault((v.code, v.line), {})[local_today(as_of)] = value
    return {k: sorted(d.items()) for k, d in out.items()}
