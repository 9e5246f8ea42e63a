"""Indicator maths (pure): rates, tree roll-up, reporting periods, projection and status."""

from __future__ import annotations

import math
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from fractions import Fraction
from typing import Protocol, TypeVar

from quizapp.i18n import N_

K = TypeVar("K")

# Rates are percentages (0-100) everywhere in this module, as the plans state their targets.
# A projection is compared with a small tolerance, since least squares is floating point;
# an actual rate (an exact division of two counts) is compared exactly.
EPSILON = 1e-9


# --- rates and roll-up ---------------------------------------------------------------------


def rate(numerator: int, denominator: int) -> float | None:
    """`numerator` as a percentage of `denominator`; None when there is nobody to count."""
    if denominator < 0 or numerator < 0:
        raise ValueError("counts cannot be negative")
    if denominator == 0:
        return None
    # int * 100 / int is one correctly rounded division: exact whenever the rate is, so that
    # 4 of 5 is exactly 80.0 and meets a target of 80.
    return numerator * 100 / denominator


@dataclass(frozen=True)
class Count:
    """How many of a population meet an indicator (numerator) out of how many (denominator)."""

    numerator: int = 0
    denominator: int = 0

    def __post_init__(self) -> None:
        if self.numerator < 0 or self.denominator < 0:
            raise ValueError("counts cannot be negative")

    def __add__(self, other: Count) -> Count:
        return Count(self.numerator + other.numerator, self.denominator + other.denominator)

    @property
    def rate(self) -> float | None:
        return rate(self.numerator, self.denominator)


def _as_count(value: Count | tuple[int, int]) -> Count:
    return value if isinstance(value, Count) else Count(*value)


def roll_up(
    values: Mapping[K, Count | tuple[int, int]], parents: Mapping[K, K | None]
) -> dict[K, Count]:
    """Totals per unit of its own count plus its whole subtree's, for every unit in `parents`.

    `values` holds each unit's own (numerator, denominator) — the people placed directly in it;
    `parents` maps every unit to its parent (None for a root). Numerators and denominators are
    summed up the tree, never the percentages averaged: a unit of 1,000 members weighs 100
    times a unit of 10. Raises ValueError for a value on an unknown unit, a parent missing from
    `parents`, or a cycle.
    """
    for unit in values:
        if unit not in parents:
            raise ValueError(f"unit {unit!r} has a value but is not in the tree")
    order = _children_first(parents)
    totals: dict[K, Count] = {unit: Count() for unit in parents}
    for unit, value in values.items():
        totals[unit] = totals[unit] + _as_count(value)
    for unit in order:
        parent = parents[unit]
        if parent is not None:
            totals[parent] = totals[parent] + totals[unit]
    return totals


def _children_first(parents: Mapping[K, K | None]) -> list[K]:
    """Units ordered so that every unit comes before its parent (reverse depth-first order)."""
    depth: dict[K, int] = {}
    for start in parents:
        chain: list[K] = []
        seen: set[K] = set()
        unit: K | None = start
        while unit is not None and unit not in depth:
            if unit in seen:
                raise ValueError(f"the unit tree has a cycle through {unit!r}")
            if unit not in parents:
                raise ValueError(f"parent {unit!r} is not in the tree")
            seen.add(unit)
            chain.append(unit)
            unit = parents[unit]
        base = -1 if unit is None else depth[unit]
        for offset, node in enumerate(reversed(chain), start=1):
            depth[node] = base + offset
    return sorted(parents, key=lambda u: depth[u], reverse=True)


def parse_path(path: str) -> tuple[int, ...]:
    """The unit ids of a materialised path "/1/7/42/", root first."""
    parts = path.strip("/").split("/")
    if path[:1] != "/" or path[-1:] != "/" or not all(p.isdigit() for p in parts):
        raise ValueError(f"not a materialised path: {path!r}")
    return tuple(int(p) for p in parts)


def roll_up_paths(
    values: Mapping[int, Count | tuple[int, int]], paths: Mapping[int, str]
) -> dict[int, Count]:
    """The same roll-up as `roll_up`, from materialised paths {unit_id: "/1/7/42/"}.

    Each path must end with its own unit's id and name only units present in `paths`.
    """
    parents: dict[int, int | None] = {}
    for unit, path in paths.items():
        ids = parse_path(path)
        if ids[-1] != unit:
            raise ValueError(f"path {path!r} does not end with unit {unit}")
        parents[unit] = ids[-2] if len(ids) > 1 else None
    return roll_up(values, parents)


