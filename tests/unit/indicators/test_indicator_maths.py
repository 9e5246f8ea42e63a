"""Indicator maths: rates, roll-up (sums, never averages), periods, projection and status."""

import random
from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from quizapp.indicators.definitions import Target
from quizapp.indicators.maths import (
    STATUS_LABELS,
    Count,
    DayMonth,
    Status,
    assess,
    days_until_due,
    gap,
    next_report_due,
    parse_path,
    period_of,
    project,
    rate,
    report_due,
    reporting_period,
    roll_up,
    roll_up_paths,
    status,
    still_needed,
    target_for,
    unit_level_counts,
)

# --- rates ------------------------------------------------------------------------------------


def test_rate():
    assert rate(4, 5) == 80.0
    assert rate(0, 7) == 0.0
    assert rate(7, 7) == 100.0
    assert rate(1, 3) == pytest.approx(33.333333)
    assert rate(0, 0) is None
    with pytest.raises(ValueError):
        rate(-1, 3)


@given(st.integers(0, 10**6), st.integers(1, 10**6), st.integers(0, 100))
def test_rate_compares_exactly_with_whole_targets(num, den, target):
    """A rate meets a whole-percent target exactly when num / den >= target / 100."""
    assert (rate(num, den) >= target) == (num * 100 >= target * den)


def test_count():
    assert Count(1, 2) + Count(3, 4) == Count(4, 6)
    assert Count(3, 4).rate == 75.0
    assert Count().rate is None
    with pytest.raises(ValueError):
        Count(-1, 0)


# --- roll-up ----------------------------------------------------------------------------------

# province 1 → communes 2, 3 → branches 4, 5 under 2; commune 3 has no members at all.
PARENTS = {1: None, 2: 1, 3: 1, 4: 2, 5: 2}


def test_roll_up_by_hand():
    values = {4: Count(9, 10), 5: (1, 90), 2: Count(0, 0), 1: Count(1, 1)}
    totals = roll_up(values, PARENTS)
    assert totals == {
        1: Count(11, 101),
        2: Count(10, 100),
        3: Count(0, 0),
        4: Count(9, 10),
        5: Count(1, 90),
    }
    # Sums, not an average of percentages: the average of 90% and 1.1% would be 45.6%.
    assert totals[2].rate == 10.0
    assert totals[3].rate is None


def test_roll_up_errors():
    with pytest.raises(ValueError, match="not in the tree"):
        roll_up({9: Count(1, 1)}, PARENTS)
    with pytest.raises(ValueError, match="cycle"):
        roll_up({}, {1: 2, 2: 3, 3: 1})
    with pytest.raises(ValueError, match="cycle"):
        roll_up({}, {1: 1})
    with pytest.raises(ValueError, match="parent 7"):
        roll_up({}, {1: 7})


@st.composite
def trees(draw):
    """A random forest: unit i's parent is an earlier unit or None, with random own counts."""
    size = draw(st.integers(1, 40))
    parents = {}
    for unit in range(size):
        parent = draw(st.none() | st.integers(0, unit - 1)) if unit else None
        parents[unit] = parent
    values = {}
    for unit in range(size):
        den = draw(st.integers(0, 50))
        values[unit] = Count(draw(st.integers(0, den)), den)
    return parents, values


def children(parents, unit):
    return [u for u, p in parents.items() if p == unit]


def subtree(parents, unit):
    out = [unit]
    for child in children(parents, unit):
        out.extend(subtree(parents, child))
    return out


@settings(deadline=None)
@given(trees(), st.randoms())
def test_roll_up_equals_the_sum_of_the_subtree(tree, rnd):
    parents, values = tree
    keys = list(parents)
    rnd.shuffle(keys)
    shuffled = {k: parents[k] for k in keys}  # the order of the input does not matter
    totals = roll_up(values, shuffled)
    for unit in parents:
        members = subtree(parents, unit)
        assert totals[unit] == Count(
            sum(values[u].numerator for u in members), sum(values[u].denominator for u in members)
        )
        # and each total is its own count plus its children's totals
        expected = values[unit]
        for child in children(parents, unit):
            expected = expected + totals[child]
        assert totals[unit] == expected
    roots = [u for u, p in parents.items() if p is None]
    everything = sum((totals[r] for r in roots), Count())
    assert everything == sum(values.values(), Count())


@settings(deadline=None)
@given(trees())
def test_roll_up_paths_matches_roll_up(tree):
    parents, values = tree
    ids = {u: u + 1 for u in parents}  # database ids start at 1

    def path(unit):
        return (path(parents[unit]) if parents[unit] is not None else "/") + f"{ids[unit]}/"

    by_id = roll_up_paths(
        {ids[u]: v for u, v in values.items()}, {ids[u]: path(u) for u in parents}
    )
    by_parent = roll_up(values, parents)
    assert by_id == {ids[u]: total for u, total in by_parent.items()}


def test_paths():
    assert parse_path("/1/7/42/") == (1, 7, 42)
    assert parse_path("/3/") == (3,)
    for bad in ("1/7/", "/1/x/", "", "/1/7"):
        with pytest.raises(ValueError):
            parse_path(bad)
    with pytest.raises(ValueError, match="does not end"):
        roll_up_paths({}, {5: "/1/6/"})


