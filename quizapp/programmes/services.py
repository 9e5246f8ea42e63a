"""Programme builder and lifecycle: programmes, lessons with checks, publication,
enrolment, the start guard of checks and completion (with its certificate)."""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import and_, exists, func, insert, literal, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from quizapp.audit.services import record
from quizapp.banks.models import Bank, BankCategory, BankQuestion
from quizapp.banks.questions import superseded_documents
from quizapp.banks.services import can_use_bank
from quizapp.contests import attempts as A
from quizapp.contests.draw import DrawError, check_blueprint
from quizapp.contests.models import Attempt, Contest, Round
from quizapp.contests.services import SLUG_ALPHABET, build_pool, freeze_pool, has_attempts
from quizapp.errors import Conflict, Forbidden, Invalid, NotFound
from quizapp.i18n import N_
from quizapp.orgs.models import Member, MemberCategory, Unit
from quizapp.orgs.population import Population
from quizapp.policy import Actor, can_manage
from quizapp.programmes import progress as P
from quizapp.programmes.models import Completion, Enrolment, Lesson, Programme
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
    current = {q.version_id for q in _current_only(session, rnd.bank, A.round_pool(rnd), now)}
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
        if P.needed(_rules(programme), _lesson_rules(programme)) == 0:
            raise Invalid({"": N_("Mark at least one lesson as required.")})
        for lesson in programme.lessons:
            _freeze(session, lesson.round, now)
            try:
                check_blueprint(A.round_pool(lesson.round), A.round_items(lesson.round), [])
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


# --- enrolment ----------------------------------------------------------------------------


def audience_condition(session: Session, programme: Programme):
    """SQL condition on Member (joined with Unit) for the programme's audience."""
    if programme.unit_ids:
        paths = [
            u.path for u in session.scalars(select(Unit).where(Unit.id.in_(programme.unit_ids)))
        ]
    else:
        paths = [programme.owner_unit.path]
    conds = [Member.active.is_(True), or_(*[Unit.path.startswith(p) for p in paths])]
    if programme.populations:
        conds.append(
            exists().where(
                MemberCategory.member_id == Member.id,
                MemberCategory.category.in_(programme.populations),
            )
        )
    if programme.admitted_in_period:
        conds.append(
            Member.admitted_on.between(
                local_today(programme.starts_at), local_today(programme.ends_at)
            )
        )
    return and_(*conds)


def sync_enrolments(
    session: Session, programme: Programme, now: datetime, *, member_ids=None
) -> int:
    """Enrol every audience member not yet enrolled (one set-based INSERT … SELECT);
    programmes with self-enrolment enrol nobody automatically. Returns the number added."""
    if programme.status != "published" or programme.self_enrol:
        return 0
    already = exists().where(
        Enrolment.programme_id == programme.id, Enrolment.member_id == Member.id
    )
    stmt = (
        select(
            literal(programme.id),
            Member.id,
            literal("auto"),
            literal(now, type_=Enrolment.enrolled_at.type),
        )
        .join(Unit, Unit.id == Member.unit_id)
        .where(audience_condition(session, programme), ~already)
    )
    if member_ids is not None:
        stmt = stmt.where(Member.id.in_(list(member_ids)))
    result = session.execute(
        insert(Enrolment).from_select(["programme_id", "member_id", "source", "enrolled_at"], stmt)
    )
    session.flush()
    return result.rowcount or 0


def enrol_member(session: Session, member_ids, now: datetime) -> int:
    """Enrol these members in every published programme whose audience they belong to
    (called at login and after a roster import)."""
    ids = [m for m in member_ids if m]
    if not ids:
        return 0
    programmes = session.scalars(
        select(Programme).where(Programme.status == "published", Programme.self_enrol.is_(False))
    ).all()
    return sum(sync_enrolments(session, p, now, member_ids=ids) for p in programmes)


def in_audience(session: Session, programme: Programme, member: Member) -> bool:
    return bool(
        session.scalar(
            select(Member.id)
            .join(Unit, Unit.id == Member.unit_id)
            .where(Member.id == member.id, audience_condition(session, programme))
        )
    )


