"""Editing questions (each edit a new version), retiring, moving, tagging, and browsing a
bank by category, tag, difficulty, type and diacritic-free text."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime

from sqlalchemy import Select, false, func, or_, select
from sqlalchemy.orm import Session

from quizapp.audit.services import record
from quizapp.banks.core import Problem, Question
from quizapp.banks.models import Bank, BankCategory, BankDocument, BankQuestion, QuestionVersion
from quizapp.banks.sanitize import clean_question
from quizapp.banks.serial import from_dict, version_hash
from quizapp.banks.services import add_version, denormalise, get_bank, question_key
from quizapp.banks.validate import check_question
from quizapp.errors import Invalid, NotFound
from quizapp.i18n import N_
from quizapp.policy import Actor
from quizapp.textutil import fold


class QuestionInvalid(Invalid):
    """An edited question whose key is inconsistent; carries the validator's problems."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__({"": [p.message for p in problems]})
        self.problems = problems


# --- editing ------------------------------------------------------------------------------


def get_question(
    session: Session, question_id: int, actor: Actor, *, manage: bool = False
) -> BankQuestion:
    row = session.get(BankQuestion, question_id)
    if row is None:
        raise NotFound(N_("Question not found."))
    get_bank(session, row.bank_id, actor, manage=manage)
    return row


def edit_question(
    session: Session,
    question_id: int,
    q: Question,
    *,
    actor: Actor,
    now: datetime,
    category_id: int | None = None,
) -> QuestionVersion | None:
    """Save an edit as a new version (None when neither what a participant sees nor how the
    key was confirmed changed); a change of verification alone is a new version with the same
    content, audited with the level and note before and after. Raises Invalid with the
    problems of an inconsistent key."""
    row = get_question(session, question_id, actor, manage=True)
    errors = [p for p in check_question(q) if p.severity == "error"]
    if errors:
        raise QuestionInvalid(errors)
    if category_id is not None:
        _check_category(session, row.bank_id, category_id)
        row.category_id = category_id
    current = row.current
    same_content = current is not None and current.content_hash == version_hash(clean_question(q))
    same_check = current is not None and (current.verified, current.verified_note) == (
        q.verified,
        q.verified_note,
    )
    if same_content and same_check:
        session.flush()
        return None
    before = {"version": current.number if current else 0}
    if current is not None and not same_check:
        before.update(verified=current.verified, verified_note=current.verified_note)
    version = add_version(
        session, row, q, actor=actor, now=now, note="edit" if not same_content else "verification"
    )
    bank = session.get(Bank, row.bank_id)
    record(
        session,
        actor=actor,
        action="question.edit",
        object_type="question",
        object_id=row.id,
        unit_path=bank.owner_unit.path,
        summary=f"{bank.key}/{row.key}",
        before=before,
        after={"version": version.number}
        | (
            {"verified": version.verified, "verified_note": version.verified_note}
            if not same_check
            else {}
        ),
        now=now,
    )
    return version


def add_question(
    session: Session,
    bank_id: int,
    q: Question,
    *,
    actor: Actor,
    now: datetime,
    category_id: int | None = None,
) -> BankQuestion:
    bank = get_bank(session, bank_id, actor, manage=True)
    errors = [p for p in check_question(q) if p.severity == "error"]
    if errors:
        raise QuestionInvalid(errors)
    if category_id is not None:
        _check_category(session, bank.id, category_id)
    existing = set(session.scalars(select(BankQuestion.key).where(BankQuestion.bank_id == bank.id)))
    key = q.key or question_key(q, existing)
    if key in existing:
        key = f"{key}-{len(existing) + 1}"
    position = 1 + (
        session.scalar(
            select(func.max(BankQuestion.position)).where(BankQuestion.bank_id == bank.id)
        )
        or 0
    )
    row = BankQuestion(
        bank_id=bank.id, key=key, category_id=category_id, created_at=now, position=position
    )
    denormalise(row, q)
    session.add(row)
    session.flush()
    add_version(session, row, q, actor=actor, now=now, note="create")
    record(
        session,
        actor=actor,
        action="question.create",
        object_type="question",
        object_id=row.id,
        unit_path=bank.owner_unit.path,
        summary=f"{bank.key}/{key}",
        now=now,
    )
    return row


def _check_category(session: Session, bank_id: int, category_id: int) -> None:
    cat = session.get(BankCategory, category_id)
    if cat is None or cat.bank_id != bank_id:
        raise Invalid({"category_id": N_("Choose a category of this bank.")})


def set_retired(
    session: Session, question_ids, retired: bool, *, actor: Actor, now: datetime
) -> int:
    """Retire (or restore) questions; served versions stay readable for old attempts."""
    count = 0
    for qid in question_ids:
        row = get_question(session, qid, actor, manage=True)
        if (row.retired_at is not None) != retired:
            row.retired_at = now if retired else None
            count += 1
            bank = session.get(Bank, row.bank_id)
            record(
                session,
                actor=actor,
                action="question.retire" if retired else "question.restore",
                object_type="question",
                object_id=row.id,
                unit_path=bank.owner_unit.path,
                summary=f"{bank.key}/{row.key}",
                now=now,
            )
    session.flush()
    return count


