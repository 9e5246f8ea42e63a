"""The programme rules as pure functions with a frozen clock: sequential locking, retries
and waiting time, N of M, completion date, expiry, renewal window and member status."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from quizapp.programmes import progress as P

T0 = datetime(2026, 3, 1, 2, 0, tzinfo=UTC)


def lessons(n=3, *, required=True, max_attempts=None, wait=0):
    return [P.LessonRule(i, i, required, max_attempts, wait) for i in range(1, n + 1)]


def result(lesson, minutes, passed=True, percent=None):
    pct = Decimal(percent if percent is not None else (100 if passed else 40))
    return P.CheckResult(lesson, T0 + timedelta(minutes=minutes), pct, passed)


SEQ = P.Rules(sequential=True, required_count=None, renewal_months=None)
FREE = P.Rules(sequential=False, required_count=None, renewal_months=None)


def states(rules, ls, results, now=T0 + timedelta(days=1), since=None):
    return {s.lesson_id: s for s in P.lesson_states(rules, ls, results, now, since=since)}


def test_sequential_lessons_open_one_after_another():
    s = states(SEQ, lessons(), [])
    assert [s[i].state for i in (1, 2, 3)] == ["open", "locked", "locked"]
    s = states(SEQ, lessons(), [result(1, 5)])
    assert [s[i].state for i in (1, 2, 3)] == ["passed", "open", "locked"]
    s = states(SEQ, lessons(), [result(1, 5, passed=False)])
    assert s[2].state == "locked" and s[1].attempts == 1 and s[1].best == 40


def test_free_order_opens_everything():
    s = states(FREE, lessons(), [result(3, 1)])
    assert [s[i].state for i in (1, 2, 3)] == ["open", "open", "passed"]


def test_waiting_time_then_retry_then_limit():
    ls = lessons(1, max_attempts=2, wait=3600)
    failed = [result(1, 0, passed=False)]
    assert states(SEQ, ls, failed, now=T0 + timedelta(minutes=30))[1].state == "waiting"
    assert states(SEQ, ls, failed, now=T0 + timedelta(minutes=30))[1].wait_until == T0 + timedelta(
        hours=1
    )
    assert states(SEQ, ls, failed, now=T0 + timedelta(minutes=61))[1].state == "open"
    twice = failed + [result(1, 70, passed=False)]
    assert states(SEQ, ls, twice, now=T0 + timedelta(days=2))[1].state == "exhausted"
    # A pass counts even when it used the last attempt.
    assert states(SEQ, ls, failed + [result(1, 70)])[1].state == "passed"


def test_completion_is_the_pass_that_reached_the_required_number():
    ls = lessons(3)
    rs = [result(1, 10), result(2, 20), result(3, 30)]
    assert P.completed_at(SEQ, ls, list(states(SEQ, ls, rs).values())) == T0 + timedelta(minutes=30)
    two_of_three = P.Rules(False, 2, None)
    rs = [result(3, 5), result(1, 50)]
    st_ = list(states(two_of_three, ls, rs).values())
    assert P.completed_at(two_of_three, ls, st_) == T0 + timedelta(minutes=50)
    assert P.progress(two_of_three, ls, st_) == 100
    assert P.completed_at(SEQ, ls, st_) is None


def test_optional_lessons_do_not_count():
    ls = [P.LessonRule(1, 1, True, None, 0), P.LessonRule(2, 2, False, None, 0)]
    st_ = list(states(FREE, ls, [result(2, 1)]).values())
    assert P.completed_at(FREE, ls, st_) is None and P.progress(FREE, ls, st_) == 0
    st_ = list(states(FREE, ls, [result(1, 1)]).values())
    assert P.completed_at(FREE, ls, st_) == T0 + timedelta(minutes=1)


def test_expiry_renewal_window_and_status():
    rules = P.Rules(True, None, 12)
    done = T0 + timedelta(minutes=30)
    expires = P.expiry(done, rules)
    assert expires == done.replace(year=2027)
    c = [P.CompletionFact(1, done, expires)]
    assert P.member_status(c, False, expires - timedelta(seconds=1)) == "completed"
    assert P.member_status(c, False, expires) == "expired"
    assert P.member_status(c, True, expires + timedelta(days=3)) == "in_progress"
    assert not P.may_study(c, expires - timedelta(days=31))
    assert P.may_study(c, expires - timedelta(days=30))
    assert P.cycle_start(c) == done
    # Passes before the last completion do not count towards the renewal.
    s = states(rules, lessons(1), [result(1, 30)], since=done)
    assert s[1].state == "open"
    assert P.member_status([], False, T0) == "not_started"
    assert not P.may_study([P.CompletionFact(1, done, None)], done + timedelta(days=999))


def test_add_months_keeps_the_end_of_month():
    assert P.add_months(datetime(2026, 1, 31, tzinfo=UTC), 1) == datetime(2026, 2, 28, tzinfo=UTC)
    assert P.add_months(datetime(2024, 2, 29, tzinfo=UTC), 12) == datetime(2025, 2, 28, tzinfo=UTC)
    assert P.add_months(datetime(2026, 11, 30, tzinfo=UTC), 3) == datetime(2027, 2, 28, tzinfo=UTC)


@given(st.lists(st.tuples(st.integers(1, 4), st.integers(0, 500), st.booleans()), max_size=20))
def test_completion_never_precedes_its_passes(raw):
    ls = lessons(4)
    rs = [result(lesson, minute, passed) for lesson, minute, passed in raw]
    st_ = P.lesson_states(FREE, ls, rs, T0 + timedelta(days=9))
    done = P.completed_at(FREE, ls, st_)
    passed = {lesson for lesson, _m, ok in raw if ok}
    assert (done is not None) == (passed == {1, 2, 3, 4})
    if done is not None:
        first_pass = {lesson: min(m for x, m, ok in raw if x == lesson and ok) for lesson in passed}
        assert done == T0 + timedelta(minutes=max(first_pass.values()))