def self_enrol(session: Session, programme_id: int, *, member: Member | None, now: datetime):
    """Enrol in an open programme. Raises Forbidden without a roster entry."""
    programme = session.get(Programme, programme_id)
    if programme is None or programme.status != "published":
        raise NotFound(N_("Programme not found."))
    if member is None or not member.active:
        raise Forbidden(
            N_("Only members on a unit's roster can study. Register as a member first.")
        )
    if not programme.self_enrol and not in_audience(session, programme, member):
        raise Forbidden(N_("This programme is for another audience."))
    enrolment = enrolment_of(session, programme.id, member.id)
    if enrolment is None:
        enrolment = Enrolment(
            programme_id=programme.id,
            member_id=member.id,
            source="self" if programme.self_enrol else "auto",
            enrolled_at=now,
        )
        try:
            with session.begin_nested():
                session.add(enrolment)
                session.flush()
        except IntegrityError:
            enrolment = enrolment_of(session, programme.id, member.id)
    return enrolment


def enrolment_of(session: Session, programme_id: int, member_id: int) -> Enrolment | None:
    return session.scalar(
        select(Enrolment).where(
            Enrolment.programme_id == programme_id, Enrolment.member_id == member_id
        )
    )


# --- a member's progress ------------------------------------------------------------------


def _rules(programme: Programme) -> P.Rules:
    return P.Rules(programme.sequential, programme.required_count, programme.renewal_months)


def _lesson_rules(programme: Programme) -> list[P.LessonRule]:
    return [
        P.LessonRule(x.id, x.position, x.required, x.max_attempts, x.retry_wait_s)
        for x in programme.lessons
    ]


def completions_of(session: Session, programme_id: int, member_id: int) -> list[Completion]:
    return list(
        session.scalars(
            select(Completion)
            .where(Completion.programme_id == programme_id, Completion.member_id == member_id)
            .order_by(Completion.cycle)
        )
    )


def _facts(completions: list[Completion]) -> list[P.CompletionFact]:
    return [P.CompletionFact(c.cycle, c.completed_at, c.expires_at) for c in completions]


def _results(session: Session, programme: Programme, member_id: int) -> list[P.CheckResult]:
    by_round = {x.round_id: x for x in programme.lessons}
    rows = session.execute(
        select(Attempt.round_id, Attempt.submitted_at, Attempt.score, Attempt.max_score)
        .where(
            Attempt.round_id.in_(list(by_round)),
            Attempt.member_id == member_id,
            Attempt.preview.is_(False),
            Attempt.status == "submitted",
        )
        .order_by(Attempt.submitted_at)
    ).all()
    out = []
    for round_id, submitted_at, score, maximum in rows:
        lesson = by_round[round_id]
        percent = (score * 100 / maximum) if maximum else 0
        out.append(
            P.CheckResult(
                lesson.id,
                submitted_at,
                percent,
                bool(maximum) and percent >= lesson.round.pass_mark,
            )
        )
    return out


@dataclass(frozen=True)
class Overview:
    """A member's view of one programme."""

    programme: Programme
    enrolled: bool
    states: dict[int, P.LessonState]
    percent: int
    status: str
    completion: Completion | None  # the latest
    may_study: bool
    renewal_opens: datetime | None
    next_lesson: Lesson | None


def overview(session: Session, programme: Programme, member: Member, now: datetime) -> Overview:
    completions = completions_of(session, programme.id, member.id)
    facts = _facts(completions)
    since = P.cycle_start(facts)
    results = _results(session, programme, member.id)
    states = P.lesson_states(_rules(programme), _lesson_rules(programme), results, now, since=since)
    in_progress = session.scalar(
        select(
            exists().where(
                Attempt.round_id.in_([x.round_id for x in programme.lessons] or [0]),
                Attempt.member_id == member.id,
                Attempt.preview.is_(False),
                Attempt.started_at > (since or datetime(1970, 1, 1, tzinfo=now.tzinfo)),
            )
        )
    )
    status = P.member_status(facts, bool(in_progress), now)
    by_id = {s.lesson_id: s for s in states}
    may = P.may_study(facts, now)
    next_lesson = None
    if may:
        next_lesson = next(
            (x for x in programme.lessons if by_id[x.id].state in ("open", "waiting")), None
        )
    return Overview(
        programme=programme,
        enrolled=enrolment_of(session, programme.id, member.id) is not None,
        states=by_id,
        percent=100
        if status == "completed"
        else P.progress(_rules(programme), _lesson_rules(programme), states),
        status=status,
        completion=completions[-1] if completions else None,
        may_study=may,
        renewal_opens=P.renewal_opens(P.latest(facts)),
        next_lesson=next_lesson,
    )


def lesson_of_round(session: Session, round_id: int) -> Lesson | None:
    return session.scalar(select(Lesson).where(Lesson.round_id == round_id))


