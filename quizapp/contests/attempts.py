"""The attempt lifecycle after its start (`starting.py`): save answers, submit and grade,
sweep.

Time is the server's: deadline = min(start + time limit, round close). Saves are refused
after the deadline plus the round's grace period; an attempt past it is submitted with what
was saved, lazily on the next request or by `flask sweep-attempts`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload, lazyload

from quizapp import events
from quizapp.auth.models import User
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
from quizapp.contests.grading import Grade, grade
from quizapp.contests.models import Attempt, AttemptQuestion, Round
from quizapp.errors import Conflict, Invalid, NotFound
from quizapp.i18n import N_
from quizapp.ops import metrics

MAX_PREDICTION = 10_000_000


class AttemptClosed(Conflict):
    """The attempt is submitted (by the participant, or now because its time is up)."""


class OtherDevice(Conflict):
    """Another phone has taken the attempt over; this one may take it back on request."""

log = logging.getLogger(__name__)


def round_state(rnd: Round, now: datetime) -> str:
    """upcoming, open or closed (for a published contest)."""
    if now < rnd.opens_at:
        return "upcoming"
    return "open" if now < rnd.closes_at else "closed"


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


# Built once (loader options cost a tenth of a save to build): the round with the attempt,
# not its bank nor the 30 served questions.
_SAVE_LOADS = (lazyload(Attempt.questions), joinedload(Attempt.round).lazyload(Round.bank))


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
    # Only the answered position is read (not the 30 served questions), the round in the
    # same query (its grace time), and the question's content with the answered position:
    # this is the busiest write of a contest.
    attempt = session.get(Attempt, attempt_id, options=_SAVE_LOADS)
    if attempt is None or attempt.user_id != user.id:
        raise NotFound(N_("Attempt not found."))
    if attempt.status != "in_progress":
        raise AttemptClosed(N_("This attempt has already been submitted."))
    if expire_if_due(session, attempt, now):
        raise AttemptClosed(
            N_("Time is up: your attempt was submitted with the answers saved before the deadline.")
        )
    if device and attempt.device and device != attempt.device:
        raise OtherDevice(
            N_(
                "This attempt continues on another device. Your answers not yet sent are kept"
                " on this phone: continue here to send them."
            )
        )
    if prediction is not None:
        if not (attempt.round.prediction and 0 <= prediction <= MAX_PREDICTION):
            raise Invalid({"prediction": N_("Enter a whole number.")})
        attempt.prediction = prediction
    aq = None
    if position:
        row = session.execute(
            select(AttemptQuestion, QuestionVersion.content)
            .join(QuestionVersion, QuestionVersion.id == AttemptQuestion.version_id)
            .where(AttemptQuestion.attempt_id == attempt.id, AttemptQuestion.position == position)
        ).first()
        if row is None:
            raise Invalid({"position": N_("No such question.")})
        aq, content = row
        if posted is not None:
            try:
                aq.response = to_stored(from_dict(content), aq.option_order, posted)
                aq.choice_mask = choice_mask(aq.response)
            except BadAnswer:
                raise Invalid({"answer": N_("This answer does not fit the question.")}) from None
            aq.saved_at = now
        if flagged is not None:
            aq.flagged = flagged
    session.flush()
    metrics.ANSWER_SAVES.inc()
    return aq


def submit_attempt(
    session: Session, attempt_id: int, *, user: User, now: datetime, prediction: int | None = None
) -> Attempt:
    """Submit and grade. Idempotent: submitting a submitted attempt returns it unchanged.

    A submission that arrives once the time is up (the quiz page submits by itself at the
    deadline; the server's clock decides) is recorded as the time-out's, not the user's."""
    attempt = get_attempt(session, attempt_id, user)
    if attempt.status == "submitted":
        return attempt
    if expire_if_due(session, attempt, now):
        return attempt
    if prediction is not None:
        if not (0 <= prediction <= MAX_PREDICTION):
            raise Invalid({"prediction": N_("Enter a whole number.")})
        attempt.prediction = prediction
    by = "timeout" if now >= attempt.deadline_at else "user"
    _grade_and_close(session, attempt, now=now, by=by)
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
    if attempt.status != "submitted":  # a regrade is not a submission
        metrics.ATTEMPTS_SUBMITTED.labels(by).inc()
    attempt.status = "submitted"
    attempt.submitted_at = min(now, attempt.deadline_at + timedelta(seconds=attempt.round.grace_s))
    attempt.submitted_by = by
    session.flush()
    events.attempt_graded.send(attempt, session=session, now=now)


def regrade(session: Session, attempt: Attempt) -> None:
    """Grade a submitted attempt again (after an answer-key correction)."""
    submitted_at, by = attempt.submitted_at, attempt.submitted_by
    _grade_and_close(session, attempt, now=submitted_at, by=by)


def sweep(
    session: Session,
    now: datetime,
    *,
    batch: int = 500,
    on_batch: Callable[[], None] | None = None,
) -> int:
    """Submit every attempt whose time (plus grace) is over; safe to run every minute from cron.

    Walks the attempts in progress past their deadline by id (a keyset cursor), `batch` at a
    time, so it ends however many are still inside their grace period. `on_batch` is called
    after each batch (the CLI commits there, so a long sweep keeps what it has done). An
    attempt whose grading raises is rolled back to its savepoint, logged and left behind the
    cursor (not retried in this run); the sweep goes on. Returns how many were submitted.
    """
    done, cursor = 0, 0
    while True:
        rows = session.scalars(
            select(Attempt)
            .options(joinedload(Attempt.round))
            .where(Attempt.status == "in_progress", Attempt.deadline_at < now, Attempt.id > cursor)
            .order_by(Attempt.id)
            .limit(batch)
        ).all()
        if not rows:
            return done
        cursor = rows[-1].id
        for attempt in rows:
            if not is_due(attempt, now):
                continue
            try:
                with session.begin_nested():
                    _grade_and_close(session, attempt, now=now, by="timeout")
            except Exception:  # one bad attempt must not stop the others
                log.exception("sweep: attempt %s could not be graded; skipped", attempt.id)
                continue
            done += 1
        if on_batch is not None:
            on_batch()
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
