"""Programme builder and lifecycle: programmes, lessons with checks, publication,
enrolment, the start guard of checks and completion (with its certificate)."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import exists, func, select
from sqlalchemy.orm import Session

from quizapp.audit.services import record
from quizapp.banks.models import Bank, BankCategory, BankQuestion
from quizapp.banks.questions import superseded_documents
from quizapp.banks.services import can_use_bank
from quizapp.contests.draw import DrawError, check_blueprint
from quizapp.contests.models import Attempt, Contest, Round
from quizapp.contests.services import (
    SLUG_ALPHABET,
    build_pool,
    freeze_pool,
    has_attempts,
    round_items,
    round_pool,
)
from quizapp.errors import Conflict, Invalid, NotFound
from quizapp.i18n import N_
from quizapp.orgs.models import Unit
from quizapp.orgs.population import Population
from quizapp.policy import Actor, can_manage
from quizapp.programmes import progress as P
from quizapp.programmes.models import Lesson, Programme
from quizapp.programmes.study import lesson_rules, rules, sync_enrolments
from quizapp.timeutil import from_local, local_today

# Checks never run out of attempts at the round level: a lesson's own limit (per cycle) is
# enforced by the start guard below.
ROUND_ATTEMPTS = 1000


@dataclass(frozen=True)
class ProgrammeData:
    title: str
    owner_unit_id: int
    starts_on: date
    ends_on: date
    description: str = ""
    unit_ids: tuple[int, ...] = ()
    populations: tuple[str, ...] = ()
    admitted_in_period: bool = False
    self_enrol: bool = False
    sequential: bool = True
    required_count: int | None = None
    renewal_months: int | None = None
    key: str = ""
    certificate_title: str = "CHỨNG CHỈ"
    signatory_title: str = ""
    signatory_name: str = ""


@dataclass(frozen=True)
class LessonData:
    title: str
    bank_id: int
    categories: tuple[str, ...]
    questions: int
    content: str = ""
    reading_minutes: int = 10
    required: bool = True
    pass_mark: int = 80
    time_limit_s: int = 600
    max_attempts: int | None = None
    retry_wait_s: int = 0
    key: str = ""
    sources: tuple[dict, ...] = ()


def get_managed_programme(session: Session, programme_id: int, actor: Actor) -> Programme:
    programme = session.get(Programme, programme_id)
    if programme is None or not can_manage(actor, programme.owner_unit.path):
        raise NotFound(N_("Programme not found."))
    return programme


def _period(starts_on: date, ends_on: date) -> tuple[datetime, datetime]:
    """The study period in UTC: from the first day's local midnight to the end of the last."""
    start = from_local(datetime(starts_on.year, starts_on.month, starts_on.day))
    end = from_local(datetime(ends_on.year, ends_on.month, ends_on.day, 23, 59, 59))
    return start, end


def _slug(title: str) -> str:
    from quizapp.textutil import fold

    base = re.sub(r"[^a-z0-9]+", "-", fold(title)).strip("-")[:60] or "chuong-trinh"
    return f"{base}-{''.join(secrets.choice(SLUG_ALPHABET) for _ in range(5))}"


def _check_programme(session: Session, data: ProgrammeData, actor: Actor) -> dict:
    errors: dict[str, str] = {}
    if not data.title.strip():
        errors["title"] = N_("Enter the programme's title.")
    unit = session.get(Unit, data.owner_unit_id)
    if unit is None or not can_manage(actor, unit.path):
        errors["owner_unit_id"] = N_("Choose one of your units.")
    if data.ends_on <= data.starts_on:
        errors["ends_on"] = N_("The study period must end after it starts.")
    units = [session.get(Unit, uid) for uid in data.unit_ids]
    if any(u is None or unit is None or not unit.contains(u) for u in units):
        errors["unit_ids"] = N_("Choose units inside the owner unit.")
    if any(p not in Population.__members__.values() for p in data.populations):
        errors["populations"] = N_("Unknown population category.")
    if data.required_count is not None and data.required_count < 1:
        errors["required_count"] = N_("Require at least one lesson.")
    if data.renewal_months is not None and not 1 <= data.renewal_months <= 120:
        errors["renewal_months"] = N_("Renewal is from 1 to 120 months.")
    if data.key and not re.fullmatch(r"[a-z0-9-]{1,80}", data.key):
        errors["key"] = N_("Key %(key)s may hold only a-z, 0-9 and hyphens.")
    if errors:
        raise Invalid(errors, key=data.key)
    starts_at, ends_at = _period(data.starts_on, data.ends_on)
    return {
        "title": data.title.strip(),
        "description": data.description,
        "owner_unit_id": unit.id,
        "unit_ids": sorted(set(data.unit_ids)),
        "populations": sorted(set(data.populations)),
        "admitted_in_period": data.admitted_in_period,
        "self_enrol": data.self_enrol,
        "sequential": data.sequential,
        "required_count": data.required_count,
        "renewal_months": data.renewal_months,
        "starts_at": starts_at,
        "ends_at": ends_at,
        "certificate_title": data.certificate_title.strip() or "CHỨNG CHỈ",
        "signatory_title": data.signatory_title.strip(),
        "signatory_name": data.signatory_name.strip(),
    }