def unit_level_counts(
    unit_types: Mapping[K, str], meeting: Collection[K], types: Collection[str]
) -> dict[K, Count]:
    """Per-unit counts for a unit-level indicator, ready for `roll_up`.

    A unit of one of `types` counts 1 in the denominator, and 1 in the numerator too when it is
    in `meeting` (it ran an activity, or its organiser attested the condition); other units
    count nothing themselves. Rolled up, a unit's rate is the share of its subtree's units of
    those types that meet the condition.
    """
    wanted = set(types)
    met = set(meeting)
    return {
        unit: Count(int(unit in met), 1) if type_key in wanted else Count()
        for unit, type_key in unit_types.items()
    }


# --- reporting periods -----------------------------------------------------------------------


@dataclass(frozen=True)
class DayMonth:
    """A day of the year without a year: DayMonth(15, 10) is "15/10", as plans write dates."""

    day: int
    month: int

    def __post_init__(self) -> None:
        try:
            date(2001, self.month, self.day)  # 2001: not a leap year, so 29/02 is refused
        except ValueError as err:
            raise ValueError(f"not a day and month: {self.day}/{self.month}") from err

    @classmethod
    def parse(cls, text: str) -> DayMonth:
        """From "15/10" (day first, as Vietnamese texts write it)."""
        day, sep, month = text.strip().partition("/")
        if not sep or not day.isdigit() or not month.isdigit():
            raise ValueError(f"not a day and month: {text!r}")
        return cls(int(day), int(month))

    def in_year(self, year: int) -> date:
        return date(year, self.month, self.day)

    def __str__(self) -> str:
        return f"{self.day:02d}/{self.month:02d}"


REPORT_DUE = DayMonth(15, 10)  # both plans: report "trước ngày 15/10" every year
YEAR_START = DayMonth(16, 10)  # so reporting year Y runs 16/10/(Y-1) to 15/10/Y


@dataclass(frozen=True)
class Period:
    """A reporting year: `year` names it by the calendar year it ends in; both days included."""

    year: int
    start: date
    end: date

    def __contains__(self, day: object) -> bool:
        return isinstance(day, date) and self.start <= day <= self.end

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


def _period_end(year: int, year_start: DayMonth) -> date:
    if (year_start.month, year_start.day) == (1, 1):
        return date(year, 12, 31)
    return year_start.in_year(year) - timedelta(days=1)


def reporting_period(year: int, year_start: DayMonth = YEAR_START) -> Period:
    """Reporting year `year`: from `year_start` in the previous year to the day before it.

    With the default 16/10, year 2026 is 16/10/2025 - 15/10/2026; with 01/01 it is the
    calendar year.
    """
    return Period(
        year, _period_end(year - 1, year_start) + timedelta(days=1), _period_end(year, year_start)
    )


def period_of(day: date, year_start: DayMonth = YEAR_START) -> Period:
    """The reporting period that contains `day`."""
    period = reporting_period(day.year, year_start)
    return period if day <= period.end else reporting_period(day.year + 1, year_start)


def report_due(year: int, due: DayMonth = REPORT_DUE) -> date:
    """The date the report for reporting year `year` is due."""
    return due.in_year(year)


def next_report_due(today: date, due: DayMonth = REPORT_DUE) -> date:
    """The next due date on or after `today` (today itself when the report is due today)."""
    this_year = due.in_year(today.year)
    return this_year if today <= this_year else due.in_year(today.year + 1)


def days_until_due(today: date, due: DayMonth = REPORT_DUE) -> int:
    """Days from `today` (a local date, Asia/Ho_Chi_Minh) to the next due date; 0 on the day."""
    return (next_report_due(today, due) - today).days


# --- targets, projection and status --------------------------------------------------------


class Status(StrEnum):
    MET = "met"
    ON_TRACK = "on_track"
    BEHIND = "behind"
    NO_DATA = "no_data"


STATUS_LABELS: dict[Status, str] = {
    Status.MET: N_("Met"),
    Status.ON_TRACK: N_("On track"),
    Status.BEHIND: N_("Behind"),
    Status.NO_DATA: N_("No data"),
}


