"""Indicator services: plan definitions (shipped, editable by admins), snapshots, what a
dashboard shows for a unit, reported figures and attestations, confirmations."""

from __future__ import annotations

import time as clock
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from quizapp.audit.services import record
from quizapp.errors import Conflict, Forbidden, Invalid, NotFound
from quizapp.i18n import N_
from quizapp.indicators import compute as C
from quizapp.indicators.core import DefinitionError, Entry, Indicator, Kind, Plan
from quizapp.indicators.definitions import parse_plan, plan_files
from quizapp.indicators.models import (
    Confirmation,
    IndicatorEntry,
    PlanDefinition,
    Snapshot,
    SnapshotValue,
)
from quizapp.orgs.models import Unit
from quizapp.policy import Actor, can_manage
from quizapp.timeutil import local_today

_parsed: dict[tuple[str, datetime], Plan] = {}


# --- definitions --------------------------------------------------------------------------


def load_shipped(session: Session, now: datetime, *, replace: bool = False) -> list[str]:
    """Store the shipped plan files (those not stored yet, or all with `replace`)."""
    done = []
    for path in plan_files():
        row = session.get(PlanDefinition, path.stem)
        text = path.read_text(encoding="utf-8")
        if row is None:
            session.add(PlanDefinition(key=path.stem, source=text, updated_at=now))
            done.append(path.stem)
        elif replace and row.source != text:
            row.source, row.updated_at, row.updated_by_id = text, now, None
            done.append(path.stem)
    session.flush()
    return done


def plans(session: Session) -> list[tuple[PlanDefinition, Plan]]:
    rows = session.scalars(select(PlanDefinition).order_by(PlanDefinition.key)).all()
    return [(row, parsed(row)) for row in rows]


def parsed(row: PlanDefinition) -> Plan:
    key = (row.key, row.updated_at)
    if key not in _parsed:
        _parsed[key] = parse_plan(row.source, f"{row.key}.yaml", expected_key=row.key)
    return _parsed[key]


def get_plan(session: Session, key: str) -> tuple[PlanDefinition, Plan]:
    row = session.get(PlanDefinition, key)
    if row is None:
        raise NotFound(N_("Plan not found."))
    return row, parsed(row)


def save_definition(
    session: Session, key: str, source: str, *, actor: Actor, now: datetime
) -> PlanDefinition:
    """An admin's edit of a plan file: validated whole (every problem with its line) before
    anything changes; past snapshots keep the figures they were computed with."""
    if not actor.is_admin:
        raise Forbidden(N_("Only administrators can change indicator definitions."))
    row, _plan = get_plan(session, key)
    try:
        parse_plan(source, f"{key}.yaml", expected_key=key)
    except DefinitionError as err:
        raise Invalid({"source": [p.render() for p in err.problems]}) from None
    before = row.updated_at
    row.source, row.updated_at, row.updated_by_id = source, now, actor.user_id
    session.flush()
    record(
        session,
        actor=actor,
        action="indicators.definition",
        object_type="plan",
        object_id=key,
        summary=key,
        before={"updated_at": before.isoformat()},
        after={"updated_at": now.isoformat()},
        now=now,
    )
    return row


def set_unit_types(
    session: Session, key: str, code: str, types: list[str], *, actor: Actor, now: datetime
) -> PlanDefinition:
    """Choose the unit types a unit-level indicator is counted over (admins and organisers
    of a top-level unit); an empty choice restores the file's default."""
    from quizapp.orgs.models import UnitType

    if not (actor.is_admin or any(p.count("/") == 2 for p in actor.managed_paths)):
        raise Forbidden(N_("Only administrators and provincial organisers can change this."))
    row, plan = get_plan(session, key)
    try:
        ind = plan.indicator(code)
    except KeyError:
        raise NotFound(N_("Indicator not found.")) from None
    if ind.kind is not Kind.UNIT_LEVEL:
        raise Invalid(
            {"unit_types": N_("Only share-of-units indicators are counted over unit types.")}
        )
    known = set(session.scalars(select(UnitType.key)))
    if any(t not in known for t in types):
        raise Invalid({"unit_types": N_("Unknown unit type.")})
    chosen = dict(row.unit_types or {})
    before = chosen.get(ind.code)
    if types:
        chosen[ind.code] = sorted(set(types))
    else:
        chosen.pop(ind.code, None)
    row.unit_types = chosen
    # A new definition version: report snapshots taken before are not reused.
    row.updated_at, row.updated_by_id = now, actor.user_id
    session.flush()
    record(
        session,
        actor=actor,
        action="indicators.unit_types",
        object_type="plan",
        object_id=key,
        summary=f"{key} {ind.code}",
        before={"unit_types": before},
        after={"unit_types": chosen.get(ind.code)},
        now=now,
    )
    return row