def create_programme(
    session: Session, data: ProgrammeData, *, actor: Actor, now: datetime
) -> Programme:
    """A draft programme and the hidden contest that will hold its checks."""
    values = _check_programme(session, data, actor)
    key = data.key or _slug(data.title)
    if session.scalar(select(Programme.id).where(Programme.key == key)):
        raise Invalid({"key": N_("A programme with key %(key)s exists already.")}, key=key)
    contest = Contest(
        slug="".join(secrets.choice(SLUG_ALPHABET) for _ in range(7)),
        title=values["title"],
        owner_unit_id=values["owner_unit_id"],
        eligibility="public",  # who may study is decided by enrolment (the start guard)
        kind="programme",
        status="draft",
        mask_names=True,
        created_at=now,
        created_by_id=actor.user_id,
    )
    session.add(contest)
    session.flush()
    programme = Programme(
        key=key, contest_id=contest.id, created_at=now, created_by_id=actor.user_id, **values
    )
    session.add(programme)
    session.flush()
    _audit(session, actor, "programme.create", programme, now)
    return programme


def update_programme(
    session: Session, programme_id: int, data: ProgrammeData, *, actor: Actor, now: datetime
) -> Programme:
    programme = get_managed_programme(session, programme_id, actor)
    values = _check_programme(session, data, actor)
    before = {k: getattr(programme, k) for k in values}
    for k, v in values.items():
        setattr(programme, k, v)
    programme.contest.title = programme.title
    programme.contest.owner_unit_id = programme.owner_unit_id
    for lesson in programme.lessons:
        lesson.round.opens_at, lesson.round.closes_at = programme.starts_at, programme.ends_at
    session.flush()
    if programme.status == "published":
        sync_enrolments(session, programme, now)
    _audit(session, actor, "programme.update", programme, now, before, values)
    return programme


def _audit(session, actor, action, programme, now, before=None, after=None) -> None:
    record(
        session,
        actor=actor,
        action=action,
        object_type="programme",
        object_id=programme.id,
        unit_path=programme.owner_unit.path,
        summary=programme.title,
        before=before,
        after=after,
        now=now,
    )


# --- lessons ------------------------------------------------------------------------------


def _blueprint(categories: tuple[str, ...], count: int) -> list[dict]:
    """N questions from the union of categories: split evenly, the remainder to the first."""
    if not categories:
        return [{"count": count, "category": None, "difficulty": None}]
    share, extra = divmod(count, len(categories))
    items = []
    for i, cat in enumerate(categories):
        n = share + (1 if i < extra else 0)
        if n:
            items.append({"count": n, "category": cat, "difficulty": None})
    return items


