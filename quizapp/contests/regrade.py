"""Answer-key corrections and regrading: preview every changed score, then apply, audit,
and ask for the prize list to be published again."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from quizapp.audit.services import record
from quizapp.banks.core import QType, Question
from quizapp.banks.models import QuestionVersion
from quizapp.banks.serial import from_dict
from quizapp.contests.grading import grade
from quizapp.contests.models import Attempt, AttemptQuestion, KeyCorrection
from quizapp.errors import Invalid, NotFound
from quizapp.i18n import N_
from quizapp.orgs.models import Member
from quizapp.policy import Actor

HUNDRED = Decimal(100)


def round_corrections(session: Session, round_id: int) -> dict[int, KeyCorrection]:
    return {
        c.version_id: c
        for c in session.scalars(select(KeyCorrection).where(KeyCorrection.round_id == round_id))
    }


def rekeyed(q: Question, mode: str, correct: list) -> Question:
    """The question graded under a corrected key (pure). `void` gives everyone the mark
    (a question without any option counted wrong); `rekey` makes the listed options right:
    several for a single-choice question means any of them is accepted."""
    if mode == "void":
        return q
    if q.type == QType.TRUEFALSE:
        if correct not in ([True], [False]):
            raise ValueError("true/false needs one value")
        return replace(q, answer=correct[0])
    if q.type in (QType.SINGLE, QType.MULTI):
        right = {int(i) for i in correct}
        if not right or any(not 0 <= i < len(q.choices) for i in right):
            raise ValueError("options out of range")
        if q.type == QType.SINGLE:
            weights = [HUNDRED if i in right else Decimal(0) for i in range(len(q.choices))]
        else:
            share = HUNDRED / len(right)
            wrong = len(q.choices) - len(right)
            penalty = -HUNDRED / wrong if wrong else Decimal(0)
            weights = [share if i in right else penalty for i in range(len(q.choices))]
        return replace(
            q, choices=tuple(replace(c, weight=w) for c, w in zip(q.choices, weights, strict=True))
        )
    raise ValueError("only choice and true/false keys can be corrected here")


def corrected(q: Question, fix: KeyCorrection | None) -> Question:
    if fix is None or fix.mode == "void":
        return q
    return rekeyed(q, fix.mode, fix.correct)


@dataclass(frozen=True)
class Change:
    attempt_id: int
    name: str
    old_score: Decimal
    new_score: Decimal
    old_correct: int
    new_correct: int


def _regrade_one(aq: AttemptQuestion, q: Question, mode: str) -> tuple[Decimal, Decimal]:
    if mode == "void":
        return Decimal(1), q.mark
    g = grade(q, aq.response)
    return g.fraction, g.score


def round_version(session: Session, rnd, version_id: int) -> QuestionVersion:
    """A question version that was drawn in this round (its key may be read and corrected
    by the round's organisers); any other id is not found, whichever bank it is in."""
    drawn = session.scalar(
        select(AttemptQuestion.version_id)
        .join(Attempt, Attempt.id == AttemptQuestion.attempt_id)
        .where(Attempt.round_id == rnd.id, AttemptQuestion.version_id == version_id)
        .limit(1)
    )
    version = session.get(QuestionVersion, version_id) if drawn is not None else None
    if version is None:
        raise NotFound(N_("Question not found."))
    return version


def preview(session: Session, rnd, version_id: int, mode: str, correct: list) -> list[Change]:
    """Every submitted attempt whose score would change (nothing is written)."""
    if mode not in ("rekey", "void"):
        raise Invalid({"mode": N_("Choose how to correct the key.")})
    version = round_version(session, rnd, version_id)
    try:
        q = rekeyed(from_dict(version.content), mode, correct)
    except ValueError:
        raise Invalid({"correct": N_("Choose the correct options.")}) from None
    rows = session.execute(
        select(AttemptQuestion, Attempt, Member)
        .join(Attempt, Attempt.id == AttemptQuestion.attempt_id)
        .join(Member, Member.id == Attempt.member_id, isouter=True)
        .where(
            Attempt.round_id == rnd.id,
            Attempt.status == "submitted",
            AttemptQuestion.version_id == version_id,
        )
    ).all()
    changes = []
    for aq, attempt, member in rows:
        fraction, score = _regrade_one(aq, q, mode)
        old = aq.score or Decimal(0)
        if score != old or (fraction == 1) != (aq.fraction == 1):
            new_total = (attempt.score or 0) - old + score
            new_correct = (attempt.correct_count or 0) - (aq.fraction == 1) + (fraction == 1)
            changes.append(
                Change(
                    attempt.id,
                    member.full_name if member else "?",
                    attempt.score,
                    new_total,
                    attempt.correct_count or 0,
                    new_correct,
                )
            )
    return sorted(changes, key=lambda c: c.attempt_id)


def apply(
    session: Session,
    rnd,
    version_id: int,
    mode: str,
    correct: list,
    reason: str,
    *,
    actor: Actor,
    now: datetime,
) -> list[Change]:
    """Save the correction and regrade every affected attempt; audited with the reason."""
    if not reason.strip():
        raise Invalid({"reason": N_("Give the reason for the correction.")})
    changes = preview(session, rnd, version_id, mode, correct)
    fix = session.scalar(
        select(KeyCorrection).where(
            KeyCorrection.round_id == rnd.id, KeyCorrection.version_id == version_id
        )
    )
    if fix is None:
        fix = KeyCorrection(round_id=rnd.id, version_id=version_id, created_at=now)
        session.add(fix)
    fix.mode, fix.correct, fix.reason = mode, list(correct), reason.strip()[:300]
    fix.created_at, fix.created_by_id = now, actor.user_id
    session.flush()
    from quizapp.contests.attempts import regrade

    for change in changes:
        regrade(session, session.get(Attempt, change.attempt_id))
    record(
        session,
        actor=actor,
        action="round.regrade",
        object_type="round",
        object_id=rnd.id,
        unit_path=rnd.contest.owner_unit.path,
        summary=f"{rnd.title}: {mode} v{version_id} — {fix.reason}"[:300],
        after={
            "mode": mode,
            "correct": list(correct),
            "changed": len(changes),
            "reason": fix.reason,
        },
        now=now,
    )
    return changes


def voided_versions(session: Session, round_id: int) -> set[int]:
    return {vid for vid, c in round_corrections(session, round_id).items() if c.mode == "void"}
