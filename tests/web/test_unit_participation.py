"""Participation per unit is counted in the database (one row per unit and score): it must
agree, unit by unit and for every way of counting attempts, with the per-attempt
computation it replaced (kept here as the reference)."""

import statistics
from datetime import timedelta

import pytest

from quizapp.auth.services import actor_for
from quizapp.contests import attempts as A
from quizapp.contests import results as R
from quizapp.contests import starting as S
from quizapp.contests import units as U
from quizapp.contests.models import Attempt
from quizapp.orgs.models import Unit
from tests.contest_helpers import make_bank, make_contest
from tests.factories import make_member, make_unit, make_user

# (unit key, right answers of each submitted attempt in order); None: started, not submitted
PLAYERS = [
    ("b1", [1, 3, 2]),  # best 3 (second), first 1, last 2
    ("b1", [2, 2]),  # a tie: the earlier counts as best
    ("ward", [0]),
    ("b2", [3, 0, 1]),
    ("b2", [2]),
    ("province", [1, 1, 3]),
    ("b2", [2, None]),  # the unfinished second attempt never counts
    ("b3", [3, 3, 0]),
    ("b1>b2", [2, 2]),  # moved from b1 to b2 between two equal attempts: best is the b1 one
]


@pytest.fixture()
def round_played(session, now):
    province = make_unit(session, "Tỉnh Đoàn An Giang", code="AG")
    ward = make_unit(session, "Đoàn phường Mỹ Long", parent=province, code="AG-ML")
    units = {
        "province": province,
        "ward": ward,
        "b1": make_unit(session, "Chi đoàn khu phố 1", parent=ward, code="AG-ML-1"),
        "b2": make_unit(session, "Chi đoàn Trường THPT Long Xuyên", parent=province, code="AG-LX"),
        "b3": make_unit(session, "Chi đoàn khu phố 2", parent=ward, code="AG-ML-2"),
        "idle": make_unit(session, "Chi đoàn xã Mỹ Hòa Hưng", parent=province, code="AG-MHH"),
    }
    for key, extra in (("b1", 3), ("b2", 1), ("idle", 4)):  # members who did not take part
        for _ in range(extra):
            make_member(session, units[key])
    bank = make_bank(session, province, now)
    contest = make_contest(session, province, bank, now, count=3, attempts_allowed=3)
    rnd = contest.rounds[0]
    t = now
    for key, attempts in PLAYERS:
        user = make_user(session, role="member", unit=units[key.split(">")[0]])
        for nth, right in enumerate(attempts):
            if nth and ">" in key:
                user.member.unit_id = units[key.split(">")[1]].id
            t += timedelta(minutes=1)
            attempt = S.start_attempt(session, rnd.id, user=user, actor=actor_for(user), now=t)
            if right is None:
                continue
            for aq in attempt.questions[:right]:
                choice = {"choices": [aq.option_order.index(0)]}
                A.save_answer(session, attempt.id, aq.position, choice, user=user, now=t)
            A.submit_attempt(session, attempt.id, user=user, now=t + timedelta(seconds=30))
    session.commit()
    return rnd, units


def _reference(session, rnd):
    """The former computation: every counted attempt read, its percentage listed in each
    unit up the tree."""
    paths = {
        u.id: u.path
        for u in session.query(Unit).filter(Unit.path.startswith(rnd.contest.owner_unit.path))
    }
    out = {uid: {"participants": 0, "passed": 0, "scores": []} for uid in paths}
    for e in R.counted_entries(session, rnd):
        pct = float(e.score * 100 / e.max_score)
        for uid, path in paths.items():
            if paths[e.unit_id].startswith(path):
                out[uid]["participants"] += 1
                out[uid]["passed"] += pct >= rnd.pass_mark
                out[uid]["scores"].append(pct)
    return out