def _check_lesson(session: Session, data: LessonData, actor: Actor, now: datetime) -> Bank:
    errors: dict[str, str] = {}
    if not data.title.strip():
        errors["title"] = N_("Enter the lesson's title.")
    if not 1 <= data.questions <= 100:
        errors["questions"] = N_("A check has from 1 to 100 questions.")
    if not 0 <= data.pass_mark <= 100:
        errors["pass_mark"] = N_("The pass mark is a percentage from 0 to 100.")
    if not 60 <= data.time_limit_s <= 4 * 3600:
        errors["time_limit"] = N_("The time limit is between 1 minute and 4 hours.")
    if data.max_attempts is not None and not 1 <= data.max_attempts <= 100:
        errors["max_attempts"] = N_("Allow from 1 to 100 attempts, or leave empty for no limit.")
    if not 0 <= data.retry_wait_s <= 7 * 24 * 3600:
        errors["retry_wait"] = N_("The waiting time is at most 7 days.")
    if not 1 <= data.reading_minutes <= 600:
        errors["reading_minutes"] = N_("The reading time is from 1 to 600 minutes.")
    bank = session.get(Bank, data.bank_id)
    if bank is None or not can_use_bank(actor, bank):
        errors["bank_id"] = N_("Choose a question bank you may use.")
    if errors:
        raise Invalid(errors)
    plan = build_pool(session, bank, _blueprint(data.categories, data.questions), ())
    current = _current_only(session, bank, plan.pool, now)
    try:
        check_blueprint(current, plan.items, [])
    except DrawError as exc:
        raise Invalid({"categories": exc.message}, **exc.params) from None
    return bank


def _current_only(session: Session, bank: Bank, pool: list, now: datetime) -> list:
    """The pool without questions resting on a document no longer in force: a lesson
    teaches the rule of today."""
    old = superseded_documents(session, bank.id, local_today(now))
    if not old:
        return list(pool)
    stale = set(
        session.scalars(
            select(BankQuestion.current_version_id).where(
                BankQuestion.bank_id == bank.id, BankQuestion.document_key.in_(list(old))
            )
        )
    )
    return [q for q in pool if q.version_id not in stale]


def _freeze(session: Session, rnd: Round, now: datetime) -> None:
    freeze_pool(session, rnd)
    if has_attempts(session, rnd.id):
        return
    current = {q.version_id for q in _current_only(session, rnd.bank, round_pool(rnd), now)}
    rnd.pool = [row for row in rnd.pool if row[0] in current]


LESSON_FAIRNESS = ("time_limit_s", "bank_id", "blueprint", "pass_mark")


def save_lesson(
    session: Session,
    programme_id: int,
    data: LessonData,
    *,
    actor: Actor,
    now: datetime,
    lesson_id: int | None = None,
) -> Lesson:
    """Add or edit a lesson and its check. Once members have taken the check, its questions,
    time and pass mark no longer change (Conflict)."""
    programme = get_managed_programme(session, programme_id, actor)
    if programme.status == "archived":
        raise Conflict(N_("The programme is archived."))
    _check_lesson(session, data, actor, now)
    round_values = {
        "title": data.title.strip(),
        "time_limit_s": data.time_limit_s,
        "bank_id": data.bank_id,
        "blueprint": _blueprint(data.categories, data.questions),
        "pass_mark": data.pass_mark,
    }
    lesson_values = {
        "title": data.title.strip(),
        "content": data.content,
        "reading_minutes": data.reading_minutes,
        "required": data.required,
        "max_attempts": data.max_attempts,
        "retry_wait_s": data.retry_wait_s,
        "sources": [dict(s) for s in data.sources],
    }
    if lesson_id is None:
        number = 1 + (
            session.scalar(
                select(func.max(Round.number)).where(Round.contest_id == programme.contest_id)
            )
            or 0
        )
        rnd = Round(
            contest_id=programme.contest_id,
            number=number,
            opens_at=programme.starts_at,
            closes_at=programme.ends_at,
            attempts_allowed=ROUND_ATTEMPTS,
            counting="best",
            review="immediate",
            prediction=False,
            grace_s=30,
            # A lesson check is study, not a scored contest: it draws unverified questions too
            # (the lesson's sources carry the validity warning instead).
            include_unverified=True,
            **round_values,
        )
        session.add(rnd)
        session.flush()
        position = 1 + max((x.position for x in programme.lessons), default=0)
        key = data.key or f"bai-{position}"
        if any(x.key == key for x in programme.lessons):
            raise Invalid({"key": N_("Lesson key %(key)s is used twice.")}, key=key)
        lesson = Lesson(
            programme_id=programme.id, position=position, key=key, round_id=rnd.id, **lesson_values
        )
        session.add(lesson)
        programme.lessons.append(lesson)
        action = "lesson.create"
    else:
        lesson = session.get(Lesson, lesson_id)
        if lesson is None or lesson.programme_id != programme.id:
            raise NotFound(N_("Lesson not found."))
        rnd = lesson.round
        if has_attempts(session, rnd.id) and any(
            getattr(rnd, f) != round_values[f] for f in LESSON_FAIRNESS
        ):
            raise Conflict(
                N_(
                    "Members have taken this check: its questions, time and pass mark "
                    "can no longer change."
                )
            )
        for k, v in round_values.items():
            setattr(rnd, k, v)
        for k, v in lesson_values.items():
            setattr(lesson, k, v)
        action = "lesson.update"
    session.flush()
    if programme.status == "published":
        _freeze(session, rnd, now)
    record(
        session,
        actor=actor,
        action=action,
        object_type="lesson",
        object_id=lesson.id,
        unit_path=programme.owner_unit.path,
        summary=f"{programme.title}: {lesson.title}",
        now=now,
    )
    return lesson


