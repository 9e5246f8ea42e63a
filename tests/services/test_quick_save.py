"""The quick answer save (attempts.save_answer_quickly, the autosave endpoint's common case)
stores exactly what the full save stores, and leaves every other case to it."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from quizapp.auth.services import actor_for
from quizapp.contests import attempts as A
from quizapp.contests import starting as S
from quizapp.contests.models import AttemptQuestion
from quizapp.errors import Conflict, Invalid, NotFound
from tests.contest_helpers import make_bank, make_contest
from tests.factories import make_unit, make_user


@pytest.fixture()
def attempt(session, now):
    province = make_unit(session, "Tỉnh Đoàn", code="TD")
    bank = make_bank(session, province, now, truefalse=True)
    contest = make_contest(session, province, bank, now, count=13)
    user = make_user(session, role="member", unit=province)
    attempt = S.start_attempt(
        session, contest.rounds[0].id, user=user, actor=actor_for(user), now=now, device="phone-1"
    )
    session.commit()
    attempt.owner = user
    return attempt


def _stored(session, attempt, position):
    session.expire_all()
    aq = session.scalar(
        select(AttemptQuestion).where(
            AttemptQuestion.attempt_id == attempt.id, AttemptQuestion.position == position
        )
    )
    return aq.response, aq.choice_mask, aq.saved_at, aq.flagged


def _clear(session, attempt, position):
    aq = next(q for q in attempt.questions if q.position == position)
    aq.response, aq.choice_mask, aq.saved_at, aq.flagged = None, None, None, False
    session.commit()


def test_the_quick_save_stores_what_the_full_save_stores(session, attempt, now):
    single = next(q.position for q in attempt.questions if q.option_order)
    tf = next(q.position for q in attempt.questions if not q.option_order)
    cases = [
        (single, {"choices": [0]}, None),
        (single, {"choices": [3]}, True),
        (single, {"choices": "2"}, False),
        (single, {"choices": []}, True),  # clears the answer
        (tf, {"value": "true"}, None),
        (tf, {"value": False}, True),
        (tf, {"value": ""}, None),
    ]
    user, at = attempt.owner, now + timedelta(seconds=42)
    for position, posted, flagged in cases:
        kw = dict(now=at, device="phone-1", flagged=flagged)
        _clear(session, attempt, position)
        assert A.save_answer_quickly(
            session, attempt.id, position, posted, user_id=user.id, **kw
        ), (position, posted)
        session.commit()
        quick = _stored(session, attempt, position)
        _clear(session, attempt, position)
        A.save_answer(session, attempt.id, position, posted, user=user, **kw)
        session.commit()
        full = _stored(session, attempt, position)
        assert quick == full, (position, posted, quick, full)
        assert quick[2] == at
    assert _stored(session, attempt, single)[0] is None  # the last single-choice case cleared


def test_every_other_case_is_left_to_the_full_save(session, attempt, now):
    """Nothing is written, and the full save refuses as before."""
    user = attempt.owner
    single = next(q.position for q in attempt.questions if q.option_order)
    other = make_user(session, role="member", unit=user.member.unit)
    session.commit()
    grace = attempt.round.grace_s
    refused = [
        # (position, posted, user, now, device, what the full save raises)
        (99, {"choices": [0]}, user, now, "phone-1", Invalid),
        (single, {"choices": [9]}, user, now, "phone-1", Invalid),
        (single, {"choices": [0, 1]}, user, now, "phone-1", Invalid),
        (single, ["not", "a", "dict"], user, now, "phone-1", Invalid),
        (single, {"choices": [0]}, other, now, "phone-1", NotFound),
        (single, {"choices": [0]}, user, now, "phone-2", Conflict),
    ]
    for position, posted, who, at, device, error in refused:
        before = _stored(session, attempt, single)
        assert not A.save_answer_quickly(
            session, attempt.id, position, posted, user_id=who.id, now=at, device=device
        )
        assert _stored(session, attempt, single) == before
        with pytest.raises(error), session.begin_nested():
            A.save_answer(session, attempt.id, position, posted, user=who, now=at, device=device)
    # no answer (a flag only) and no position (a prediction) take the full path
    assert not A.save_answer_quickly(session, attempt.id, single, None, user_id=user.id, now=now)
    assert not A.save_answer_quickly(session, attempt.id, 0, {}, user_id=user.id, now=now)
    # in the grace period a save is taken; after it, the full save submits the attempt
    late = attempt.deadline_at + timedelta(seconds=grace)
    assert A.save_answer_quickly(
        session, attempt.id, single, {"choices": [1]}, user_id=user.id, now=late
    )
    session.commit()
    later = late + timedelta(seconds=1)
    assert not A.save_answer_quickly(
        session, attempt.id, single, {"choices": [2]}, user_id=user.id, now=later
    )
    with pytest.raises(Conflict):
        A.save_answer(session, attempt.id, single, {"choices": [2]}, user=user, now=later)
    session.commit()
    session.expire_all()
    assert attempt.status == "submitted" and attempt.submitted_by == "timeout"
    assert not A.save_answer_quickly(
        session, attempt.id, single, {"choices": [2]}, user_id=user.id, now=now
    )


def test_the_write_checks_again_what_may_have_changed_since_the_plan(session, attempt, now):
    """The plan is read before the write lock; the UPDATE stores it only if the attempt is
    still in progress, in time and on the planning phone, and writes nothing otherwise."""
    from quizapp.contests.models import Attempt

    user = attempt.owner
    single = [q.position for q in attempt.questions if q.option_order]

    def plan(position, device="phone-1"):
        found = A.plan_quick_save(
            session, attempt.id, position, {"choices": [1]}, user_id=user.id, now=now, device=device
        )
        assert found is not None
        return found

    moved = plan(single[0])
    row = session.get(Attempt, attempt.id)
    row.device = "phone-2"  # another phone took the attempt over meanwhile
    session.commit()
    assert not A.apply_quick_save(session, moved)
    assert A.apply_quick_save(session, plan(single[0], device="phone-2"))
    assert A.apply_quick_save(session, plan(single[1], device=""))  # no phone id yet
    session.commit()
    late = plan(single[2], device="phone-2")
    row.deadline_at = now - timedelta(hours=1)  # an earlier deadline (corrected clock)
    session.commit()
    assert not A.apply_quick_save(session, late)
    row.deadline_at = now + timedelta(minutes=10)
    session.commit()
    submitted = plan(single[3], device="phone-2")
    A.submit_attempt(session, attempt.id, user=user, now=now)
    session.commit()
    assert not A.apply_quick_save(session, submitted)
    session.commit()
    stored = [_stored(session, attempt, p)[0] is not None for p in single[:4]]
    assert stored == [True, True, False, False]
