"""What an annual report holds, built from a report snapshot: plain values per plan, per
indicator line and per child unit (the PDF template and the workbook get nothing else)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import exists, or_, select
from sqlalchemy.orm import Session

from quizapp.errors import NotFound
from quizapp.i18n import N_
from quizapp.indicators import dashboard as D
from quizapp.indicators import maths
from quizapp.indicators import services as I
from quizapp.indicators.core import Condition, Entry, Indicator, Kind, Plan, Target
from quizapp.indicators.maths import Count, Status
from quizapp.indicators.models import IndicatorEntry, Snapshot, SnapshotValue
from quizapp.orgs.models import Unit, UnitType
from quizapp.policy import Actor, can_manage
from quizapp.timeutil import local_today

Gettext = Callable[[str], str]


def report_snapshot(
    session: Session, key: str, year: int, now: datetime, refresh: bool = False
) -> Snapshot:
    """The latest snapshot of the plan's year taken for a report, or a new one (reason
    "report") when there is none or `refresh` asks for it; flushed, never committed.

    A report snapshot computed with an older version of the plan's definitions is not
    reused: its lines would be printed under the current labels and targets.
    """
    row, _plan = I.get_plan(session, key)
    if not refresh:
        snap = session.scalar(
            select(Snapshot)
            .where(Snapshot.plan_key == key, Snapshot.year == year, Snapshot.reason == "report")
            .order_by(Snapshot.taken_at.desc(), Snapshot.id.desc())
            .limit(1)
        )
        if snap is not None and snap.definition_at == row.updated_at:
            return snap
    return I.take_snapshot(session, key, year, now, reason="report")


# --- what a report holds (plain values: the PDF template is given nothing else) ----------


@dataclass(frozen=True)
class Cell:
    """One unit's figure on one line: the counts and the value shown (a rate, a reported
    number, or 1/0 for yes/no)."""

    count: Count
    value: float | None


@dataclass(frozen=True)
class ReportLine:
    indicator: Indicator
    line: int
    label: str  # the population of a computed line ("" for other kinds)
    measure: str  # "rate", "number" (reported quantity) or "yes_no"
    total: Cell  # the unit with its whole subtree, as stored in the snapshot
    direct: Cell | None  # the unit's own people (or itself): total minus the children (rates)
    children: dict[int, Cell]
    target: Target | None  # in force for the period (the last one once all have passed)
    projected: float | None
    gap: float | None
    status: Status | None  # None: no target to judge against

    @property
    def self_reported(self) -> bool:
        ind = self.indicator
        return ind.kind is Kind.REPORTED or (
            ind.kind is Kind.UNIT_LEVEL and ind.unit_level.condition is Condition.ATTESTED
        )

    @property
    def suffix(self) -> str:
        if self.measure == "rate":
            return "%"
        return self.indicator.reported.unit if self.measure == "number" else ""


@dataclass(frozen=True)
class UnitRow:
    id: int
    code: str
    name: str
    confirmed_at: datetime | None


@dataclass(frozen=True)
class PlanReport:
    plan: Plan
    unit: UnitRow
    parent_name: str
    place: str
    year: int
    period: maths.Period
    snapshot_id: int
    taken_at: datetime
    as_of: datetime
    lines: tuple[ReportLine, ...]
    children: tuple[UnitRow, ...]
    unit_types: dict[str, str]  # key -> name, for the notes on unit-level indicators
    counted: dict[str, tuple[str, ...]]  # unit-level code -> the unit types counted over
    # code -> (unit name, comment, evidence link) entered by the unit and the units below
    entries: dict[str, list[tuple[str, str, str]]]

    @property
    def has_direct(self) -> bool:
        """Whether anyone (or the unit itself) is counted in the unit, not below it."""
        return any(line.direct and line.direct.count.denominator for line in self.lines)


def _measure(ind: Indicator) -> str:
    if ind.kind is Kind.REPORTED and ind.reported.entry is Entry.NUMBER:
        return "number"
    if ind.kind is Kind.REPORTED and ind.reported.entry is Entry.YES_NO:
        return "yes_no"
    return "rate"


def _cell(v: SnapshotValue | None, measure: str) -> Cell:
    count = Count(v.numerator, v.denominator) if v else Count()
    return Cell(count, count.rate if measure == "rate" else (v.value if v else None))


def _judge(ind: Indicator, i: int, measure: str, actual: float | None, view, period, today):
    """(target, projected, gap, status) of a line against the target in force at the
    period's end (the last target once every deadline has passed)."""
    if measure == "yes_no":  # no targets: "yes" is met
        status = Status.NO_DATA if actual is None else (Status.MET if actual else Status.BEHIND)
        return None, None, None, status
    targets = ind.lines[i].targets if ind.kind is Kind.COMPUTED else ind.targets
    if not targets:
        return None, None, None, None
    in_force = maths.target_for(targets, period.end)
    target = in_force or max(targets, key=lambda t: t.deadline)
    projected = None
    if in_force is not None and actual is not None and actual < target.value:
        if ind.each_period:
            # Each year is held to the target on its own: the trend is projected to the
            # period's end, and a period that is over is met or behind, never on track.
            if today < period.end:
                number = measure == "number"
                projected = maths.project(
                    [(d, v) for d, v in view.trend if d <= today],
                    period.end,
                    origin=None if number else period.start,
                    cap=None if number else 100.0,
                )
        else:  # a level to reach by the deadline: the dashboard's projection
            projected = next(
                (
                    t.assessment.projected
                    for t in view.targets
                    if t.deadline == target.deadline and t.value == target.value
                ),
                None,
            )
    return (
        target,
        projected,
        maths.gap(actual, target.value),
        maths.status(actual, target.value, projected),
    )


