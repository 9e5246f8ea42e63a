"""Studying a programme: enrolment (automatic for the audience, or self-enrolment), a
member's progress, the start guard of lesson checks and the completion they earn."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, exists, insert, literal, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from quizapp import events
from quizapp.contests.models import Attempt, Round
from quizapp.errors import Conflict, Forbidden, NotFound
from quizapp.i18n import N_
from quizapp.orgs.models import Member, MemberCategory, Unit
from quizapp.programmes import progress as P
from quizapp.programmes.models import Completion, Enrolment, Lesson, Programme
from quizapp.timeutil import local_today

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
    session.flush()
    # SQLAlchemy keeps the driver's row count of an INSERT only when asked (PostgreSQL
    # reported -1 without it).
    result = session.connection().execute(
        insert(Enrolment.__table__).from_select(
            ["programme_id", "member_id", "source", "enrolled_at"], stmt
        ),
        execution_options={"preserve_rowcount": True},
    )
    return max(0, result.rowcount or 0)


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


def rules(programme: Programme) -> P.Rules:
    return P.Rules(programme.sequential, programme.required_count, programme.renewal_months)


def lesson_rules(programme: Programme) -> list[P.LessonRule]:
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
    # Completed at least once: every lesson stays open for reading (a renewal's checks still
    # go in order).
    review: bool = False


def overview(session: Session, programme: Programme, member: Member, now: datetime) -> Overview:
    completions = completions_of(session, programme.id, member.id)
    facts = _facts(completions)
    since = P.cycle_start(facts)
    may = P.may_study(facts, now)
    results = _results(session, programme, member.id)
    # Until its renewal opens, a completed programme shows the cycle it completed (every
    # check passed), not the next cycle, which has no checks yet and would lock lessons 2…n.
    shown_since = since if may else P.cycle_start(facts[:-1])
    states = P.lesson_states(
        rules(programme), lesson_rules(programme), results, now, since=shown_since
    )
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
        else P.progress(rules(programme), lesson_rules(programme), states),
        status=status,
        completion=completions[-1] if completions else None,
        may_study=may,
        renewal_opens=P.renewal_opens(P.latest(facts)),
        next_lesson=next_lesson,
        review=bool(completions),
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


def record_check(session: Session, attempt: Attempt, now: datetime) -> Completion | None:
    """After a lesson's check is graded (`events.attempt_graded`), record the completion the
    member has just earned, exactly once per cycle, and announce it (its certificate)."""
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
    rule, lessons = rules(programme), lesson_rules(programme)
    states = P.lesson_states(rule, lessons, results, now, since=since)
    done_at = P.completed_at(rule, lessons, states)
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
        expires_at=P.expiry(done_at, rule),
        scores={keys[s.lesson_id]: float(round(s.best, 1)) for s in states if s.best is not None},
    )
    try:
        with session.begin_nested():
            session.add(completion)
            session.flush()
    except IntegrityError:
        return None  # recorded meanwhile by a concurrent submission
    events.programme_completed.send(
        completion, session=session, programme=programme, member=member, now=now
    )
    return completion


# Receivers of quizapp.events (connected by create_app through connect_listeners).


def _on_graded(attempt: Attempt, *, session: Session, now: datetime) -> None:
    record_check(session, attempt, now)


def _on_starting(rnd: Round, *, session: Session, user, now: datetime) -> None:
    guard_start(session, rnd, user, now)


def _on_logged_in(user, *, session: Session, now: datetime) -> None:
    if user.member_id:
        enrol_member(session, [user.member_id], now)


def _on_imported(member_ids: list[int], *, session: Session, now: datetime) -> None:
    enrol_member(session, member_ids, now)


def connect_listeners() -> None:
    """Study programmes follow contests (lesson checks), logins and roster imports."""
    events.attempt_graded.connect(_on_graded)
    events.attempt_starting.connect(_on_starting)
    events.logged_in.connect(_on_logged_in)
    events.members_imported.connect(_on_imported)


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