def move_questions(
    session: Session, question_ids, category_id: int, *, actor: Actor, now: datetime
) -> int:
    rows = [get_question(session, qid, actor, manage=True) for qid in question_ids]
    for row in rows:
        _check_category(session, row.bank_id, category_id)
        row.category_id = category_id
    session.flush()
    return len(rows)


def tag_questions(session: Session, question_ids, tag: str, *, actor: Actor, now: datetime) -> int:
    """Add a tag to each question (a new version for those that lacked it)."""
    tag = tag.strip()
    if not tag:
        raise Invalid({"tag": N_("Enter a tag.")})
    changed = 0
    for qid in question_ids:
        row = get_question(session, qid, actor, manage=True)
        q = from_dict(row.current.content)
        if tag not in q.tags:
            edit_question(session, row.id, replace(q, tags=(*q.tags, tag)), actor=actor, now=now)
            changed += 1
    return changed


def versions(session: Session, question_id: int) -> list[QuestionVersion]:
    return list(
        session.scalars(
            select(QuestionVersion)
            .where(QuestionVersion.question_id == question_id)
            .order_by(QuestionVersion.number.desc())
        )
    )


def served_version(session: Session, version_id: int) -> Question:
    """The exact version an attempt was served, even after edits or retirement."""
    v = session.get(QuestionVersion, version_id)
    if v is None:
        raise NotFound(N_("Question not found."))
    return from_dict(v.content)


# --- browsing -----------------------------------------------------------------------------


@dataclass(frozen=True)
class QuestionFilter:
    text: str = ""
    category_id: int | None = None
    tag: str = ""
    difficulty: str = ""
    type: str = ""
    retired: bool = False
    superseded_only: bool = False


def superseded_documents(session: Session, bank_id: int, on: date) -> dict[str, BankDocument]:
    docs = session.scalars(select(BankDocument).where(BankDocument.bank_id == bank_id))
    return {d.key: d for d in docs if not d.in_force(on)}


def questions_query(session: Session, bank: Bank, f: QuestionFilter, *, today: date) -> Select:
    """Questions of a bank by category (with its sub-categories), tag, difficulty, type and
    text (case- and diacritic-insensitive)."""
    stmt = select(BankQuestion).where(BankQuestion.bank_id == bank.id)
    stmt = stmt.where(
        BankQuestion.retired_at.is_not(None) if f.retired else BankQuestion.retired_at.is_(None)
    )
    if f.category_id:
        ids = _category_subtree(session, bank.id, f.category_id)
        stmt = stmt.where(BankQuestion.category_id.in_(ids))
    if f.tag:
        stmt = stmt.where(BankQuestion.tags_folded.contains(f",{fold(f.tag)},"))
    if f.difficulty:
        stmt = stmt.where(BankQuestion.difficulty == f.difficulty)
    if f.type:
        stmt = stmt.where(BankQuestion.type == f.type)
    for word in fold(f.text).split():
        stmt = stmt.where(
            or_(BankQuestion.text_folded.contains(word), BankQuestion.key.contains(word))
        )
    if f.superseded_only:
        stmt = stmt.where(_on_superseded(session, bank.id, today))
    return stmt.order_by(BankQuestion.position, BankQuestion.id)


def _on_superseded(session: Session, bank_id: int, today: date):
    """Questions resting on a text no longer in force on `today`: their source document
    (the bank's documents) or the mark the import left on their current version (their
    text, answers and category, banks/superseded.py)."""
    from quizapp.banks.superseded import REPLACED

    keys = list(superseded_documents(session, bank_id, today))
    titles = [r.title for r in REPLACED if today >= r.replaced_on]
    marked = select(QuestionVersion.id).where(
        or_(*[QuestionVersion.superseded.contains(t) for t in titles]) if titles else false()
    )
    return or_(
        BankQuestion.document_key.in_(keys) if keys else false(),
        BankQuestion.current_version_id.in_(marked),
    )


def _category_subtree(session: Session, bank_id: int, category_id: int) -> list[int]:
    cats = session.execute(
        select(BankCategory.id, BankCategory.parent_id).where(BankCategory.bank_id == bank_id)
    ).all()
    children: dict[int | None, list[int]] = {}
    for cid, parent in cats:
        children.setdefault(parent, []).append(cid)
    out, todo = [], [category_id]
    while todo:
        cid = todo.pop()
        out.append(cid)
        todo.extend(children.get(cid, []))
    return out


def bank_categories(session: Session, bank_id: int) -> list[BankCategory]:
    return list(
        session.scalars(
            select(BankCategory)
            .where(BankCategory.bank_id == bank_id)
            .order_by(BankCategory.position, BankCategory.id)
        )
    )


def bank_stats(session: Session, bank: Bank, today: date) -> dict:
    total = session.scalar(
        select(func.count()).where(
            BankQuestion.bank_id == bank.id, BankQuestion.retired_at.is_(None)
        )
    )
    superseded = session.scalar(
        select(func.count()).where(
            BankQuestion.bank_id == bank.id,
            BankQuestion.retired_at.is_(None),
            _on_superseded(session, bank.id, today),
        )
    )
    return {"questions": total or 0, "superseded": superseded or 0}
