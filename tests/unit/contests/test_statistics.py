"""Item statistics against hand-computed values on a small fixed data set."""

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from quizapp.contests.statistics import DE_THRESHOLD, AttemptItems, Served, analyse
from tests.unit.contests import reference_statistics as reference

# Four attempts, two questions (versions 10 and 20, 1 mark each). Question 20 is answered
# right by the weaker participants only: the classic sign of a wrong key.
DATA = [  # (q10 earned, q10 chosen), (q20 earned, q20 chosen)
    ((1, (0,)), (0, (2,))),
    ((1, (0,)), (0, (2,))),
    ((0, (1,)), (1, (0,))),
    ((0, (3,)), (1, (0,))),
]


def attempts():
    return [
        AttemptItems(
            i, (Served(1, 10, float(a[0]), 1.0, a[1]), Served(2, 20, float(b[0]), 1.0, b[1]))
        )
        for i, (a, b) in enumerate(DATA)
    ]


def test_facility_sd_discrimination_efficiency():
    items, test = analyse(attempts(), keyed={10: {0}, 20: {0}})
    by = {s.version_id: s for s in items}
    q10 = by[10]
    assert q10.n == 4 and q10.facility == 50.0
    # sample SD of (1, 1, 0, 0) = sqrt(1/3)
    assert q10.sd == pytest.approx(100 * math.sqrt(1 / 3))
    # rest of test for q10 = q20 marks (0, 0, 1, 1): perfectly opposite → −100
    assert q10.discrimination == pytest.approx(-100.0)
    assert "negative_discrimination" in q10.flags
    # maximum covariance pairs sorted values: cov((0,0,1,1),(0,0,1,1)) = 1/3; cov = −1/3
    assert q10.efficiency == pytest.approx(-100.0)


def test_wrong_key_flag_from_top_third():
    items, _ = analyse(attempts(), keyed={10: {0}, 20: {0}})
    q20 = next(s for s in items if s.version_id == 20)
    # attempts are tied on totals (1 each): thirds hold one attempt each
    assert sum(q20.top.values()) == 1 and sum(q20.bottom.values()) == 1


def test_cronbach_alpha_and_standard_error():
    data = [(1, 1, 1), (1, 1, 0), (1, 0, 0), (0, 0, 0), (1, 1, 1)]
    atts = [
        AttemptItems(i, tuple(Served(p + 1, 100 + p, float(x), 1.0) for p, x in enumerate(row)))
        for i, row in enumerate(data)
    ]
    _, test = analyse(atts, keyed={})
    # by hand: item variances 0.2, 0.3, 0.3; totals 3, 2, 1, 0, 3 → mean 1.8, variance 1.7
    assert test.alpha == pytest.approx(3 / 2 * (1 - 0.8 / 1.7))
    assert test.standard_error == pytest.approx(math.sqrt(1.7) * math.sqrt(1 - test.alpha))
    assert test.mean == pytest.approx(1.8)


def test_a_good_item_is_not_flagged():
    data = [(1, 1), (1, 1), (0, 0), (0, 0), (1, 0), (0, 1)]
    atts = [
        AttemptItems(
            i,
            (
                Served(1, 1, float(a), 1.0, (0,) if a else (1,)),
                Served(2, 2, float(b), 1.0, (0,) if b else (1,)),
            ),
        )
        for i, (a, b) in enumerate(data)
    ]
    items, _ = analyse(atts, keyed={1: {0}, 2: {0}})
    assert all(not s.flags for s in items)
    assert all(s.discrimination > 0 for s in items)


def test_top_third_preferring_a_wrong_option_is_flagged():
    # Six participants; on question 30 (keyed option 0) the strongest three choose option 2.
    rows = [(5, 2, 0), (5, 2, 0), (4, 2, 0), (1, 0, 1), (1, 0, 1), (0, 0, 1)]
    atts = [
        AttemptItems(
            i, (Served(1, 1, float(other), 5.0), Served(2, 30, float(earned), 1.0, (chosen,)))
        )
        for i, (other, chosen, earned) in enumerate(rows)
    ]
    items, _ = analyse(atts, keyed={30: {0}})
    q30 = next(s for s in items if s.version_id == 30)
    assert q30.top == {2: 2} and q30.bottom == {0: 2}
    assert {"wrong_option_preferred_by_top", "negative_discrimination"} <= set(q30.flags)
    assert items[0].version_id == 30  # flagged questions come first


@st.composite
def rounds(draw):
    """Attempts of one round: each serves `per` distinct versions of a small pool, marks
    with partial credit, options chosen at random."""
    pool = draw(st.integers(2, 6))
    per = draw(st.integers(1, pool))
    marks = [draw(st.sampled_from([1.0, 2.0, 0.5])) for _ in range(pool)]
    out = []
    for i in range(draw(st.integers(0, 25))):
        served = draw(st.permutations(range(pool)))[:per]
        items = []
        for p, v in enumerate(served, start=1):
            share = draw(st.sampled_from([0.0, 0.0, 0.5, 1.0, 1.0]))
            chosen = tuple(draw(st.sets(st.integers(0, 4), max_size=2)))
            items.append(Served(p, 100 + v, share * marks[v], marks[v], chosen))
        out.append(AttemptItems(i, tuple(items)))
    keyed = {100 + v: draw(st.sets(st.integers(0, 4), max_size=2)) for v in range(pool)}
    return out, keyed


def _close(a, b):
    return (a is None and b is None) or (
        a is not None and b is not None and a == pytest.approx(b, rel=1e-9, abs=1e-9)
    )


@settings(max_examples=300, deadline=None)
@given(rounds())
def test_the_vectorised_statistics_equal_the_formulas_loop_by_loop(data):
    attempts, keyed = data
    items, test = analyse(attempts, keyed)
    ref_items, ref_test = reference.analyse(attempts, keyed)
    assert [s.version_id for s in items] == [s.version_id for s in ref_items]
    for s, ref in zip(items, ref_items, strict=True):
        assert s.n == ref.n and s.top == ref.top and s.bottom == ref.bottom
        for name in ("facility", "sd", "discrimination", "efficiency"):
            assert _close(getattr(s, name), getattr(ref, name)), (name, s, ref)
        # A flag decided by a threshold may differ only when the value sits on it.
        if s.flags != ref.flags:
            assert s.efficiency == pytest.approx(DE_THRESHOLD) or s.discrimination == (
                pytest.approx(0, abs=1e-9)
            )
    assert test.attempts == ref_test.attempts
    for name in ("mean", "sd", "alpha", "standard_error"):
        assert _close(getattr(test, name), getattr(ref_test, name)), name
