"""The attempt lifecycle: start (or resume), save answers, submit and grade, sweep.

Time is the server's: deadline = min(start + time limit, round close). Saves are refused
after the deadline plus the round's grace period; an attempt past it is submitted with what
was saved, lazily on the next request or by `flask sweep-attempts`.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import func, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, lazyload

from quizapp.auth.models import User
from quizapp.auth.services import needs_guardian_consent
from quizapp.banks.core import Question
from quizapp.banks.models import QuestionVersion
from quizapp.banks.serial import from_dict
from quizapp.contests.display import (
    BadAnswer,
    DisplayQuestion,
    choice_mask,
    display,
    to_display,
    to_stored,
)
from quizapp.contests.draw import draw
from quizapp.contests.grading import Grade, grade
from quizapp.contests.models import Attempt, AttemptQuestion, Contest, Round
from quizapp.contests.services import round_items, round_pool
from quizapp.errors import Conflict, Forbidden, Invalid, NotFound
from quizapp.i18n import N_
from quizapp.orgs.models import Unit
from quizapp.policy import Actor, can_manage

MAX_PREDICTION = 10_000_000

# Called after an attempt is graded: hook(session, attempt, now). Certificates register
# here, so that contests do not depend on them.
SUBMIT_HOOKS: list = []
# Called before a new (non-preview) attempt is created: guard(session, round, user, now),
# raising to refuse. Study programmes register here (order of lessons, retries, waiting).
START_GUARDS: list = []


def round_state(rnd: Round, now: datetime) -> str:
    """upcoming, open or closed (for a published contest)."""
    if now < rnd.opens_at:
        return "upcoming"
    return "open" if now < rnd.closes_at else "closed"


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
        for guard in START_GUARDS:
            guard(session, rnd, user, now)
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
    except IntegrityError:
        winner = _in_progress(session, plan.round_id, plan.user_id)
        if winner is None:
            raise Conflict(N_("You have used all your attempts for this round.")) from None
        return winner
    return attempt


def get_attempt(session: Session, attempt_id: int, user: User) -> Attempt:
    attempt = session.get(Attempt, attempt_id)
    if attempt is None or attempt.user_id != user.id:
        raise NotFound(N_("Attempt not found."))
    return attempt


def is_due(attempt: Attempt, now: datetime) -> bool:
    """In progress with its time (plus grace) over: the next read submits it."""
    return attempt.status == "in_progress" and now > attempt.deadline_at + timedelta(
        seconds=attempt.round.grace_s
    )


def expire_if_due(session: Session, attempt: Attempt, now: datetime) -> bool:
    """Submit an attempt whose time (plus grace) is over; True when it was submitted now."""
    if not is_due(attempt, now):
        return False
    _grade_and_close(session, attempt, now=now, by="timeout")
    return True


def _versions(session: Session, attempt: Attempt) -> dict[int, Question]:
    """The served versions, with the round's answer-key corrections applied."""
    from quizapp.contests.regrade import corrected, round_corrections

    ids = [q.version_id for q in attempt.questions]
    rows = session.scalars(select(QuestionVersion).where(QuestionVersion.id.in_(ids)))
    fixes = round_corrections(session, attempt.round_id)
    return {v.id: corrected(from_dict(v.content), fixes.get(v.id)) for v in rows}


@dataclass(frozen=True)
class SlotView:
    """One position of an attempt as the quiz page shows it."""

    question: DisplayQuestion
    answer: dict
    flagged: bool
    saved: bool


def attempt_view(session: Session, attempt: Attempt) -> list[SlotView]:
    versions = _versions(session, attempt)
    out = []
    for aq in attempt.questions:
        q = versions[aq.version_id]
        out.append(
            SlotView(
                display(q, aq.position, aq.option_order),
                to_display(q, aq.option_order, aq.response),
                aq.flagged,
                aq.saved_at is not None,
            )
        )
    return out


