"""The attempt lifecycle with a frozen clock: start, save, deadline, grace, automatic
submission, sweep, resume, attempt limits, idempotent submit, builder rules."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from quizapp.auth.services import actor_for
from quizapp.banks import questions
from quizapp.banks.models import BankQuestion
from quizapp.banks.serial import from_dict
from quizapp.contests import attempts as A
from quizapp.contests import services
from quizapp.contests import starting as S
from quizapp.contests.models import Attempt
from quizapp.errors import Conflict, Forbidden, Invalid
from quizapp.policy import SYSTEM
from tests.contest_helpers import make_bank, make_contest
from tests.factories import make_unit, make_user


@pytest.fixture()
def world(session, now):
    province = make_unit(session, "Tỉnh Đoàn", code="TD")
    branch = make_unit(session, "Chi đoàn", parent=province, code="TD-1")
    bank = make_bank(session, province, now, truefalse=True)
    contest = make_contest(session, province, bank, now)
    user = make_user(session, role="member", unit=branch)
    return dict(
        province=province,
        branch=branch,
        bank=bank,
        contest=contest,
        rnd=contest.rounds[0],
        user=user,
    )


def start(session, world, now, user=None, **kw):
    user = user or world["user"]
    return S.start_attempt(
        session, world["rnd"].id, user=user, actor=actor_for(user), now=now, **kw
    )


def right_display_index(session, attempt, position):
    """Where the right option (original index 0) is shown at `position`."""
    aq = attempt.questions[position - 1]
    return aq.option_order.index(0) if aq.option_order else None


def answer_all_right(session, attempt, user, now):
    for slot in A.attempt_view(session, attempt):
        pos = slot.question.position
        if slot.question.type == "truefalse":
            A.save_answer(session, attempt.id, pos, {"value": "true"}, user=user, now=now)
        else:
            A.save_answer(
                session,
                attempt.id,
                pos,
                {"choices": [right_display_index(session, attempt, pos)]},
                user=user,
                now=now,
            )


def test_start_draws_stores_seed_versions_and_order(session, world, now):
    attempt = start(session, world, now)
    assert attempt.status == "in_progress" and attempt.question_count == 5
    assert attempt.deadline_at == now + timedelta(seconds=600)
    assert len({q.version_id for q in attempt.questions}) == 5
    assert all(sorted(q.option_order) in ([0, 1, 2, 3], []) for q in attempt.questions)
    view = A.attempt_view(session, attempt)
    assert all("weight" not in repr(s.question) for s in view)  # no key sent to the page


def test_a_start_is_planned_without_writing_then_inserted(session, world, now):
    """The read phase of a start checks and draws without writing; the write phase inserts
    the planned attempt; two plans of the same person converge on one attempt."""
    user = world["user"]
    kw = dict(user=user, actor=actor_for(user), now=now, device="phone-1", resume=False)
    plan = S.plan_start(session, world["rnd"].id, **kw)
    twin = S.plan_start(session, world["rnd"].id, **kw)  # a double tap, planned in parallel
    assert isinstance(plan, S.PlannedStart) and len(plan.drawn) == 5
    assert not session.new and not session.dirty
    assert session.scalar(select(func.count()).select_from(Attempt)) == 0
    attempt = S.insert_planned(session, plan)
    assert attempt.number == 1 and attempt.device == "phone-1"
    assert [q.version_id for q in attempt.questions] == [d.version_id for d in plan.drawn]
    assert S.insert_planned(session, twin).id == attempt.id  # the second one joins the first
    assert session.scalar(select(func.count()).select_from(Attempt)) == 1
    # With an attempt in progress, the read phase leaves the start to the write phase.
    assert S.plan_start(session, world["rnd"].id, **kw) is None
    # A closed round is refused in the read phase already.
    with pytest.raises(Conflict):
        S.plan_start(
            session, world["rnd"].id, **{**kw, "now": world["rnd"].closes_at + timedelta(minutes=1)}
        )


def test_resume_returns_same_attempt_with_saved_answers(session, world, now):
    attempt = start(session, world, now, device="phone-1")
    pos = next(q.position for q in attempt.questions if q.option_order)
    A.save_answer(
        session, attempt.id, pos, {"choices": [2]}, user=world["user"], now=now, device="phone-1"
    )
    again = start(session, world, now + timedelta(minutes=1), device="phone-2")
    assert again.id == attempt.id and again.device == "phone-2"
    assert A.attempt_view(session, again)[pos - 1].answer == {"choices": [2]}
    with pytest.raises(Conflict):  # the first phone was taken over
        A.save_answer(
            session, attempt.id, 2, {"choices": [1]}, user=world["user"], now=now, device="phone-1"
        )


def test_full_marks_and_idempotent_submit(session, world, now):
    attempt = start(session, world, now)
    answer_all_right(session, attempt, world["user"], now + timedelta(seconds=30))
    done = A.submit_attempt(
        session, attempt.id, user=world["user"], now=now + timedelta(seconds=95), prediction=12
    )
    assert (done.correct_count, done.score, done.max_score) == (5, Decimal(5), Decimal(5))
    assert done.duration_s == 95 and done.prediction == 12 and done.submitted_by == "user"
    again = A.submit_attempt(
        session, attempt.id, user=world["user"], now=now + timedelta(seconds=200)
    )
    assert again.submitted_at == done.submitted_at and again.score == done.score
    assert session.scalar(select(func.count()).select_from(Attempt)) == 1
    assert A.passed(done)


def test_saves_refused_after_deadline_plus_grace_and_attempt_submitted(session, world, now):
    attempt = start(session, world, now)
    single = [q.position for q in attempt.questions if q.option_order]
    first, second = single[:2]
    A.save_answer(
        session,
        attempt.id,
        first,
        {"choices": [0]},
        user=world["user"],
        now=now + timedelta(seconds=600 + 29),
    )  # in the grace period: accepted
    with pytest.raises(Conflict):
        A.save_answer(
            session,
            attempt.id,
            second,
            {"choices": [0]},
            user=world["user"],
            now=now + timedelta(seconds=600 + 31),
        )
    assert attempt.status == "submitted" and attempt.submitted_by == "timeout"
    by_position = {q.position: q for q in attempt.questions}
    assert by_position[first].response is not None and by_position[second].response is None
    assert attempt.duration_s == 600


def test_deadline_is_capped_by_round_close(session, world, now):
    rnd = world["rnd"]
    rnd.closes_at = now + timedelta(minutes=3)
    attempt = start(session, world, now)
    assert attempt.deadline_at == now + timedelta(minutes=3)


def test_sweep_submits_expired_attempts(session, world, now):
    attempt = start(session, world, now)
    other_user = make_user(session, role="member", unit=world["branch"])
    fresh = start(session, world, now + timedelta(seconds=500), user=other_user)
    assert A.sweep(session, now + timedelta(seconds=640)) == 1
    assert attempt.status == "submitted" and fresh.status == "in_progress"
    assert A.sweep(session, now + timedelta(seconds=640)) == 0


def test_attempt_limits(session, world, now):
    user = world["user"]
    for i in range(2):
        a = start(session, world, now + timedelta(minutes=20 * i))
        A.submit_attempt(session, a.id, user=user, now=now + timedelta(minutes=20 * i + 1))
    with pytest.raises(Conflict):
        start(session, world, now + timedelta(hours=1))
    preview_actor = SYSTEM  # organisers may still preview, never counted
    p = S.start_attempt(
        session,
        world["rnd"].id,
        user=user,
        actor=preview_actor,
        now=now + timedelta(hours=1),
        preview=True,
    )
    assert p.preview and p.number == 3


def test_round_window_eligibility_and_guardian(session, world, now):
    with pytest.raises(Conflict):
        start(session, world, now - timedelta(hours=2))  # not open yet
    with pytest.raises(Conflict):
        start(session, world, now + timedelta(days=8))  # closed
    elsewhere = make_unit(session, "Tỉnh khác", code="TK")
    outsider = make_user(session, role="member", unit=elsewhere)
    with pytest.raises(Forbidden):
        start(session, world, now, user=outsider)
    child = make_user(session, role="member", unit=world["branch"])
    child.member.birth_date = date(2013, 1, 1)
    with pytest.raises(Forbidden):
        start(session, world, now, user=child)
    admin = make_user(session, role="admin")
    with pytest.raises(Forbidden):  # not on a roster
        start(session, world, now, user=admin)


def test_bad_answers_are_refused(session, world, now):
    attempt = start(session, world, now)
    single_pos = next(
        s.question.position for s in A.attempt_view(session, attempt) if s.question.type == "single"
    )
    for bad in ({"choices": [7]}, {"choices": [0, 1]}, {"choices": ["x"]}):
        with pytest.raises(Invalid):
            A.save_answer(session, attempt.id, single_pos, bad, user=world["user"], now=now)
    with pytest.raises(Invalid):
        A.save_answer(session, attempt.id, 99, {"choices": [0]}, user=world["user"], now=now)


def test_edits_after_publication_do_not_change_the_round(session, world, now):
    bank = world["bank"]
    attempt = start(session, world, now)
    served = [q.version_id for q in attempt.questions]
    row = session.scalar(select(BankQuestion).where(BankQuestion.current_version_id == served[0]))
    q = from_dict(row.current.content)
    from dataclasses import replace

    questions.edit_question(session, row.id, replace(q, text="Đã sửa?"), actor=SYSTEM, now=now)
    assert [q.version_id for q in attempt.questions] == served
    with pytest.raises(Conflict):  # fairness: the blueprint cannot change once started
        services.save_round(
            session,
            world["contest"].id,
            services.RoundData(
                title="Tuần 1",
                opens_at=world["rnd"].opens_at,
                closes_at=world["rnd"].closes_at,
                time_limit_s=300,
                bank_id=bank.id,
                blueprint=({"count": 5, "category": None, "difficulty": None},),
                include_unverified=True,
            ),
            actor=SYSTEM,
            now=now,
            round_id=world["rnd"].id,
        )


def test_impossible_blueprint_refused_with_reason(session, world, now):
    with pytest.raises(Invalid) as exc:
        services.save_round(
            session,
            world["contest"].id,
            services.RoundData(
                title="Tuần 2",
                opens_at=now,
                closes_at=now + timedelta(days=1),
                time_limit_s=300,
                bank_id=world["bank"].id,
                blueprint=({"count": 9, "category": "c1", "difficulty": "hard"},),
                include_unverified=True,
            ),
            actor=SYSTEM,
            now=now,
        )
    assert exc.value.params["count"] == 9 and exc.value.params["available"] == 2


def test_grading_counts_partial_and_wrong(session, world, now):
    attempt = start(session, world, now)
    view = A.attempt_view(session, attempt)
    wrong = next(s for s in view if s.question.type == "single")
    pos = wrong.question.position
    right = right_display_index(session, attempt, pos)
    A.save_answer(
        session, attempt.id, pos, {"choices": [(right + 1) % 4]}, user=world["user"], now=now
    )
    done = A.submit_attempt(session, attempt.id, user=world["user"], now=now)
    assert done.correct_count == 0 and done.score == 0 and done.max_score == 5
    assert not A.passed(done)


def test_sweep_command(runner, session, now):
    from quizapp.contests.models import Attempt as Att

    province = make_unit(session, "Tỉnh Đoàn", code="TD")
    bank = make_bank(session, province, now)
    contest = make_contest(session, province, bank, now)
    user = make_user(session, role="member", unit=province)
    a = S.start_attempt(
        session,
        contest.rounds[0].id,
        user=user,
        actor=actor_for(user),
        now=now - timedelta(hours=2, minutes=-61),
    )
    a.deadline_at = now - timedelta(minutes=5)
    session.commit()
    result = runner.invoke(args=["sweep-attempts"])
    assert result.exit_code == 0 and "submitted 1" in result.output
    session.expire_all()
    assert session.get(Att, a.id).status == "submitted"


def test_scored_round_draws_only_confirmed_questions_unless_ticked(session, world, now):
    bank = world["bank"]
    rows = session.scalars(select(BankQuestion).where(BankQuestion.bank_id == bank.id)).all()
    for row in rows[:3]:
        row.current.verified = "text"
        row.current.verified_note = '"…" (Điều 1)'
    session.flush()
    data = dict(
        title="Tuần 2",
        opens_at=now,
        closes_at=now + timedelta(days=1),
        time_limit_s=300,
        bank_id=bank.id,
    )
    left_out = len(rows) - 3
    assert services.unverified_in_bank(session, bank) == left_out
    with pytest.raises(Invalid) as exc:
        services.save_round(
            session,
            world["contest"].id,
            services.RoundData(**data, blueprint=({"count": 4},)),
            actor=SYSTEM,
            now=now,
        )
    assert "include_unverified" in exc.value.field_errors
    assert exc.value.params["left_out"] == left_out
    rnd = services.save_round(
        session,
        world["contest"].id,
        services.RoundData(**data, blueprint=({"count": 3},)),
        actor=SYSTEM,
        now=now,
    )
    plan = services.build_pool(session, bank, rnd.blueprint, (), include_unverified=False)
    assert {q.key for q in plan.pool} == {r.key for r in rows[:3]}
    assert services.left_out_of_round(session, rnd) == left_out
    ticked = services.save_round(
        session,
        world["contest"].id,
        services.RoundData(**data, blueprint=({"count": 4},), include_unverified=True),
        actor=SYSTEM,
        now=now,
    )
    assert services.left_out_of_round(session, ticked) == 0


def test_the_parsed_question_is_kept_by_version_id_and_content_hash(session, world, now):
    """An id that a rolled-back or deleted version left free and another version took must
    not find the first one's question (the save checks an answer's shape against it)."""
    from quizapp.banks.models import QuestionVersion

    version = session.scalars(select(QuestionVersion)).first()
    first = A.served_question(session, version.id, version.content_hash)
    assert A.served_question(session, version.id, version.content_hash) is first  # kept
    other = dict(version.content, type="truefalse", choices=[], answer=True)
    version.content, version.content_hash = other, "another-hash"
    session.flush()
    second = A.served_question(session, version.id, "another-hash")
    assert second is not first and second.type == "truefalse"
