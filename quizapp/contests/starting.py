"""Starting an attempt (or resuming the one in progress): who may take part, the checks,
the draw, and the writes, in two phases — `plan_start` reads and draws, `insert_planned`
writes — so that a view can read outside the write lock and hold it only to insert."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from quizapp import events
from quizapp.auth.models import User
from quizapp.auth.services import needs_guardian_consent
from quizapp.contests.attempts import expire_if_due, round_state
from quizapp.contests.draw import draw
from quizapp.contests.models import Attempt, AttemptQuestion, Contest, Round
from quizapp.contests.services import round_items, round_pool
from quizapp.errors import Conflict, Forbidden, NotFound
from quizapp.i18n import N_
from quizapp.ops import metrics
from quizapp.orgs.models import Unit
from quizapp.policy import Actor, can_manage
from quizapp.rights.services import consent_withdrawn


def ineligible_reason(session: Session, contest: Contest, user: User) -> str | None:
    """Why this account may not take part (an English msgid), or None."""
    member = user.member
    if member is None or not member.active:
        return N_("Only members on a unit's roster can take part. Register as a member first.")
    if contest.eligibility == "subtree":
        if not member.unit.path.startswith(contest.owner_unit.path):
            return N_("This contest is for the members of %(unit)s.")
    elif contest.eligibility == "units":
        paths = [
            u.path
            for u in session.scalars(select(Unit).where(Unit.id.in_(contest.unit_ids or [0])))
        ]
        if not any(member.unit.path.startswith(p) for p in paths):
            return N_("Your unit is not taking part in this contest.")
    if contest.populations and not (set(contest.populations) & member.population):
        return N_("This contest is for other population categories.")
    return None


def _finished_count(session: Session, round_id: int, user_id: int) -> int:
    return (
        session.scalar(
            select(func.count()).where(
                Attempt.round_id == round_id, Attempt.user_id == user_id, Attempt.preview.is_(False)
            )
        )
        or 0
    )


def _in_progress(session: Session, round_id: int, user_id: int) -> Attempt | None:
    return session.scalar(
        select(Attempt).where(
            Attempt.round_id == round_id,
            Attempt.user_id == user_id,
            Attempt.status == "in_progress",
        )
    )


@dataclass(frozen=True)
class PlannedStart:
    """A new attempt decided and drawn, not yet written (see `plan_start`)."""

    round_id: int
    user_id: int
    member_id: int | None
    unit_id: int | None
    number: int
    preview: bool
    seed: int
    started_at: datetime
    deadline_at: datetime
    device: str
    drawn: tuple


def start_attempt(
    session: Session,
    round_id: int,
    *,
    user: User,
    actor: Actor,
    now: datetime,
    device: str = "",
    preview: bool = False,
) -> Attempt:
    """Start a new attempt or resume the one in progress (the calling device takes it over).

    Raises Forbidden when the member may not take part, Conflict when the round is not open
    or no attempts are left. Safe under concurrency: the database allows one attempt in
    progress per person and round and one attempt per number, so parallel starts converge
    on the same attempt.
    """
    plan = plan_start(
        session, round_id, user=user, actor=actor, now=now, device=device, preview=preview
    )
    if isinstance(plan, Attempt):
        return plan
    return insert_planned(session, plan)


def plan_start(
    session: Session,
    round_id: int,
    *,
    user: User,
    actor: Actor,
    now: datetime,
    device: str = "",
    preview: bool = False,
    resume: bool = True,
) -> Attempt | PlannedStart | None:
    """Every check of a start, and the draw, without writing: the new attempt to insert, or
    the attempt in progress (resumed: it may write, moving it to this device or submitting
    it when its time is over). With `resume=False` an attempt in progress gives None
    instead, so that a caller reading outside a write transaction starts again in one."""
    rnd = session.get(Round, round_id)
    if rnd is None:
        raise NotFound(N_("Round not found."))
    contest = rnd.contest
    if not resume and (contest.kind != "contest" or rnd.pool is None):
        # A programme's check may enrol the member (its guard writes); a draft's preview
        # freezes the pool: both start in a write transaction from the beginning.
        return None
    if preview:
        if not can_manage(actor, contest.owner_unit.path):
            raise Forbidden(N_("Only the contest's organisers can preview it."))
    else:
        if contest.status != "published":
            raise Conflict(N_("This contest is not open."))
        state = round_state(rnd, now)
        if state != "open":
            raise Conflict(
                N_("This round is not open now.")
                if state == "upcoming"
                else N_("This round has closed.")
            )
        reason = ineligible_reason(session, contest, user)
        if reason:
            raise Forbidden(reason, unit=contest.owner_unit.name)
        if needs_guardian_consent(user.member, now):
            raise Forbidden(
                N_(
                    "Participants under 16 need the recorded consent of a parent "
                    "or guardian first. Ask your organiser."
                )
            )
        if user.member is not None and consent_withdrawn(session, user.member_id):
            raise Forbidden(
                N_(
                    "You have withdrawn your consent to the processing of your personal "
                    "data, so you cannot take part any more."
                )
            )
    current = _in_progress(session, rnd.id, user.id)
    if current is not None:
        if not resume:
            return None
        if expire_if_due(session, current, now):
            current = None
        else:
            current.device = device or current.device
            session.flush()
            return current
    if not preview:
        # A receiver refuses by raising (study programmes: order of lessons, retries).
        events.attempt_starting.send(rnd, session=session, user=user, now=now)
    done = _finished_count(session, rnd.id, user.id)
    if not preview and done >= rnd.attempts_allowed:
        raise Conflict(N_("You have used all your attempts for this round."))
    number = 1 + (
        session.scalar(
            select(func.max(Attempt.number)).where(
                Attempt.round_id == rnd.id, Attempt.user_id == user.id
            )
        )
        or 0
    )
    if rnd.pool is None:  # previews of draft contests draw from the live bank
        from quizapp.contests.services import freeze_pool

        freeze_pool(session, rnd)
    seed = secrets.randbits(31)
    drawn = draw(
        round_pool(rnd),
        round_items(rnd),
        rnd.fixed_versions or [],
        seed=seed,
        shuffle_questions=rnd.shuffle_questions,
        shuffle_options=rnd.shuffle_options,
    )
    limit_end = now + timedelta(seconds=rnd.time_limit_s)
    return PlannedStart(
        round_id=rnd.id,
        user_id=user.id,
        member_id=user.member_id,
        unit_id=user.member.unit_id if user.member else None,
        number=number,
        preview=preview,
        seed=seed,
        started_at=now,
        deadline_at=limit_end if preview else min(limit_end, rnd.closes_at),
        device=device,
        drawn=tuple(drawn),
    )


def insert_planned(session: Session, plan: PlannedStart) -> Attempt:
    """Write a planned attempt: one row, then its served questions in one multi-row INSERT
    (the unit of work would flush thirty objects one by one: a third of a start's time,
    measured by `make bench`). Short, so that on SQLite the write lock is held briefly. If a
    parallel start of the same person won (same number, or an attempt already in progress:
    unique indexes), that attempt is returned."""
    attempt = Attempt(
        round_id=plan.round_id,
        user_id=plan.user_id,
        member_id=plan.member_id,
        unit_id=plan.unit_id,
        number=plan.number,
        preview=plan.preview,
        seed=plan.seed,
        started_at=plan.started_at,
        deadline_at=plan.deadline_at,
        device=plan.device,
        question_count=len(plan.drawn),
    )
    try:
        with session.begin_nested():
            session.add(attempt)
            session.flush()
            session.execute(
                insert(AttemptQuestion),
                [
                    {
                        "attempt_id": attempt.id,
                        "position": i + 1,
                        "version_id": d.version_id,
                        "option_order": list(d.option_order),
                        "flagged": False,
                    }
                    for i, d in enumerate(plan.drawn)
                ],
            )
        session.expire(attempt, ["questions"])  # read back on first use
        metrics.attempt_started(plan.preview)
    except IntegrityError:
        winner = _in_progress(session, plan.round_id, plan.user_id)
        if winner is None:
            raise Conflict(N_("You have used all your attempts for this round.")) from None
        return winner
    return attempt


def open_contests_for(session: Session, user: User, now: datetime) -> list[Contest]:
    """Published contests this member may take part in (for the home page)."""
    contests = session.scalars(
        select(Contest)
        .where(Contest.status == "published", Contest.kind == "contest")
        .order_by(Contest.created_at.desc())
    ).all()
    return [
        c
        for c in contests
        if ineligible_reason(session, c, user) is None
        and any(round_state(r, now) != "closed" for r in c.rounds)
    ]
