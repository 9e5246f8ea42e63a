"""Builders for contest tests: a bank with categorised questions and a published contest."""

from __future__ import annotations

from datetime import timedelta

from quizapp.banks import services as bank_services
from quizapp.banks.core import Category, Choice, Difficulty, ParsedBank, QType, Question
from quizapp.contests import services
from quizapp.policy import SYSTEM


def make_bank(session, unit, now, *, n=12, key="bank-thi", truefalse=False):
    """A bank of n single-choice questions (the first option right) in two categories, and
    with `truefalse` one true/false question (true) too."""
    cats = (Category("c1", "Chương I"), Category("c2", "Chương II"))
    qs = [
        Question(
            QType.SINGLE,
            f"Câu hỏi số {i}?",
            key=f"q{i:02d}",
            choices=(
                Choice(f"Đúng {i}", 100),
                Choice(f"Sai {i}a", 0),
                Choice(f"Sai {i}b", 0),
                Choice(f"Sai {i}c", 0),
            ),
            difficulty=(Difficulty.EASY, Difficulty.MEDIUM, Difficulty.HARD)[i % 3],
            category="c1" if i % 2 else "c2",
        )
        for i in range(n)
    ]
    if truefalse:
        qs.append(
            Question(
                QType.TRUEFALSE,
                "Đoàn được thành lập ngày 26/3/1931.",
                key="tf",
                answer=True,
                category="c1",
            )
        )
    parsed = ParsedBank(questions=tuple(qs), categories=cats)
    bank = bank_services.create_bank(
        session, actor=SYSTEM, key=key, title="Ngân hàng thi", owner_unit_id=unit.id, now=now
    )
    bank_services.import_bank(session, parsed, bank=bank, actor=SYSTEM, now=now)
    return bank


def make_contest(session, unit, bank, now, *, count=5, publish=True, **round_kw):
    contest = services.create_contest(
        session,
        services.ContestData(
            title="Cuộc thi trực tuyến tìm hiểu Luật An ninh mạng",
            owner_unit_id=unit.id,
            rules="Mỗi tuần thi có **5** câu hỏi.",
        ),
        actor=SYSTEM,
        now=now,
    )
    data = dict(
        title="Tuần thi thứ 1",
        opens_at=now - timedelta(hours=1),
        closes_at=now + timedelta(days=7),
        time_limit_s=600,
        bank_id=bank.id,
        blueprint=({"count": count, "category": None, "difficulty": None},),
        shuffle_questions=True,
        shuffle_options=True,
        attempts_allowed=2,
        counting="best",
        pass_mark=50,
        review="immediate",
        prediction=True,
        # test banks are imported without verification (as GIFT/Aiken/XLSX files are)
        include_unverified=True,
    )
    data.update(round_kw)
    services.save_round(session, contest.id, services.RoundData(**data), actor=SYSTEM, now=now)
    if publish:
        services.set_status(session, contest.id, "published", actor=SYSTEM, now=now)
    return contest


def play_round(session, rnd, user, now, *, right=None, seconds=40):
    """The member starts the round, answers its first `right` questions right (all: None)
    and submits `seconds` later."""
    from quizapp.auth.services import actor_for
    from quizapp.contests import attempts as A
    from quizapp.contests import starting as S

    attempt = S.start_attempt(session, rnd.id, user=user, actor=actor_for(user), now=now)
    for aq in attempt.questions[:right]:
        choice = {"choices": [aq.option_order.index(0)]}
        A.save_answer(session, attempt.id, aq.position, choice, user=user, now=now)
    A.submit_attempt(session, attempt.id, user=user, now=now + timedelta(seconds=seconds))
    return attempt
