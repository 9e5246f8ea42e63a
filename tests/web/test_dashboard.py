"""The live dashboard's figures are counted in the database (per UTC hour and per score) and
labelled in Vietnam's time: submissions fall in the right local hour across midnight, and
the score bands and counts are those of the attempts."""

from datetime import UTC, datetime, timedelta

from quizapp.auth.services import actor_for
from quizapp.contests import attempts as A
from quizapp.contests import dashboard as D
from quizapp.contests import starting as S
from tests.contest_helpers import make_bank, make_contest
from tests.factories import make_unit, make_user

BASE = datetime(2026, 11, 20, 17, 0, tzinfo=UTC)  # 00:00 on 21/11 in Vietnam


def test_snapshot_counts_by_local_hour_and_score_band(session):
    unit = make_unit(session, "Tỉnh Đoàn An Giang", code="AG")
    bank = make_bank(session, unit, BASE - timedelta(days=3))
    contest = make_contest(
        session,
        unit,
        bank,
        BASE - timedelta(days=3),
        count=3,
        attempts_allowed=1,
        opens_at=BASE - timedelta(days=2),
        closes_at=BASE + timedelta(days=5),
    )
    rnd = contest.rounds[0]
    # (submitted at, right answers of 3)
    plan = [
        (BASE - timedelta(hours=30), 3),  # before the dashboard's 24 hours: counted, not drawn
        (BASE - timedelta(seconds=1), 3),  # 23:59:59 on 20/11
        (BASE, 2),  # 00:00:00 on 21/11
        (BASE + timedelta(minutes=59, seconds=59), 1),  # still 00h
        (BASE + timedelta(hours=1, minutes=30), 0),  # 01h
    ]
    for i, (at, right) in enumerate(plan):
        user = make_user(session, role="member", unit=unit, name=f"Người {i}")
        attempt = S.start_attempt(
            session, rnd.id, user=user, actor=actor_for(user), now=at - timedelta(minutes=2)
        )
        for aq in attempt.questions[:right]:
            choice = {"choices": [aq.option_order.index(0)]}
            A.save_answer(session, attempt.id, aq.position, choice, user=user, now=at)
        A.submit_attempt(session, attempt.id, user=user, now=at)
    waiting = make_user(session, role="member", unit=unit, name="Người đang làm")
    S.start_attempt(session, rnd.id, user=waiting, actor=actor_for(waiting), now=BASE)
    session.flush()

    snap = D._build(session, rnd, BASE + timedelta(hours=2))
    assert (snap.participants, snap.in_progress, snap.submitted) == (6, 1, 5)
    hours = dict(snap.per_hour)
    assert hours["20/11 23h"] == 1 and hours["21/11 00h"] == 2 and hours["21/11 01h"] == 1
    assert sum(hours.values()) == 4  # the one 30 hours earlier is outside the window
    assert len(hours) == 24 and next(iter(hours)) == "20/11 03h"  # 23 h before 02h, hourly
    bands = dict(snap.histogram)
    assert bands["90–100%"] == 2 and bands["60–70%"] == 1 and bands["30–40%"] == 1
    assert bands["0–10%"] == 1 and sum(bands.values()) == 5
