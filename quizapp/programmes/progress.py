"""The rules of a study programme, as pure functions of facts: which lessons are open,
locked or waiting, when the programme counts as completed, when a completion expires and
what state a member is in (no database, no clock: `now` is given).

A *cycle* is one run through the programme. The first cycle has no start; after a
completion, the next cycle starts at that completion, so that a renewal needs checks passed
again. Renewal opens RENEWAL_WINDOW before the completion expires.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

RENEWAL_WINDOW = timedelta(days=30)


@dataclass(frozen=True)
class Rules:
    sequential: bool
    required_count: int | None  # None: every required lesson
    renewal_months: int | None


@dataclass(frozen=True)
class LessonRule:
    id: int
    position: int
    required: bool
    max_attempts: int | None
    retry_wait_s: int


@dataclass(frozen=True)
class CheckResult:
    """A submitted (graded) attempt at a lesson's check."""

    lesson_id: int
    submitted_at: datetime
    percent: Decimal
    passed: bool


@dataclass(frozen=True)
class CompletionFact:
    cycle: int
    completed_at: datetime
    expires_at: datetime | None


@dataclass(frozen=True)
class LessonState:
    lesson_id: int
    state: str  # passed, open, locked, waiting, exhausted, closed
    attempts: int
    best: Decimal | None
    passed_at: datetime | None
    wait_until: datetime | None


def add_months(moment: datetime, months: int) -> datetime:
    """The same day `months` later (the last day of the month when it has fewer days)."""
    month = moment.month - 1 + months
    year, month = moment.year + month // 12, month % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def expiry(completed_at: datetime, rules: Rules) -> datetime | None:
    return add_months(completed_at, rules.renewal_months) if rules.renewal_months else None


def latest(completions: list[CompletionFact]) -> CompletionFact | None:
    return max(completions, key=lambda c: c.cycle, default=None)


def cycle_start(completions: list[CompletionFact]) -> datetime | None:
    """Checks submitted after this moment count towards the next completion."""
    last = latest(completions)
    return last.completed_at if last else None


def is_valid(completion: CompletionFact | None, now: datetime) -> bool:
    return completion is not None and (completion.expires_at is None or now < completion.expires_at)


def renewal_opens(completion: CompletionFact | None) -> datetime | None:
    """When the member may work towards the next cycle (None: never needed)."""
    if completion is None:
        return None
    if completion.expires_at is None:
        return None
    return completion.expires_at - RENEWAL_WINDOW


def may_study(completions: list[CompletionFact], now: datetime) -> bool:
    """False while a completion is valid and its renewal window has not opened."""
    last = latest(completions)
    if last is None:
        return True
    opens = renewal_opens(last)
    return opens is not None and now >= opens


def lesson_states(
    rules: Rules,
    lessons: list[LessonRule],
    results: list[CheckResult],
    now: datetime,
    *,
    since: datetime | None = None,
) -> list[LessonState]:
    """The state of every lesson in the current cycle (results after `since` only)."""
    mine: dict[int, list[CheckResult]] = {}
    for r in sorted(results, key=lambda r: r.submitted_at):
        if since is None or r.submitted_at > since:
            mine.setdefault(r.lesson_id, []).append(r)
    out: list[LessonState] = []
    earlier_passed = True
    for lesson in sorted(lessons, key=lambda x: x.position):
        rs = mine.get(lesson.id, [])
        passes = [r for r in rs if r.passed]
        best = max((r.percent for r in rs), default=None)
        wait_until = None
        if passes:
            state, passed_at = "passed", passes[0].submitted_at
        else:
            passed_at = None
            if rules.sequential and not earlier_passed:
                state = "locked"
            elif lesson.max_attempts is not None and len(rs) >= lesson.max_attempts:
                state = "exhausted"
            elif (
                rs
                and lesson.retry_wait_s
                and now < rs[-1].submitted_at + timedelta(seconds=lesson.retry_wait_s)
            ):
                state = "waiting"
                wait_until = rs[-1].submitted_at + timedelta(seconds=lesson.retry_wait_s)
            else:
                state = "open"
        out.append(LessonState(lesson.id, state, len(rs), best, passed_at, wait_until))
        earlier_passed = earlier_passed and state == "passed"
    return out


def needed(rules: Rules, lessons: list[LessonRule]) -> int:
    """How many required lessons must be passed."""
    required = sum(1 for x in lessons if x.required)
    if rules.required_count is None:
        return required
    return min(rules.required_count, required)


def completed_at(
    rules: Rules, lessons: list[LessonRule], states: list[LessonState]
) -> datetime | None:
    """The moment the programme was completed in this cycle (the pass that reached the
    required number), or None."""
    required = {x.id for x in lessons if x.required}
    passes = sorted(s.passed_at for s in states if s.lesson_id in required and s.passed_at)
    k = needed(rules, lessons)
    if k == 0 or len(passes) < k:
        return None
    return passes[k - 1]


def progress(rules: Rules, lessons: list[LessonRule], states: list[LessonState]) -> int:
    """Percent of the way to completion (for progress bars)."""
    k = needed(rules, lessons)
    if k == 0:
        return 0
    required = {x.id for x in lessons if x.required}
    done = sum(1 for s in states if s.lesson_id in required and s.state == "passed")
    return min(100, done * 100 // k)


def member_status(
    completions: list[CompletionFact], started_this_cycle: bool, now: datetime
) -> str:
    """completed · in_progress · expired · not_started (the organiser's four states).

    A member renewing an expired completion is "in_progress"; one whose completion expired
    and who has not started again is "expired".
    """
    last = latest(completions)
    if is_valid(last, now):
        return "completed"
    if started_this_cycle:
        return "in_progress"
    return "expired" if last is not None else "not_started"