def guard_start(session: Session, rnd: Round, user, now: datetime) -> None:
    """Start guard of the attempt engine: a lesson's check starts only for an enrolled
    member, in order (sequential programmes), within the lesson's attempts and after its
    waiting time, and not while a completion is valid and its renewal has not opened."""
    if rnd.contest.kind != "programme":
        return
    lesson = lesson_of_round(session, rnd.id)
    if lesson is None:
        raise NotFound(N_("Lesson not found."))
    programme = lesson.programme
    member = user.member
    if programme.status != "published":
        raise Conflict(N_("This programme is not open."))
    if enrolment_of(session, programme.id, member.id) is None:
        if programme.self_enrol or not in_audience(session, programme, member):
            raise Forbidden(N_("Enrol in the programme first."))
        self_enrol(session, programme.id, member=member, now=now)
    view = overview(session, programme, member, now)
    if not view.may_study:
        raise Conflict(
            N_("You have completed this programme. Renewal opens on %(date)s."),
            date=local_today(view.renewal_opens).strftime("%d/%m/%Y") if view.renewal_opens else "",
        )
    state = view.states[lesson.id]
    if state.state == "locked":
        raise Conflict(N_("Pass the check of the previous lesson first."))
    if state.state == "exhausted":
        raise Conflict(N_("You have used all your attempts at this check."))
    if state.state == "waiting":
        from quizapp.timeutil import format_datetime

        raise Conflict(
            N_("You can try this check again from %(time)s."),
            time=format_datetime(state.wait_until),
        )
    if state.state == "passed":
        raise Conflict(N_("You have already passed this check."))


# Issues the certificate of a new completion: set by the app (certificates need signing
# keys); None in bare service calls.
certificate_issuer: Callable | None = None


def record_check(session: Session, attempt: Attempt, now: datetime) -> Completion | None:
    """Submission hook: after a lesson's check is graded, record the completion the member
    has just earned (exactly once per cycle) and issue its certificate."""
    if attempt.preview or attempt.member_id is None:
        return None
    lesson = lesson_of_round(session, attempt.round_id)
    if lesson is None:
        return None
    programme = lesson.programme
    member = session.get(Member, attempt.member_id)
    completions = completions_of(session, programme.id, member.id)
    facts = _facts(completions)
    if not P.may_study(facts, now):
        return None
    since = P.cycle_start(facts)
    results = _results(session, programme, member.id)
    rules, lessons = _rules(programme), _lesson_rules(programme)
    states = P.lesson_states(rules, lessons, results, now, since=since)
    done_at = P.completed_at(rules, lessons, states)
    if done_at is None:
        return None
    cycle = 1 + (P.latest(facts).cycle if facts else 0)
    keys = {x.id: x.key for x in programme.lessons}
    completion = Completion(
        programme_id=programme.id,
        member_id=member.id,
        user_id=attempt.user_id,
        unit_id=member.unit_id,
        cycle=cycle,
        completed_at=done_at,
        expires_at=P.expiry(done_at, rules),
        scores={keys[s.lesson_id]: float(round(s.best, 1)) for s in states if s.best is not None},
    )
    try:
        with session.begin_nested():
            session.add(completion)
            session.flush()
    except IntegrityError:
        return None  # recorded meanwhile by a concurrent submission
    if certificate_issuer is not None:
        cert = certificate_issuer(session, completion, programme, member, now)
        if cert is not None:
            completion.certificate_id = cert.id
            session.flush()
    return completion


def _register() -> None:
    if guard_start not in A.START_GUARDS:
        A.START_GUARDS.append(guard_start)
    if record_check not in A.SUBMIT_HOOKS:
        A.SUBMIT_HOOKS.append(record_check)


_register()


def my_programmes(session: Session, member: Member | None, now: datetime) -> list[Overview]:
    """The member's programmes, enrolling them first where they belong to the audience,
    then open programmes they may join."""
    if member is None:
        return []
    enrol_member(session, [member.id], now)
    enrolled = session.scalars(
        select(Programme)
        .join(Enrolment, Enrolment.programme_id == Programme.id)
        .where(Enrolment.member_id == member.id, Programme.status == "published")
        .order_by(Programme.created_at.desc())
    ).all()
    open_ = session.scalars(
        select(Programme).where(
            Programme.status == "published",
            Programme.self_enrol.is_(True),
            Programme.id.not_in([p.id for p in enrolled] or [0]),
        )
    ).all()
    return [overview(session, p, member, now) for p in [*enrolled, *open_]]


def categories_of(session: Session, bank_id: int) -> list[BankCategory]:
    return list(
        session.scalars(
            select(BankCategory).where(BankCategory.bank_id == bank_id).order_by(BankCategory.id)
        )
    )