def build_report(
    session: Session,
    key: str,
    unit_id: int,
    year: int,
    *,
    actor: Actor,
    now: datetime,
    refresh: bool = False,
    place: str = "",
) -> PlanReport:
    """A unit's report on one plan for reporting year `year`, every figure from the report
    snapshot (see `report_snapshot`). Raises NotFound for a plan or a unit out of scope."""
    unit = session.get(Unit, unit_id)
    if unit is None or not can_manage(actor, unit.path):
        raise NotFound(N_("Unit not found."))
    definition, plan = I.get_plan(session, key)
    snap = report_snapshot(session, key, year, now, refresh=refresh)
    period = plan.period(year)
    today = local_today(snap.as_of)
    views = D.dashboard(session, plan, snap, unit, today)
    # Children merged away since still appear when the snapshot counted them.
    children = session.scalars(
        select(Unit)
        .where(
            Unit.parent_id == unit.id,
            or_(
                Unit.archived_at.is_(None),
                exists().where(
                    SnapshotValue.snapshot_id == snap.id, SnapshotValue.unit_id == Unit.id
                ),
            ),
        )
        .order_by(Unit.name_folded, Unit.code)
    ).all()
    ids = [unit.id, *(c.id for c in children)]
    values = {
        (v.unit_id, v.code, v.line): v
        for v in session.scalars(
            select(SnapshotValue).where(
                SnapshotValue.snapshot_id == snap.id, SnapshotValue.unit_id.in_(ids)
            )
        )
    }
    lines = []
    for view in views:
        ind, i = view.indicator, view.line
        measure = _measure(ind)
        total = _cell(values.get((unit.id, ind.code, i)), measure)
        kids = {c.id: _cell(values.get((c.id, ind.code, i)), measure) for c in children}
        direct = None
        if measure == "rate":
            n = total.count.numerator - sum(k.count.numerator for k in kids.values())
            d = total.count.denominator - sum(k.count.denominator for k in kids.values())
            direct = Cell(Count(n, d), maths.rate(n, d))
        target, projected, gap, status = _judge(ind, i, measure, total.value, view, period, today)
        label = ind.lines[i].label if ind.kind is Kind.COMPUTED else ""
        lines.append(
            ReportLine(ind, i, label, measure, total, direct, kids, target, projected, gap, status)
        )
    confirmed = I.confirmations(session, key, year, ids)

    def as_row(u: Unit) -> UnitRow:
        c = confirmed.get(u.id)
        return UnitRow(u.id, u.code, u.name, c.confirmed_at if c else None)

    names = {unit.id: unit.name, **{c.id: c.name for c in children}}
    entries: dict[str, list[tuple[str, str, str]]] = {}
    for e in session.scalars(
        select(IndicatorEntry).where(
            IndicatorEntry.plan_key == key,
            IndicatorEntry.year == year,
            IndicatorEntry.unit_id.in_(ids),
        )
    ):
        if e.comment or e.evidence_url:
            item = (names[e.unit_id], e.comment or "", e.evidence_url or "")
            entries.setdefault(e.code, []).append(item)
    for items in entries.values():
        items.sort(key=lambda x: (x[0] != unit.name, x[0]))
    return PlanReport(
        plan=plan,
        unit=as_row(unit),
        parent_name=unit.parent.name if unit.parent else "",
        place=place or unit.name,
        year=year,
        period=period,
        snapshot_id=snap.id,
        taken_at=snap.taken_at,
        as_of=snap.as_of,
        lines=tuple(lines),
        children=tuple(as_row(c) for c in children),
        unit_types={t.key: t.name for t in session.scalars(select(UnitType))},
        counted={
            ind.code: I.unit_types_of(definition, ind)
            for ind in plan.indicators
            if ind.kind is Kind.UNIT_LEVEL
        },
        entries=entries,
    )


def build_reports(
    session: Session,
    unit_id: int,
    year: int,
    *,
    actor: Actor,
    now: datetime,
    keys: Sequence[str] | None = None,
    refresh: bool = False,
    place: str = "",
) -> list[PlanReport]:
    """One report per plan of `keys` (default: every plan), in that order."""
    keys = list(keys) if keys else [row.key for row, _plan in I.plans(session)]
    return [
        build_report(
            session, key, unit_id, year, actor=actor, now=now, refresh=refresh, place=place
        )
        for key in keys
    ]
