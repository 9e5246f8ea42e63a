"""Demo activity: some demo members study the shipped programmes and take the demo contest's
open round, through the real services (draw, save, grade, completion, certificates), so that
progress pages, results and indicator dashboards show real figures after `make run`."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from quizapp.auth.models import User
from quizapp.auth.services import actor_for, hash_password
from quizapp.banks.models import QuestionVersion
from quizapp.banks.serial import from_dict
from quizapp.contests import attempts as A
from quizapp.contests import starting as S
from quizapp.contests.models import Attempt, Contest
from quizapp.demo import DEMO_PASSWORD
from quizapp.errors import DomainError
from quizapp.orgs.models import Member
from quizapp.programmes.models import Enrolment, Programme
from quizapp.programmes.study import self_enrol


def _right_answer(q, order: list[int]) -> dict | None:
    """The right answer in display positions (single, multi, true/false), else None."""
    kind = q.type.value
    if kind in ("single", "multi"):
        right = [i for i, c in enumerate(q.choices) if c.weight > 0]
        return {"choices": [order.index(i) if order else i for i in right]}
    if kind == "truefalse":
        return {"value": "true" if q.answer else "false"}
    return None


def _take(session: Session, round_id: int, user: User, at: datetime, skill: float, rng) -> bool:
    """One attempt answered with probability `skill` of each answer being right."""
    try:
        attempt = S.start_attempt(session, round_id, user=user, actor=actor_for(user), now=at)
    except DomainError:
        return False
    for aq in attempt.questions:
        q = from_dict(session.get(QuestionVersion, aq.version_id).content)
        answer = _right_answer(q, aq.option_order)
        if answer is None:
            continue
        if rng.random() > skill and "choices" in answer and q.choices:
            answer = {"choices": [(answer["choices"][0] + 1) % len(q.choices)]}
        elif rng.random() > skill and "value" in answer:
            answer = {"value": "false" if answer["value"] == "true" else "true"}
        A.save_answer(session, attempt.id, aq.position, answer, user=user, now=at)
    A.submit_attempt(session, attempt.id, user=user, now=at + timedelta(minutes=rng.randint(3, 9)))
    return A.passed(attempt)


def _account(session: Session, member: Member, password_hash: str, now: datetime) -> User:
    user = session.scalar(select(User).where(User.member_id == member.id))
    if user is None:
        user = User(
            display_name=member.full_name,
            phone=member.phone,
            password_hash=password_hash,
            member_id=member.id,
            created_at=now,
        )
        session.add(user)
        session.flush()
    return user


def load_demo_activity(session: Session, *, now: datetime, share: float = 0.25) -> dict:
    """Skipped when anybody has already taken a check or a round. Returns counts."""
    if session.scalar(select(func.count()).select_from(Attempt).where(Attempt.preview.is_(False))):
        return {}
    rng = random.Random(311)
    password_hash = hash_password(DEMO_PASSWORD)
    counts = {"attempts": 0, "members": 0}
    demo_member = session.scalar(select(User.member_id).where(User.phone == "0912000001"))
    for programme in session.scalars(
        select(Programme).where(Programme.status == "published").order_by(Programme.id)
    ):
        enrolled = session.scalars(
            select(Member)
            .join(Enrolment, Enrolment.member_id == Member.id)
            .where(Enrolment.programme_id == programme.id, Member.id != (demo_member or 0))
            .order_by(Member.id)
        ).all()
        if programme.self_enrol:  # open programmes: some members enrol themselves
            enrolled = [
                m
                for m in session.scalars(
                    select(Member)
                    .where(Member.active.is_(True), Member.id != (demo_member or 0))
                    .order_by(Member.id)
                )
                if rng.random() < share * 2
            ]
            for m in enrolled:
                self_enrol(session, programme.id, member=m, now=now)
        start = max(programme.starts_at, now - timedelta(days=30))
        for member in enrolled:
            if rng.random() > share:
                continue
            user = _account(session, member, password_hash, now)
            counts["members"] += 1
            skill = rng.uniform(0.55, 1.0)
            at = start + timedelta(
                minutes=rng.randint(0, int((now - start).total_seconds() // 60) - 60)
            )
            for lesson in programme.lessons:
                if rng.random() < 0.15:  # stops studying here
                    break
                for _try in range(3):
                    counts["attempts"] += 1
                    passed = _take(session, lesson.round_id, user, at, skill, rng)
                    at += timedelta(hours=rng.randint(1, 30))
                    if passed or at >= now:
                        break
                if at >= now:
                    break
    contest = session.scalar(
        select(Contest).where(Contest.kind == "contest", Contest.status == "published")
    )
    if contest is not None:
        open_rounds = [r for r in contest.rounds if r.opens_at <= now < r.closes_at]
        members = session.scalars(
            select(Member).where(Member.active.is_(True), Member.id != (demo_member or 0))
        ).all()
        for rnd in open_rounds:
            for member in members:
                if rng.random() > share:
                    continue
                user = _account(session, member, password_hash, now)
                at = max(rnd.opens_at, now - timedelta(hours=20)) + timedelta(
                    minutes=rng.randint(0, 600)
                )
                counts["attempts"] += 1
                _take(session, rnd.id, user, min(at, now), rng.uniform(0.5, 1.0), rng)
    session.flush()
    return counts