def status(actual: float | None, target: float, projected: float | None = None) -> Status:
    """met when actual >= target; on_track when the projection reaches it; else behind.

    no_data when there is no actual value (nobody in the denominator, nothing reported).
    """
    if actual is None:
        return Status.NO_DATA
    if actual >= target:
        return Status.MET
    if projected is not None and projected >= target - EPSILON:
        return Status.ON_TRACK
    return Status.BEHIND


def gap(actual: float | None, target: float) -> float | None:
    """Target minus actual: positive is the shortfall, zero or negative means met or exceeded.

    Units are percentage points for rates. Sorting child units by gap, largest first, puts the
    ones furthest behind at the top.
    """
    return None if actual is None else target - actual


def still_needed(count: Count, target: float) -> int:
    """How many more people must be counted for `count` to reach `target` percent (0 if met)."""
    # Exact: the target as written (80, 95.5) times the denominator, rounded up.
    needed = math.ceil(Fraction(str(target)) * count.denominator / 100)
    return max(0, needed - count.numerator)


def project(
    trend: Iterable[tuple[date, float]],
    deadline: date,
    *,
    origin: date | None = None,
    cap: float | None = 100.0,
) -> float | None:
    """The value a trend reaches on `deadline`, by a least-squares line through its points.

    - No points: None.
    - One point: flat (the value itself). One observation says nothing about a direction, and
      inventing one would call a unit "on track" from a single snapshot.
    - `origin`: a date on which the value is known to be 0 — the period start for indicators
      counted inside the reporting period, whose count starts from nothing every year. It is
      added as a point, so one snapshot after the start already gives a slope. Do not pass it
      for cumulative indicators: their value did not start from 0.
    - Points on one date only: their mean, flat.
    The result is kept within [0, cap] (cap None: no upper bound, for counts such as articles).
    """
    points = [(d, float(v)) for d, v in trend]
    if not points:
        return None
    if origin is not None and all(d > origin for d, _ in points):
        points.append((origin, 0.0))
    base = min(d for d, _ in points)
    xs = [(d - base).days for d, _ in points]
    ys = [v for _, v in points]
    n = len(points)
    mean_x = sum(xs) / n
    mean_y = sum(ys) / n
    spread = sum((x - mean_x) ** 2 for x in xs)
    if spread == 0:
        value = mean_y
    else:
        slope = sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True)) / spread
        value = mean_y + slope * ((deadline - base).days - mean_x)
    value = max(0.0, value)
    return value if cap is None else min(cap, value)


@dataclass(frozen=True)
class Assessment:
    """One target judged on a trend: the actual value, the projection, the gap and the status."""

    target: float
    deadline: date
    actual: float | None
    as_of: date | None
    projected: float | None
    gap: float | None
    status: Status


def assess(
    trend: Iterable[tuple[date, float | None]],
    target: float,
    deadline: date,
    today: date,
    *,
    origin: date | None = None,
    cap: float | None = 100.0,
) -> Assessment:
    """Judge `target` (due `deadline`) on the values observed up to `today`.

    Only points on or before both `today` and `deadline` count: a 2025 target is judged on the
    value at its deadline even in a 2027 report. Points with no value (None) are skipped. The
    actual value is the latest point's; when the deadline is still ahead and the target is not
    met, the trend is projected to the deadline (see `project`) to tell on_track from behind.
    """
    cutoff = min(today, deadline)
    points = sorted(
        ((d, float(v)) for d, v in trend if v is not None and d <= cutoff), key=lambda p: p[0]
    )
    if not points:
        return Assessment(target, deadline, None, None, None, None, Status.NO_DATA)
    as_of, actual = points[-1]
    projected = None
    if actual < target and today < deadline:
        projected = project(points, deadline, origin=origin, cap=cap)
    return Assessment(
        target=target,
        deadline=deadline,
        actual=actual,
        as_of=as_of,
        projected=projected,
        gap=gap(actual, target),
        status=status(actual, target, projected),
    )


class Dated(Protocol):
    @property
    def deadline(self) -> date: ...


T = TypeVar("T", bound=Dated)


def target_for(targets: Sequence[T], on: date) -> T | None:
    """The target in force on `on`: the one with the earliest deadline not before it.

    For indicators whose target applies to every period up to its deadline ("mỗi năm ít nhất
    02 trào lưu" until 2025, then 05 until 2030), and for the "next target" shown on a
    dashboard. None once every deadline has passed.
    """
    upcoming = [t for t in targets if t.deadline >= on]
    return min(upcoming, key=lambda t: t.deadline) if upcoming else None
