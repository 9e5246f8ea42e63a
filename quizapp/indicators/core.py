"""Plan indicator definitions as frozen dataclasses (pure); loaded by definitions.py."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from quizapp.i18n import N_
from quizapp.indicators import maths
from quizapp.indicators.maths import DayMonth
from quizapp.indicators.yamlread import Problem
from quizapp.orgs.population import Population

# Populations whose roster rows carry an admission date (ngày vào Đoàn).
ADMITTED_POPULATIONS = frozenset({Population.MEMBER, Population.CADRE})


class Kind(StrEnum):
    COMPUTED = "computed"  # counted from the roster and the results of contests and programmes
    UNIT_LEVEL = "unit_level"  # share of units of some types that meet a condition
    REPORTED = "reported"  # entered by each unit's organiser: the platform cannot see it


KIND_LABELS: dict[Kind, str] = {
    Kind.COMPUTED: N_("Computed"),
    Kind.UNIT_LEVEL: N_("Share of units"),
    Kind.REPORTED: N_("Self-reported"),
}


class Mode(StrEnum):
    COMPLETION = "completion"  # completed one of the programmes
    PARTICIPATION = "participation"  # took part in a contest drawing on one of the banks
    EITHER = "either"  # one or the other


class Window(StrEnum):
    PERIOD = "period"  # the completion or participation falls inside the reporting period
    CUMULATIVE = "cumulative"  # on or before the period's last day (completions still valid)


class Condition(StrEnum):
    ACTIVITY = "activity"  # people of the unit took part in a contest or programme in the period
    ATTESTED = "attested"  # the unit's organiser attests the statement for the period


class Entry(StrEnum):
    NUMBER = "number"  # one quantity, in `unit`
    PERCENTAGE = "percentage"  # two counts (numerator, denominator); the rate is computed
    YES_NO = "yes_no"


class DefinitionError(ValueError):
    """A definition file has problems; each names the file, the line and what is wrong."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        # A YAML alias (*an-toan-thong-tin) is read once per use: report its defects once.
        unique = {p.render(): p for p in problems}.values()
        self.problems = tuple(sorted(unique, key=lambda p: (p.file, p.line or 0)))
        super().__init__("\n".join(p.render() for p in self.problems))


@dataclass(frozen=True)
class Target:
    """`value` to reach by `deadline`, as set by plan item `code`.

    A percentage for computed, unit-level and reported-percentage indicators; a quantity in the
    reported unit ("bài viết/tuần") for reported numbers.
    """

    code: str
    value: float
    deadline: date


@dataclass(frozen=True)
class Activity:
    """What a person must have done to count in a computed line's numerator."""

    mode: Mode
    programmes: tuple[str, ...] = ()  # programme keys; completing any one counts
    contests: tuple[str, ...] = ()  # bank keys; a round drawing on any one counts
    window: Window = Window.PERIOD


@dataclass(frozen=True)
class Line:
    """One population of a computed indicator, with its own targets (1.6 has four)."""

    label: str
    population: tuple[Population, ...]  # a person in any of these categories is counted
    activity: Activity
    targets: tuple[Target, ...]
    admitted_in_period: bool = False  # only members admitted inside the reporting period
    line: int = 0


@dataclass(frozen=True)
class UnitLevel:
    """How a unit-level indicator decides whether one unit meets its condition."""

    unit_types: tuple[str, ...]  # the shipped default; an organiser may choose others
    condition: Condition
    attestation: str = ""  # attested: the statement the organiser confirms (Vietnamese)
    population: tuple[Population, ...] = ()  # activity: who counts as a participant (all)
    programmes: tuple[str, ...] = ()  # activity: which programmes count (any)
    contests: tuple[str, ...] = ()  # activity: contests drawing on which banks count (any)
    min_participants: int = 1


@dataclass(frozen=True)
class Reported:
    """What each reporting unit's organiser enters per period."""

    entry: Entry
    prompt: str  # the question put to the organiser (Vietnamese)
    unit_types: tuple[str, ...]  # which units report it
    unit: str = ""  # number: what the number counts ("bài viết/tuần")
    numerator: str = ""  # percentage: label of the counted number
    denominator: str = ""  # percentage: label of the base it is counted out of


@dataclass(frozen=True)
class PlanItem:
    """A numbered item of the plan, quoted verbatim."""

    code: str
    text: str


@dataclass(frozen=True)
class Indicator:
    """One indicator: the plan items it carries (1.6 and 2.6), and how it is measured."""

    items: tuple[PlanItem, ...]
    title: str
    kind: Kind
    lines: tuple[Line, ...] = ()  # computed
    unit_level: UnitLevel | None = None
    reported: Reported | None = None
    targets: tuple[Target, ...] = ()  # unit_level and reported (computed: per line)
    each_period: bool = False  # the target applies to every period up to its deadline
    note: str = ""  # printed with the indicator in reports (Vietnamese)
    line: int = 0

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(item.code for item in self.items)

    @property
    def code(self) -> str:
        """The first code: the indicator's identity within its plan."""
        return self.items[0].code

    @property
    def label(self) -> str:
        """All codes, as reports print them: "1.6 / 2.6"."""
        return " / ".join(self.codes)

    def text_of(self, code: str) -> str:
        for item in self.items:
            if item.code == code:
                return item.text
        raise KeyError(code)

    @property
    def all_targets(self) -> tuple[Target, ...]:
        if self.kind is Kind.COMPUTED:
            return tuple(t for line in self.lines for t in line.targets)
        return self.targets


@dataclass(frozen=True)
class Review:
    """A review the plan schedules (sơ kết, tổng kết)."""

    date: date
    label: str


@dataclass(frozen=True)
class Plan:
    key: str
    title: str
    issuer: str
    number: str | None  # số hiệu, None when the copy we hold leaves it blank
    date: date | None  # ngày ban hành
    report_due: DayMonth
    year_start: DayMonth
    indicators: tuple[Indicator, ...]
    implements: str = ""
    reviews: tuple[Review, ...] = ()
    note: str = ""
    file: str = ""

    def indicator(self, code: str) -> Indicator:
        """The indicator carrying `code` (either of a pair: "1.6" and "2.6" give the same)."""
        for indicator in self.indicators:
            if code in indicator.codes:
                return indicator
        raise KeyError(code)

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(code for indicator in self.indicators for code in indicator.codes)

    def period(self, year: int) -> maths.Period:
        return maths.reporting_period(year, self.year_start)

    def period_of(self, day: date) -> maths.Period:
        return maths.period_of(day, self.year_start)

    def days_until_due(self, today: date) -> int:
        return maths.days_until_due(today, self.report_due)