def test_unit_level_counts_roll_up_to_the_share_of_units():
    types = {1: "province", 2: "commune", 3: "commune", 4: "branch", 5: "school"}
    counts = unit_level_counts(types, meeting={2, 4, 5}, types=["commune", "school"])
    assert counts[1] == Count() and counts[4] == Count()  # not of a counted type
    assert counts[2] == Count(1, 1) and counts[3] == Count(0, 1)
    totals = roll_up(counts, PARENTS)
    assert totals[1] == Count(2, 3)  # communes 2 (yes), 3 (no) and school 5 (yes)


# --- reporting periods ------------------------------------------------------------------------


def test_reporting_year_first_and_last_day():
    period = reporting_period(2026)
    assert (period.start, period.end) == (date(2025, 10, 16), date(2026, 10, 15))
    assert date(2025, 10, 16) in period and date(2026, 10, 15) in period
    assert date(2025, 10, 15) not in period and date(2026, 10, 16) not in period
    assert "2026-10-15" not in period
    assert period.days == 365
    assert reporting_period(2024).days == 366  # holds 29/02/2024
    assert period_of(date(2026, 10, 15)).year == 2026
    assert period_of(date(2026, 10, 16)).year == 2027
    assert period_of(date(2026, 1, 1)).year == 2026


def test_calendar_year_and_other_starts():
    jan = DayMonth(1, 1)
    assert reporting_period(2026, jan) == reporting_period(2026, DayMonth.parse("01/01"))
    period = reporting_period(2026, jan)
    assert (period.start, period.end) == (date(2026, 1, 1), date(2026, 12, 31))
    march = reporting_period(2024, DayMonth(1, 3))
    assert (march.start, march.end) == (date(2023, 3, 1), date(2024, 2, 29))
    assert period_of(date(2026, 12, 31), jan).year == 2026


@given(
    st.dates(date(2000, 1, 1), date(2100, 12, 31)),
    st.sampled_from([DayMonth(16, 10), DayMonth(1, 1), DayMonth(1, 3), DayMonth(5, 9)]),
)
def test_periods_tile_the_calendar(day, start):
    period = period_of(day, start)
    assert day in period
    following = reporting_period(period.year + 1, start)
    assert following.start == period.end + timedelta(days=1)
    assert (period.start.month, period.start.day) == (start.month, start.day)
    assert period.days in (365, 366)


def test_day_month():
    assert DayMonth.parse("15/10") == DayMonth(15, 10)
    assert str(DayMonth(5, 10)) == "05/10"
    assert DayMonth.parse(" 5/9 ").in_year(2026) == date(2026, 9, 5)
    for bad in ("31/02", "29/02", "15-10", "x/y", "15/13", ""):
        with pytest.raises(ValueError):
            DayMonth.parse(bad)


def test_report_due_and_days_until_it():
    assert report_due(2026) == date(2026, 10, 15)
    assert days_until_due(date(2026, 10, 15)) == 0
    assert days_until_due(date(2026, 10, 14)) == 1
    assert days_until_due(date(2026, 10, 16)) == 364
    assert days_until_due(date(2027, 10, 16)) == 365  # across 29/02/2028
    assert days_until_due(date(2026, 1, 1)) == 287
    assert next_report_due(date(2026, 10, 16)) == date(2027, 10, 15)
    assert days_until_due(date(2026, 12, 30), DayMonth(31, 12)) == 1


# --- projection and status --------------------------------------------------------------------

D0 = date(2025, 10, 16)


def days(n):
    return D0 + timedelta(days=n)


def test_projection_of_a_straight_line_is_exact():
    trend = [(days(0), 10.0), (days(100), 20.0), (days(200), 30.0)]
    assert project(trend, days(300)) == pytest.approx(40.0)
    assert project(reversed(trend), days(300)) == pytest.approx(40.0)  # order does not matter


def test_projection_is_least_squares():
    # points (0, 0), (1, 1), (2, 1): slope 0.5, intercept 1/6
    trend = [(days(0), 0.0), (days(1), 1.0), (days(2), 1.0)]
    assert project(trend, days(4)) == pytest.approx(1 / 6 + 2.0)


def test_projection_edge_cases():
    assert project([], days(10)) is None
    assert project([(days(5), 42.0)], days(300)) == 42.0  # one point: flat
    assert project([(days(5), 42.0), (days(5), 44.0)], days(300)) == 43.0  # one date: mean
    # with an origin (the period start, where a yearly count is 0) one point gives a slope
    assert project([(days(30), 10.0)], days(300), origin=days(0)) == pytest.approx(100.0)
    assert project([(days(30), 10.0)], days(60), origin=days(0)) == pytest.approx(20.0)
    # the origin is ignored when it is not before every point
    assert project([(days(30), 10.0)], days(60), origin=days(30)) == 10.0
    # kept within [0, 100], or [0, ∞) without a cap
    rising = [(days(0), 50.0), (days(10), 60.0)]
    assert project(rising, days(1000)) == 100.0
    assert project(rising, days(1000), cap=None) == pytest.approx(1050.0)
    falling = [(days(0), 50.0), (days(10), 40.0)]
    assert project(falling, days(1000)) == 0.0


