"""Participation roll-up with units of different sizes: sums, never averages of rates."""

import statistics
from collections import Counter

import pytest
from hypothesis import given
from hypothesis import strategies as st

from quizapp.contests.participation import Tally, UnitNode, collective_standings, rollup

UNITS = [
    UnitNode(1, None, "Tỉnh", 0),
    UnitNode(2, 1, "Phường A", 1),
    UnitNode(3, 1, "Xã B", 1),
    UnitNode(4, 2, "Chi đoàn A1", 2),
]


def test_rollup_sums_numerators_and_denominators():
    direct = {
        4: Tally(eligible=10, participants=9, passed=5, scores=Counter({90.0: 9})),
        2: Tally(eligible=0, participants=0),
        3: Tally(eligible=1000, participants=100, passed=50, scores=Counter({50.0: 100})),
    }
    totals = rollup(UNITS, direct)
    assert (totals[2].participants, totals[2].eligible) == (9, 10)
    assert (totals[1].participants, totals[1].eligible) == (109, 1010)
    # 109/1010 ≈ 10.8 %, not the mean of 90 % and 10 % (50 %)
    assert abs(totals[1].rate - 109 / 1010) < 1e-12
    assert totals[1].pass_rate == 55 / 109
    assert abs(totals[1].mean - (9 * 90 + 100 * 50) / 109) < 1e-9 and totals[1].median == 50
    assert totals[4].rate == 0.9 and Tally().rate is None


def test_collective_ranking_by_rate_with_optional_points():
    totals = rollup(UNITS, {2: Tally(10, 5), 3: Tally(10, 6)})
    children = [u for u in UNITS if u.parent_id == 1]
    assert [s.unit.name for s in collective_standings(children, totals)] == ["Xã B", "Phường A"]
    ranked = collective_standings(children, totals, points={2: 12.0}, weight=1.0)
    assert [(s.unit.name, s.value) for s in ranked] == [("Phường A", 62.0), ("Xã B", 60.0)]
    ranked = collective_standings(children, totals, points={2: 10.0}, weight=1.0)
    # 50 + 10 = 60 each, no scores: the number of participants decides (6 > 5)
    assert [(s.rank, s.unit.name) for s in ranked] == [(1, "Xã B"), (2, "Phường A")]


WARDS = [UnitNode(1, None, "Tỉnh", 0)] + [UnitNode(i, 1, n, 1) for i, n in enumerate("EDCBA", 2)]


def test_collective_rules_as_stated_rate_then_mean_then_participants():
    direct = {
        2: Tally(10, 5, scores=Counter({80.0: 5})),  # E: 50 %, mean 80
        3: Tally(10, 5, scores=Counter({60.0: 5})),  # D: 50 %, mean 60
        4: Tally(4, 2, scores=Counter({80.0: 2})),  # C: 50 %, mean 80, fewer participants
        5: Tally(2, 1, scores=Counter({80.0: 1})),  # B: 50 %, mean 80, 1 participant
        6: Tally(0, 0),  # A: no roster: not ranked by rate, no participant: not by mean
    }
    totals = rollup(WARDS, direct)
    wards = WARDS[1:]
    by_rate = collective_standings(wards, totals)
    assert [(s.rank, s.unit.name) for s in by_rate] == [(1, "E"), (2, "C"), (3, "B"), (4, "D")]
    assert not any(s.tie for s in by_rate)
    by_mean = collective_standings(wards, totals, by="mean")
    assert [(s.rank, s.unit.name) for s in by_mean] == [(1, "E"), (2, "C"), (3, "B"), (4, "D")]
    # equal on every criterion: the same rank, listed by name, the next rank skipped
    totals = rollup(WARDS, {2: Tally(4, 2, scores=Counter({70.0: 2})), 3: Tally(2, 2)})
    totals[3] = Tally(4, 2, scores=Counter({70.0: 2}))
    totals[4] = Tally(4, 1, scores=Counter({70.0: 1}))
    ranked = collective_standings(wards[:3], totals)
    assert [(s.rank, s.unit.name, s.tie) for s in ranked] == [
        (1, "D", True),
        (1, "E", True),
        (3, "C", False),
    ]


@given(st.lists(st.sampled_from([0.0, 3.0, 10.0, 100 / 3, 50.0, 55.5, 200 / 3, 100.0]), min_size=1))
def test_median_and_mean_of_the_counted_scores_as_if_listed(scores):
    tally = Tally(participants=len(scores), scores=Counter(scores))
    assert tally.median == statistics.median(scores)
    assert tally.mean == pytest.approx(statistics.fmean(scores))
    assert Tally().median is None and Tally().mean is None