def move_lesson(
    session: Session, lesson_id: int, offset: int, *, actor: Actor, now: datetime
) -> None:
    """Move a lesson up (-1) or down (+1) in the order."""
    lesson = session.get(Lesson, lesson_id)
    if lesson is None:
        raise NotFound(N_("Lesson not found."))
    programme = get_managed_programme(session, lesson.programme_id, actor)
    ordered = sorted(programme.lessons, key=lambda x: x.position)
    i = ordered.index(lesson)
    j = i + offset
    if not 0 <= j < len(ordered):
        return
    other = ordered[j]
    a, b = lesson.position, other.position
    lesson.position = -1  # the unique (programme, position) forbids a direct swap
    session.flush()
    other.position, lesson.position = a, b
    session.flush()
    session.expire(programme, ["lessons"])


def delete_lesson(session: Session, lesson_id: int, *, actor: Actor, now: datetime) -> None:
    lesson = session.get(Lesson, lesson_id)
    if lesson is None:
        raise NotFound(N_("Lesson not found."))
    programme = get_managed_programme(session, lesson.programme_id, actor)
    rnd = lesson.round
    if session.scalar(select(exists().where(Attempt.round_id == rnd.id))):
        raise Conflict(N_("Members have taken this lesson's check: it cannot be deleted."))
    session.delete(lesson)
    session.flush()
    session.delete(rnd)
    session.flush()
    session.expire(programme, ["lessons"])
    session.expire(programme.contest, ["rounds"])
    record(
        session,
        actor=actor,
        action="lesson.delete",
        object_type="programme",
        object_id=programme.id,
        unit_path=programme.owner_unit.path,
        summary=f"{programme.title}: {lesson.title}",
        now=now,
    )


def set_status(
    session: Session, programme_id: int, status: str, *, actor: Actor, now: datetime
) -> Programme:
    """draft → published → archived (archived → published to reopen). Publishing freezes
    every check's questions and enrols the audience."""
    programme = get_managed_programme(session, programme_id, actor)
    allowed = {"draft": {"published"}, "published": {"archived"}, "archived": {"published"}}
    if status not in allowed[programme.status]:
        raise Conflict(N_("This change of status is not allowed."))
    if status == "published":
        if not programme.lessons:
            raise Invalid({"": N_("Add at least one lesson before publishing.")})
        if P.needed(rules(programme), lesson_rules(programme)) == 0:
            raise Invalid({"": N_("Mark at least one lesson as required.")})
        for lesson in programme.lessons:
            _freeze(session, lesson.round, now)
            try:
                check_blueprint(round_pool(lesson.round), round_items(lesson.round), [])
            except DrawError as exc:
                raise Invalid({"": exc.message}, **exc.params) from None
    before = programme.status
    programme.status = status
    programme.contest.status = {"published": "published", "archived": "archived"}[status]
    session.flush()
    if status == "published":
        sync_enrolments(session, programme, now)
    _audit(
        session,
        actor,
        f"programme.{status}",
        programme,
        now,
        {"status": before},
        {"status": status},
    )
    return programme


def categories_of(session: Session, bank_id: int) -> list[BankCategory]:
    return list(
        session.scalars(
            select(BankCategory).where(BankCategory.bank_id == bank_id).order_by(BankCategory.id)
        )
    )