def test_status():
    assert status(None, 80) is Status.NO_DATA
    assert status(rate(4, 5), 80) is Status.MET  # exactly the target is met
    assert status(79.9, 80, projected=80.0) is Status.ON_TRACK
    assert status(79.9, 80, projected=80 - 1e-12) is Status.ON_TRACK  # float noise
    assert status(79.9, 80, projected=79.0) is Status.BEHIND
    assert status(79.9, 80) is Status.BEHIND
    assert set(STATUS_LABELS) == set(Status)


def test_gap_and_still_needed():
    assert gap(70.0, 80) == 10.0
    assert gap(90.0, 80) == -10.0
    assert gap(None, 80) is None
    assert still_needed(Count(7, 10), 80) == 1
    assert still_needed(Count(8, 10), 80) == 0
    assert still_needed(Count(0, 3), 70) == 3  # 2.1 people round up to 3
    assert still_needed(Count(0, 1000), 95.5) == 955
    assert still_needed(Count(0, 0), 80) == 0


# 20, 40, 60 at 100-day steps: the line reaches exactly 80 on the deadline.
STEADY = [(days(0), 20.0), (days(100), 40.0), (days(200), 60.0)]
DEADLINE = days(300)


def test_assess_on_track_when_the_line_just_reaches_the_target():
    result = assess(STEADY, 80, DEADLINE, today=days(210))
    assert result.status is Status.ON_TRACK
    assert result.actual == 60.0 and result.as_of == days(200)
    assert result.projected == pytest.approx(80.0)
    assert result.gap == 20.0
    assert assess(STEADY, 81, DEADLINE, today=days(210)).status is Status.BEHIND


def test_assess_behind():
    slow = [(d, v / 2) for d, v in STEADY]  # 10, 20, 30: reaches 40 by the deadline
    result = assess(slow, 80, DEADLINE, today=days(210))
    assert result.status is Status.BEHIND
    assert result.projected == pytest.approx(40.0)


def test_assess_met():
    result = assess([*STEADY, (days(250), 85.0)], 80, DEADLINE, today=days(251))
    assert result.status is Status.MET
    assert result.projected is None and result.gap == -5.0


def test_assess_after_the_deadline_uses_the_value_at_the_deadline():
    trend = [*STEADY, (DEADLINE, 75.0), (days(400), 95.0)]
    result = assess(trend, 80, DEADLINE, today=days(500))
    assert (result.actual, result.status, result.projected) == (75.0, Status.BEHIND, None)
    on_the_day = assess(STEADY, 80, DEADLINE, today=DEADLINE)  # no time left to project
    assert (on_the_day.status, on_the_day.projected) == (Status.BEHIND, None)


def test_assess_ignores_the_future_and_missing_values():
    trend = [(days(0), None), (days(10), 30.0), (days(90), 99.0)]
    result = assess(trend, 80, DEADLINE, today=days(50))
    assert result.actual == 30.0 and result.status is Status.BEHIND  # one point: flat


def test_assess_no_data():
    assert assess([], 80, DEADLINE, today=days(1)).status is Status.NO_DATA
    assert assess([(days(0), None)], 80, DEADLINE, today=days(1)).status is Status.NO_DATA
    later = [(days(20), 90.0)]
    assert assess(later, 80, DEADLINE, today=days(10)).status is Status.NO_DATA


def test_assess_within_a_period_from_its_origin():
    """A yearly count (each_period): judged at the period's end, projected from zero at start."""
    period = reporting_period(2026)
    trend = [(period.start + timedelta(days=73), 20.0)]  # 20% after a fifth of the year
    result = assess(trend, 80, period.end, today=trend[0][0], origin=period.start)
    assert result.status is Status.ON_TRACK
    assert result.projected == pytest.approx(20.0 * 364 / 73)  # 15/10 is day 364 of the year
    flat = assess(trend, 80, period.end, today=trend[0][0])
    assert flat.status is Status.BEHIND


def test_target_in_force():
    targets = [
        Target("1.10", 2, date(2025, 10, 15)),
        Target("2.10", 5, date(2030, 10, 15)),
    ]
    assert target_for(targets, reporting_period(2024).end).value == 2
    assert target_for(targets, reporting_period(2025).end).value == 2
    assert target_for(targets, reporting_period(2026).end).value == 5
    assert target_for(targets, reporting_period(2030).end).value == 5
    assert target_for(targets, reporting_period(2031).end) is None
    assert target_for(list(reversed(targets)), date(2020, 1, 1)).code == "1.10"


def test_shuffled_roll_up_is_deterministic():
    rnd = random.Random(7)
    parents = {1: None, **{u: rnd.randint(1, u - 1) for u in range(2, 200)}}
    values = {u: Count(u % 3, 3) for u in parents}
    assert roll_up(values, parents)[1] == Count(sum(u % 3 for u in parents), 3 * len(parents))