def unit_types_of(row: PlanDefinition, ind: Indicator) -> tuple[str, ...]:
    """The unit types a unit-level indicator is counted over now."""
    chosen = (row.unit_types or {}).get(ind.code)
    return tuple(chosen) if chosen else ind.unit_level.unit_types


# --- snapshots ----------------------------------------------------------------------------


def current_year(plan: Plan, now: datetime) -> int:
    return plan.period_of(local_today(now)).year


def refresh_snapshot(
    session: Session, key: str, year: int, *, actor: Actor, now: datetime
) -> Snapshot:
    """A snapshot of the whole tree asked for from the dashboard: by admins and provincial
    organisers only (it recomputes every unit of the province), at most one a minute, audited
    with who asked and when."""
    if not (actor.is_admin or any(p.count("/") == 2 for p in actor.managed_paths)):
        raise Forbidden(N_("Only administrators and provincial organisers can update the figures."))
    last = session.scalar(
        select(Snapshot.taken_at)
        .where(Snapshot.plan_key == key, Snapshot.year == year)
        .order_by(Snapshot.taken_at.desc())
        .limit(1)
    )
    if last is not None and last > now - timedelta(minutes=1):
        raise Conflict(N_("The figures were updated less than a minute ago."))
    snap = take_snapshot(session, key, year, now)
    record(
        session,
        actor=actor,
        action="indicators.snapshot",
        object_type="plan",
        object_id=key,
        unit_path=actor.managed_paths[0] if actor.managed_paths else "/",
        summary=f"{key} {year}",
        now=now,
    )
    return snap


def take_snapshot(
    session: Session, key: str, year: int, now: datetime, *, reason: str = "manual"
) -> Snapshot:
    """Compute every unit's values and store them (one INSERT of many rows)."""
    row, plan = get_plan(session, key)
    started = clock.perf_counter()
    values = C.compute(
        session,
        plan,
        year,
        now,
        unit_types={k: tuple(v) for k, v in (row.unit_types or {}).items()},
    )
    _start, as_of = C.bounds(plan, year, now)
    snap = Snapshot(
        plan_key=key,
        year=year,
        taken_at=now,
        as_of=as_of,
        reason=reason,
        definition_at=row.updated_at,
    )
    session.add(snap)
    session.flush()
    if values:
        session.execute(
            insert(SnapshotValue),
            [
                {
                    "snapshot_id": snap.id,
                    "unit_id": v.unit_id,
                    "code": v.code,
                    "line": v.line,
                    "numerator": v.numerator,
                    "denominator": v.denominator,
                    "value": v.value,
                }
                for v in values
            ],
        )
    snap.seconds = round(clock.perf_counter() - started, 3)
    session.flush()
    return snap


def latest_snapshot(session: Session, key: str, year: int) -> Snapshot | None:
    return session.scalar(
        select(Snapshot)
        .where(Snapshot.plan_key == key, Snapshot.year == year)
        .order_by(Snapshot.taken_at.desc(), Snapshot.id.desc())
        .limit(1)
    )


def snapshot_all(session: Session, now: datetime, *, reason: str = "monthly") -> list[Snapshot]:
    """A snapshot of the current year of every plan (the monthly job)."""
    return [
        take_snapshot(session, row.key, current_year(plan, now), now, reason=reason)
        for row, plan in plans(session)
    ]


def prune(session: Session, key: str, year: int, keep_after: datetime) -> int:
    """Drop manual snapshots of a year taken before `keep_after` (monthly and report
    snapshots are kept: they are the trend and the reports' evidence)."""
    ids = session.scalars(
        select(Snapshot.id).where(
            Snapshot.plan_key == key,
            Snapshot.year == year,
            Snapshot.reason == "manual",
            Snapshot.taken_at < keep_after,
        )
    ).all()
    if ids:
        session.execute(delete(SnapshotValue).where(SnapshotValue.snapshot_id.in_(ids)))
        session.execute(delete(Snapshot).where(Snapshot.id.in_(ids)))
    return len(ids)


# --- entries and confirmations -------------------------------------------------------------