@pytest.mark.parametrize("counting", ["best", "first", "last"])
def test_grouped_counts_agree_with_the_per_attempt_computation(session, round_played, counting):
    rnd, units = round_played
    rnd.counting = counting
    session.flush()
    nodes, totals, collective = U.unit_participation(session, rnd)
    reference = _reference(session, rnd)
    assert {n.id for n in nodes} == set(reference)
    for uid, ref in reference.items():
        got = totals[uid]
        assert (got.participants, got.passed) == (ref["participants"], ref["passed"]), uid
        if ref["scores"]:
            assert got.median == statistics.median(ref["scores"]), uid
            assert got.mean == pytest.approx(statistics.fmean(ref["scores"]), abs=1e-9), uid
        else:
            assert got.mean is None and got.median is None
    # the root counts every participant once, whichever attempt of theirs counts
    assert totals[units["province"].id].participants == len(PLAYERS)
    assert totals[units["idle"].id].participants == 0
    mover_counted_in = "b2" if counting == "last" else "b1"
    others = sum(1 for key, _ in PLAYERS if key == mover_counted_in)
    assert totals[units[mover_counted_in].id].participants == others + 1
    assert collective.by_rate[-1].unit.name == units["idle"].name  # 0 of 4 took part


def test_the_counted_attempt_is_the_one_the_round_says(session, round_played):
    """Written out by hand for the ward (b1 with the member who later moved, b3 and its own
    member)."""
    rnd, units = round_played
    ward = units["ward"].id
    # b1: 1,3,2 and 2,2 (and the mover's first 2); ward: 0; b3: 3,3,0 — as percentages
    expected = {
        "best": [100.0, 200 / 3, 0.0, 100.0, 200 / 3],
        "first": [100 / 3, 200 / 3, 0.0, 100.0, 200 / 3],
        "last": [200 / 3, 200 / 3, 0.0, 0.0],
    }
    for counting, scores in expected.items():
        rnd.counting = counting
        session.flush()
        _nodes, totals, _ = U.unit_participation(session, rnd)
        tally = totals[ward]
        assert sorted(tally.scores.elements()) == pytest.approx(sorted(scores)), counting
        assert tally.passed == sum(s >= 50 for s in scores)
        assert (tally.participants, tally.eligible) == (len(scores), 4 + 3)


def test_ranking_filtered_by_unit_or_population_keeps_the_whole_rounds_ranks(
    session, round_played, now
):
    """The results page's filters: a subtree (by the unit of the counted attempt, so the
    member who moved counts where they were) or a population category (of the attempt's
    member); the ranks stay those of the whole round."""
    from quizapp.orgs.models import MemberCategory

    rnd, units = round_played
    whole, actual = R.round_ranking(session, rnd, now)
    rank_of = {r.entry.participant_id: r.rank for r in whole}
    ward, _ = R.round_ranking(session, rnd, now, unit=units["ward"])
    expected_units = {units[k].id for k in ("ward", "b1", "b3")}
    assert {r.entry.participant_id for r in ward} == {
        r.entry.participant_id for r in whole if r.entry.unit_id in expected_units
    }
    assert len(ward) == 5  # two in b1, the mover (counted in b1), one in the ward, one in b3
    assert all(rank_of[r.entry.participant_id] == r.rank for r in ward)
    assert [r.rank for r in ward] == sorted(r.rank for r in ward)
    # pupils: the members of b2's participants
    b2 = [r for r in whole if r.entry.unit_id == units["b2"].id]
    for r in b2[:2]:
        attempt = session.get(Attempt, r.entry.attempt_id)
        session.add(MemberCategory(member_id=attempt.member_id, category="pupil"))
    session.flush()
    pupils, _ = R.round_ranking(session, rnd, now, population="pupil")
    assert [r.entry.participant_id for r in pupils] == [r.entry.participant_id for r in b2[:2]]
    both, _ = R.round_ranking(session, rnd, now, unit=units["ward"], population="pupil")
    assert both == []