def save_answer(
    session: Session,
    attempt_id: int,
    position: int,
    posted: dict | None,
    *,
    user: User,
    now: datetime,
    device: str = "",
    flagged: bool | None = None,
    prediction: int | None = None,
) -> AttemptQuestion | None:
    """Save one answer (display positions) the moment it is chosen. One small write.

    Raises Conflict when time is up (the attempt is then submitted) or when another device
    has taken the attempt over, Invalid for an answer that does not fit the question.
    """
    # Only the answered position is read (not the 30 served questions): this is the
    # busiest write of a contest.
    attempt = session.get(Attempt, attempt_id, options=[lazyload(Attempt.questions)])
    if attempt is None or attempt.user_id != user.id:
        raise NotFound(N_("Attempt not found."))
    if attempt.status != "in_progress":
        raise Conflict(N_("This attempt has already been submitted."))
    if expire_if_due(session, attempt, now):
        raise Conflict(
            N_("Time is up: your attempt was submitted with the answers saved before the deadline.")
        )
    if device and attempt.device and device != attempt.device:
        raise Conflict(
            N_("This attempt continues on another device. Reload the page to take it back here.")
        )
    if prediction is not None:
        if not (attempt.round.prediction and 0 <= prediction <= MAX_PREDICTION):
            raise Invalid({"prediction": N_("Enter a whole number.")})
        attempt.prediction = prediction
    aq = None
    if position:
        aq = session.scalar(
            select(AttemptQuestion).where(
                AttemptQuestion.attempt_id == attempt.id, AttemptQuestion.position == position
            )
        )
        if aq is None:
            raise Invalid({"position": N_("No such question.")})
        if posted is not None:
            version = session.get(QuestionVersion, aq.version_id)
            try:
                aq.response = to_stored(from_dict(version.content), aq.option_order, posted)
                aq.choice_mask = choice_mask(aq.response)
            except BadAnswer:
                raise Invalid({"answer": N_("This answer does not fit the question.")}) from None
            aq.saved_at = now
        if flagged is not None:
            aq.flagged = flagged
    session.flush()
    return aq


def submit_attempt(
    session: Session, attempt_id: int, *, user: User, now: datetime, prediction: int | None = None
) -> Attempt:
    """Submit and grade. Idempotent: submitting a submitted attempt returns it unchanged."""
    attempt = get_attempt(session, attempt_id, user)
    if attempt.status == "submitted":
        return attempt
    if expire_if_due(session, attempt, now):
        return attempt
    if prediction is not None:
        if not (0 <= prediction <= MAX_PREDICTION):
            raise Invalid({"prediction": N_("Enter a whole number.")})
        attempt.prediction = prediction
    _grade_and_close(session, attempt, now=now, by="user")
    return attempt


def _grade_and_close(session: Session, attempt: Attempt, *, now: datetime, by: str) -> None:
    from quizapp.contests.regrade import voided_versions

    versions = _versions(session, attempt)
    voided = voided_versions(session, attempt.round_id)
    total, maximum, correct = Decimal(0), Decimal(0), 0
    for aq in attempt.questions:
        q = versions[aq.version_id]
        g = grade(q, aq.response)
        if aq.version_id in voided and g.graded:  # a voided question: everyone gets the mark
            g = Grade(Decimal(1), q.mark)
        aq.fraction, aq.score = g.fraction, g.score
        if g.graded:
            maximum += q.mark
            total += g.score
            correct += g.correct
    attempt.score, attempt.max_score, attempt.correct_count = total, maximum, correct
    attempt.status = "submitted"
    attempt.submitted_at = min(now, attempt.deadline_at + timedelta(seconds=attempt.round.grace_s))
    attempt.submitted_by = by
    session.flush()
    for hook in SUBMIT_HOOKS:
        hook(session, attempt, now)


def regrade(session: Session, attempt: Attempt) -> None:
    """Grade a submitted attempt again (after an answer-key correction)."""
    submitted_at, by = attempt.submitted_at, attempt.submitted_by
    _grade_and_close(session, attempt, now=submitted_at, by=by)


def sweep(session: Session, now: datetime, *, batch: int = 500) -> int:
    """Submit every attempt whose time is over; safe to run every minute from cron."""
    done = 0
    while True:
        rows = session.scalars(
            select(Attempt)
            .where(Attempt.status == "in_progress", Attempt.deadline_at < now)
            .order_by(Attempt.deadline_at)
            .limit(batch)
        ).all()
        due = [a for a in rows if expire_if_due(session, a, now)]
        done += len(due)
        if len(rows) < batch:
            return done


def passed(attempt: Attempt) -> bool:
    if attempt.score is None or not attempt.max_score:
        return False
    return attempt.score * 100 >= attempt.max_score * attempt.round.pass_mark


def may_review_answers(attempt: Attempt, now: datetime) -> bool:
    review = attempt.round.review
    return (
        attempt.preview
        or review == "immediate"
        or (review == "after_close" and now >= attempt.round.closes_at)
    )


def review_rows(session: Session, attempt: Attempt) -> list[tuple[AttemptQuestion, Question]]:
    versions = _versions(session, attempt)
    return [(aq, versions[aq.version_id]) for aq in attempt.questions]


def my_attempts(session: Session, round_id: int, user_id: int) -> list[Attempt]:
    return list(
        session.scalars(
            select(Attempt)
            .where(
                Attempt.round_id == round_id, Attempt.user_id == user_id, Attempt.preview.is_(False)
            )
            .order_by(Attempt.number)
        )
    )


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