def _check_unit(session: Session, unit_id: int, actor: Actor) -> Unit:
    unit = session.get(Unit, unit_id)
    if unit is None or not can_manage(actor, unit.path):
        raise NotFound(N_("Unit not found."))
    return unit


@dataclass(frozen=True)
class EntryData:
    value: float | None = None
    numerator: int | None = None
    denominator: int | None = None
    yes: bool | None = None
    comment: str = ""
    evidence_url: str = ""


def save_entry(
    session: Session,
    key: str,
    code: str,
    year: int,
    unit_id: int,
    data: EntryData,
    *,
    actor: Actor,
    now: datetime,
) -> IndicatorEntry:
    """A unit's reported figure or attestation for the year (replacing the previous one)."""
    _row, plan = get_plan(session, key)
    ind = plan.indicator(code)
    unit = _check_unit(session, unit_id, actor)
    errors: dict[str, str] = {}
    if ind.kind is Kind.COMPUTED:
        raise Invalid({"": N_("This indicator is computed by the platform.")})
    if data.evidence_url and not data.evidence_url.startswith(("https://", "http://")):
        errors["evidence_url"] = N_("The evidence link must start with https://.")
    if ind.kind is Kind.REPORTED:
        entry = ind.reported.entry
        if entry is Entry.NUMBER and (data.value is None or data.value < 0):
            errors["value"] = N_("Enter a number (0 or more).")
        if entry is Entry.PERCENTAGE:
            if data.numerator is None or data.denominator is None:
                errors["numerator"] = N_("Enter both counts.")
            elif not 0 <= data.numerator <= data.denominator:
                errors["numerator"] = N_("The count cannot exceed the total.")
        if entry is Entry.YES_NO and data.yes is None:
            errors["yes"] = N_("Answer yes or no.")
    elif data.yes is None:
        errors["yes"] = N_("Answer yes or no.")
    if errors:
        raise Invalid(errors)
    row = session.scalar(
        select(IndicatorEntry).where(
            IndicatorEntry.plan_key == key,
            IndicatorEntry.code == ind.code,
            IndicatorEntry.year == year,
            IndicatorEntry.unit_id == unit.id,
        )
    )
    if row is None:
        row = IndicatorEntry(plan_key=key, code=ind.code, year=year, unit_id=unit.id)
        session.add(row)
    for field in ("value", "numerator", "denominator", "yes", "comment", "evidence_url"):
        setattr(row, field, getattr(data, field))
    row.entered_by_id, row.entered_at = actor.user_id, now
    session.flush()
    record(
        session,
        actor=actor,
        action="indicators.entry",
        object_type="unit",
        object_id=unit.id,
        unit_path=unit.path,
        summary=f"{key} {ind.code} {year}",
        after={f: getattr(data, f) for f in ("value", "numerator", "denominator", "yes")},
        now=now,
    )
    return row


def confirm(
    session: Session,
    key: str,
    year: int,
    unit_id: int,
    *,
    actor: Actor,
    now: datetime,
    comment: str = "",
) -> Confirmation:
    """The organiser confirms their unit's figures for the year (the latest snapshot)."""
    unit = _check_unit(session, unit_id, actor)
    snap = latest_snapshot(session, key, year)
    row = session.scalar(
        select(Confirmation).where(
            Confirmation.plan_key == key, Confirmation.year == year, Confirmation.unit_id == unit.id
        )
    )
    if row is None:
        row = Confirmation(plan_key=key, year=year, unit_id=unit.id)
        session.add(row)
    row.snapshot_id = snap.id if snap else None
    row.confirmed_by_id, row.confirmed_at, row.comment = actor.user_id, now, comment
    session.flush()
    record(
        session,
        actor=actor,
        action="indicators.confirm",
        object_type="unit",
        object_id=unit.id,
        unit_path=unit.path,
        summary=f"{key} {year}",
        now=now,
    )
    return row


def confirmations(session: Session, key: str, year: int, unit_ids) -> dict[int, Confirmation]:
    return {
        c.unit_id: c
        for c in session.scalars(
            select(Confirmation).where(
                Confirmation.plan_key == key,
                Confirmation.year == year,
                Confirmation.unit_id.in_(list(unit_ids) or [0]),
            )
        )
    }


def entries_for(session: Session, key: str, year: int, unit_id: int) -> dict[str, IndicatorEntry]:
    return {
        e.code: e
        for e in session.scalars(
            select(IndicatorEntry).where(
                IndicatorEntry.plan_key == key,
                IndicatorEntry.year == year,
                IndicatorEntry.unit_id == unit_id,
            )
        )
    }
