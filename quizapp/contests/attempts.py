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

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session, joinedload

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


def load_attempt(
    session: Session,
    attempt_id: int,
    user: User,
    now: datetime,
    *,
    before_write: Callable[[], None] | None = None,
) -> Attempt:
    """The user's attempt, submitted first if its time (plus grace) is up, as the quiz page
    and the API load it. Submitting writes: `before_write` is called first (a GET request
    passes `db.write_now`, which ends its read transaction and asks for the write lock),
    then the attempt is read again."""
    attempt = get_attempt(session, attempt_id, user)
    if is_due(attempt, now):
        if before_write is not None:
            before_write()
        attempt = get_attempt(session, attempt_id, user)
        expire_if_due(session, attempt, now)
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


# Versions never change once written (an edit makes a new version; a key correction is a
# separate row applied when grading), so a parsed question is kept per process by its id and
# content hash (the hash too, so that an id a rolled-back or deleted version leaves free and
# another one takes never finds the other's question): the save checks the answer's shape
# against it without reading or decoding its content.
_PARSED_MAX = 4096
_parsed: dict[tuple[int, str], Question] = {}


def served_question(session: Session, version_id: int, content_hash: str) -> Question:
    """The question of a version as written (no key corrections): for an answer's shape."""
    key = (version_id, content_hash)
    q = _parsed.get(key)
    if q is None:
        q = from_dict(session.scalar(select(QuestionVersion.content).filter_by(id=version_id)))
        if len(_parsed) >= _PARSED_MAX:
            _parsed.clear()
        _parsed[key] = q
    return q


# The one read of an answer save: the attempt's state, its round's grace period and
# prediction switch, and the answered position (none for a save of the prediction alone).
# Columns, not entities: nothing is loaded that the save does not read.
_AT, _RD, _AQ = Attempt.__table__.c, Round.__table__.c, AttemptQuestion.__table__.c
_QV = QuestionVersion.__table__.c
_SAVE_READ = (  # of the tables, not the mapped classes: a Core statement, no ORM context
    select(
        _AT.user_id,
        _AT.status,
        _AT.device,
        _AT.deadline_at,
        _RD.grace_s,
        _RD.prediction,
        _AQ.id.label("aq_id"),
        _AQ.version_id,
        _AQ.option_order,
        _QV.content_hash,
    )
    .select_from(Attempt.__table__.join(Round.__table__, _RD.id == _AT.round_id))
    .outerjoin(
        AttemptQuestion.__table__,
        (_AQ.attempt_id == _AT.id) & (_AQ.position == bindparam("position")),
    )
    .outerjoin(QuestionVersion.__table__, _QV.id == _AQ.version_id)
    .where(_AT.id == bindparam("attempt_id"))
)


# The save's writes, built once. The answer (the busiest write of a contest) is a Core UPDATE
# of the table, which skips the ORM's bulk-update bookkeeping (a tenth of a save); an object
# of that row the session already holds (a page that saves, then submits) is expired after it
# (`_forget_held`). The rare flag and prediction writes are ORM statements, which synchronise
# such objects themselves.
_STORE_ANSWER = (
    AttemptQuestion.__table__.update()
    .where(_AQ.id == bindparam("aq_id"))
    .values(
        response=bindparam("v_response", type_=_AQ.response.type),
        choice_mask=bindparam("v_mask"),
        saved_at=bindparam("v_saved_at", type_=_AQ.saved_at.type),
    )
)
_STORE_FLAG = (
    update(AttemptQuestion)
    .where(AttemptQuestion.id == bindparam("aq_id"))
    .values(flagged=bindparam("v"))
)
_STORE_PREDICTION = (
    update(Attempt).where(Attempt.id == bindparam("attempt_id")).values(prediction=bindparam("v"))
)


def _forget_held(session: Session, aq_id: int) -> None:
    held = session.identity_map.get(session.identity_key(AttemptQuestion, aq_id))
    if held is not None:
        session.expire(held, ["response", "choice_mask", "saved_at"])


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
) -> None:
    """Save one answer (display positions) the moment it is chosen: one read, one UPDATE.

    Raises Conflict when time is up (the attempt is then submitted) or when another device
    has taken the attempt over, Invalid for an answer that does not fit the question.
    """
    row = session.execute(_SAVE_READ, {"attempt_id": attempt_id, "position": position}).first()
    if row is None or row.user_id != user.id:
        raise NotFound(N_("Attempt not found."))
    if row.status != "in_progress":
        raise AttemptClosed(N_("This attempt has already been submitted."))
    if now > row.deadline_at + timedelta(seconds=row.grace_s):
        expire_if_due(session, get_attempt(session, attempt_id, user), now)
        raise AttemptClosed(
            N_("Time is up: your attempt was submitted with the answers saved before the deadline.")
        )
    if device and row.device and device != row.device:
        raise OtherDevice(
            N_(
                "This attempt continues on another device. Your answers not yet sent are kept"
                " on this phone: continue here to send them."
            )
        )
    if prediction is not None:
        if not (row.prediction and 0 <= prediction <= MAX_PREDICTION):
            raise Invalid({"prediction": N_("Enter a whole number.")})
        session.execute(_STORE_PREDICTION, {"attempt_id": attempt_id, "v": prediction})
    if position:
        _store(session, row, posted, flagged, now)
    metrics.ANSWER_SAVES.inc()


def _store(session: Session, row, posted: dict | None, flagged: bool | None, now: datetime):
    """Store the answer and the flag of the answered position (`row`: of `_SAVE_READ`)."""
    if row.aq_id is None:
        raise Invalid({"position": N_("No such question.")})
    if posted is not None:
        question = served_question(session, row.version_id, row.content_hash)
        try:
            response = to_stored(question, row.option_order, posted)
        except BadAnswer:
            raise Invalid({"answer": N_("This answer does not fit the question.")}) from None
        session.execute(
            _STORE_ANSWER,
            {
                "aq_id": row.aq_id,
                "v_response": response,
                "v_mask": choice_mask(response),
                "v_saved_at": now,
            },
        )
        _forget_held(session, row.aq_id)
    if flagged is not None:
        session.execute(_STORE_FLAG, {"aq_id": row.aq_id, "v": flagged})


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
