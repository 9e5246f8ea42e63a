"""Participation roll-up with units of different sizes: sums, never averages of rates."""

import statistics
from collections import Counter

import pytest
from hypothesis import given
from hypothesis import strategies as st

from quizapp.contests.participation import Tally, UnitNode, collective_ranking, rollup

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
    assert [u.name for u, _ in collective_ranking(children, totals)] == ["Xã B", "Phường A"]
    ranked = collective_ranking(children, totals, points={2: 10.0}, weight=1.0)
    assert [u.name for u, _ in ranked] == ["Phường A", "Xã B"]  # 50 + 10 > 60


@given(st.lists(st.sampled_from([0.0, 3.0, 10.0, 100 / 3, 50.0, 55.5, 200 / 3, 100.0]), min_size=1))
def test_median_and_mean_of_the_counted_scores_as_if_listed(scores):
    tally = Tally(participants=len(scores), scores=Counter(scores))
    assert tally.median == statistics.median(scores)
    assert tally.mean == pytest.approx(statistics.fmean(scores))
    assert Tally().median is None and Tally().mean is None
