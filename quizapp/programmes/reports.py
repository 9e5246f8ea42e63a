"""The organiser's view of a programme: the state of every enrolled member in a subtree,
per child unit (lagging units first), the list to follow up and completions over time."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import exists, func, select
from sqlalchemy.orm import Session

from quizapp.contests.models import Attempt
from quizapp.orgs.models import Member, MemberCategory, Unit
from quizapp.programmes import progress as P
from quizapp.programmes.models import Completion, Enrolment, Programme
from quizapp.timeutil import local_today

STATUSES = ("not_started", "in_progress", "completed", "expired")


@dataclass(frozen=True)
class MemberProgress:
    member_id: int
    name: str
    phone: str | None
    unit_id: int
    unit_name: str
    unit_path: str
    status: str
    passed: int  # lessons passed in the current cycle (in the completed one once completed)
    completed_at: datetime | None
    expires_at: datetime | None


@dataclass(frozen=True)
class UnitProgress:
    unit: Unit | None  # None for the totals row
    enrolled: int
    not_started: int
    in_progress: int
    completed: int
    expired: int
    direct: bool = False  # the members on the scope unit's own roster

    @property
    def rate(self) -> float | None:
        return self.completed * 100 / self.enrolled if self.enrolled else None


def member_progress(
    session: Session,
    programme: Programme,
    scope: Unit,
    now: datetime,
    *,
    status: str | None = None,
    population: str | None = None,
) -> list[MemberProgress]:
    """Every enrolled, active member of the scope's subtree with their state. `status` may be
    one of STATUSES or "not_completed". Four queries, whatever the number of members."""
    stmt = (
        select(Member.id, Member.full_name, Member.phone, Unit.id, Unit.name, Unit.path)
        .join(Enrolment, Enrolment.member_id == Member.id)
        .join(Unit, Unit.id == Member.unit_id)
        .where(
            Enrolment.programme_id == programme.id,
            Member.active.is_(True),
            Unit.path.startswith(scope.path),
        )
        .order_by(Unit.path, Member.name_folded)
    )
    if population:
        stmt = stmt.where(
            exists().where(
                MemberCategory.member_id == Member.id, MemberCategory.category == population
            )
        )
    rows = session.execute(stmt).all()
    in_scope = (
        select(Member.id)
        .join(Unit, Unit.id == Member.unit_id)
        .where(Unit.path.startswith(scope.path))
    )
    latest: dict[int, P.CompletionFact] = {}
    for member_id, cycle, done, expires in session.execute(
        select(
            Completion.member_id, Completion.cycle, Completion.completed_at, Completion.expires_at
        ).where(Completion.programme_id == programme.id, Completion.member_id.in_(in_scope))
    ):
        if member_id not in latest or cycle > latest[member_id].cycle:
            latest[member_id] = P.CompletionFact(cycle, done, expires)
    rounds = {x.round_id: x for x in programme.lessons}
    started: dict[int, datetime] = dict(
        session.execute(
            select(Attempt.member_id, func.max(Attempt.started_at))
            .where(
                Attempt.round_id.in_(list(rounds) or [0]),
                Attempt.preview.is_(False),
                Attempt.member_id.in_(in_scope),
            )
            .group_by(Attempt.member_id)
        ).all()
    )
    passes: dict[int, set[int]] = {}  # in the current cycle
    done_passes: dict[int, set[int]] = {}  # up to the latest completion
    for member_id, round_id, submitted_at, score, maximum in session.execute(
        select(
            Attempt.member_id,
            Attempt.round_id,
            Attempt.submitted_at,
            Attempt.score,
            Attempt.max_score,
        ).where(
            Attempt.round_id.in_(list(rounds) or [0]),
            Attempt.preview.is_(False),
            Attempt.status == "submitted",
            Attempt.max_score > 0,
            Attempt.member_id.in_(in_scope),
        )
    ):
        since = latest[member_id].completed_at if member_id in latest else None
        bucket = done_passes if since is not None and submitted_at <= since else passes
        if score * 100 >= maximum * rounds[round_id].round.pass_mark:
            bucket.setdefault(member_id, set()).add(round_id)
    out = []
    for member_id, name, phone, unit_id, unit_name, unit_path in rows:
        last = latest.get(member_id)
        since = last.completed_at if last else None
        began = started.get(member_id)
        state = P.member_status(
            [last] if last else [], began is not None and (since is None or began > since), now
        )
        if status == "not_completed" and state == "completed":
            continue
        if status in STATUSES and state != status:
            continue
        out.append(
            MemberProgress(
                member_id,
                name,
                phone,
                unit_id,
                unit_name,
                unit_path,
                state,
                len((done_passes if state == "completed" else passes).get(member_id, ())),
                last.completed_at if last else None,
                last.expires_at if last else None,
            )
        )
    return out


def unit_progress(
    session: Session,
    programme: Programme,
    scope: Unit,
    now: datetime,
    *,
    population: str | None = None,
) -> list[UnitProgress]:
    """One row per child unit of `scope` (its whole subtree counted), plus the scope's own
    roster when it has members; lowest completion rate first."""
    children = session.scalars(
        select(Unit)
        .where(Unit.parent_id == scope.id, Unit.archived_at.is_(None))
        .order_by(Unit.name)
    ).all()
    counts: dict[int, Counter] = {c.id: Counter() for c in children}
    direct: Counter = Counter()
    for m in member_progress(session, programme, scope, now, population=population):
        # The child is the path's next segment after the scope's ("/1/7/" + "42/…").
        rest = m.unit_path[len(scope.path) :]
        child_id = int(rest.split("/", 1)[0]) if rest else None
        counts.get(child_id, direct)[m.status] += 1
    rows = [_row(c, counts[c.id]) for c in children]
    if sum(direct.values()):
        rows.append(_row(scope, direct, direct=True))
    rows.sort(key=lambda r: (r.rate if r.rate is not None else 101, r.unit.name))
    return rows


def _row(unit: Unit | None, c: Counter, direct: bool = False) -> UnitProgress:
    return UnitProgress(
        unit,
        sum(c[s] for s in STATUSES),
        c["not_started"],
        c["in_progress"],
        c["completed"],
        c["expired"],
        direct,
    )


def totals(rows: list[UnitProgress]) -> UnitProgress:
    """Sums of the rows (rates are recomputed from the sums, never averaged)."""
    c = Counter()
    for r in rows:
        for s in STATUSES:
            c[s] += getattr(r, s)
    return _row(None, c)


def completions_over_time(
    session: Session, programme: Programme, scope: Unit, now: datetime
) -> list[tuple[date, int]]:
    """Cumulative number of members of the subtree with a completion, day by day over the
    study period up to today (at most 400 points)."""
    rows = session.scalars(
        select(Completion.completed_at)
        .join(Unit, Unit.id == Completion.unit_id)
        .where(
            Completion.programme_id == programme.id,
            Completion.cycle == 1,
            Unit.path.startswith(scope.path),
        )
    ).all()
    per_day = Counter(local_today(x) for x in rows)
    start = local_today(programme.starts_at)
    end = min(local_today(programme.ends_at), local_today(now))
    if end < start:
        return []
    step = max(1, ((end - start).days + 1) // 400 + 1)
    series, total, day = [], 0, start
    before = sum(n for d, n in per_day.items() if d < start)
    total = before
    while day <= end:
        total += sum(per_day.get(day + timedelta(days=i), 0) for i in range(step))
        series.append((day, total))
        day += timedelta(days=step)
    return series
