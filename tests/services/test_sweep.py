"""The sweep at the scale of a national round: it ends, submits exactly the attempts past
their grace period, and one attempt with bad stored data never stops it."""

import time
from datetime import timedelta

from sqlalchemy import func, insert, select, update

from quizapp.auth.models import User
from quizapp.banks.models import QuestionVersion
from quizapp.contests import attempts as A
from quizapp.contests.models import Attempt, AttemptQuestion
from tests.contest_helpers import make_bank, make_contest
from tests.factories import make_unit

N = 10_000


def _attempts(session, rnd, now, n, deadline_of):
    """n attempts in progress by n new accounts, with set-based inserts (one question each)."""
    version_id = session.scalar(select(func.min(QuestionVersion.id)))
    session.execute(
        insert(User),
        [
            {
                "display_name": f"Đoàn viên {i}",
                "email": f"sweep{i}@example.vn",
                "password_hash": "x",
            }
            for i in range(n)
        ],
    )
    user_ids = session.scalars(
        select(User.id).where(User.email.like("sweep%")).order_by(User.id)
    ).all()
    session.execute(
        insert(Attempt),
        [
            {
                "round_id": rnd.id,
                "user_id": uid,
                "number": 1,
                "preview": False,
                "status": "in_progress",
                "seed": i,
                "started_at": now - timedelta(hours=3),
                "deadline_at": deadline_of(i),
            }
            for i, uid in enumerate(user_ids)
        ],
    )
    ids = session.scalars(
        select(Attempt.id).where(Attempt.round_id == rnd.id).order_by(Attempt.id)
    ).all()
    session.execute(
        insert(AttemptQuestion),
        [
            {
                "attempt_id": aid,
                "position": 1,
                "version_id": version_id,
                "option_order": [0, 1, 2, 3],
                "response": {"choices": [0]},
                "flagged": False,
            }
            for aid in ids
        ],
    )
    return ids, version_id


def test_sweep_of_ten_thousand_ends_and_submits_only_past_grace(session, now):
    unit = make_unit(session, "Tỉnh Đoàn", code="TD")
    contest = make_contest(session, unit, make_bank(session, unit, now), now)
    rnd = contest.rounds[0]
    rnd.grace_s = 120
    sweep_at = now + timedelta(days=1)
    # Even: past the grace period; odd: past the deadline but still inside the grace.
    ids, _ = _attempts(
        session,
        rnd,
        now,
        N,
        lambda i: sweep_at - (timedelta(minutes=10) if i % 2 == 0 else timedelta(seconds=30)),
    )
    session.flush()
    session.expire_all()
    commits = []
    started = time.perf_counter()
    count = A.sweep(session, sweep_at, on_batch=lambda: commits.append(1))
    elapsed = time.perf_counter() - started
    print(f"sweep of {N}: {elapsed:.1f} s")
    assert count == N // 2
    assert len(commits) == N // 500  # one call per batch of 500
    rows = dict(
        session.execute(select(Attempt.id, Attempt.status).where(Attempt.id.in_(ids))).all()
    )
    assert all(rows[a] == ("submitted" if i % 2 == 0 else "in_progress") for i, a in enumerate(ids))
    assert A.sweep(session, sweep_at) == 0  # nothing left past grace; it still ends


def test_one_attempt_with_bad_data_is_skipped_and_the_sweep_goes_on(session, now, caplog):
    unit = make_unit(session, "Tỉnh Đoàn", code="TD")
    contest = make_contest(session, unit, make_bank(session, unit, now), now)
    rnd = contest.rounds[0]
    sweep_at = now + timedelta(days=1)
    ids, version_id = _attempts(session, rnd, now, 30, lambda i: sweep_at - timedelta(hours=1))
    # A stored question the grader cannot read (an unknown type) under the tenth attempt.
    bad = QuestionVersion(
        question_id=session.get(QuestionVersion, version_id).question_id,
        number=99,
        content={"type": "no-such-type", "text": "?"},
        content_hash="bad",
    )
    session.add(bad)
    session.flush()
    session.execute(
        update(AttemptQuestion)
        .where(AttemptQuestion.attempt_id == ids[9])
        .values(version_id=bad.id)
    )
    session.expire_all()
    assert A.sweep(session, sweep_at, batch=7) == 29
    statuses = dict(
        session.execute(select(Attempt.id, Attempt.status).where(Attempt.id.in_(ids))).all()
    )
    assert statuses[ids[9]] == "in_progress"
    assert sum(s == "submitted" for s in statuses.values()) == 29
    assert f"attempt {ids[9]} could not be graded" in caplog.text


def test_a_stored_mark_out_of_bounds_is_not_a_500(session, now):
    """Data stored before marks were validated: 1e308 leaves that question ungraded."""
    unit = make_unit(session, "Tỉnh Đoàn", code="TD")
    contest = make_contest(session, unit, make_bank(session, unit, now), now)
    sweep_at = now + timedelta(days=1)
    ids, version_id = _attempts(
        session, contest.rounds[0], now, 3, lambda i: sweep_at - timedelta(hours=1)
    )
    version = session.get(QuestionVersion, version_id)
    version.content = {**version.content, "mark": "1e308"}
    session.flush()
    session.expire_all()
    assert A.sweep(session, sweep_at) == 3
    attempt = session.get(Attempt, ids[0])
    assert attempt.status == "submitted" and attempt.max_score == 0
