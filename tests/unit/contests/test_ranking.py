"""Ranking: each tie-break key, ties, total order, independence of input order; prizes."""

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal as D
from types import SimpleNamespace

from hypothesis import given
from hypothesis import strategies as st

from quizapp.contests.prediction import PredictionSubject
from quizapp.contests.ranking import Entry, counted, perfect_count, prizes, rank
from quizapp.i18n import from_data, to_data
from quizapp.i18n import in_vietnamese as vi

T0 = datetime(2026, 11, 20, 3, 0, tzinfo=UTC)


def e(pid, score, *, pred=None, dur=600, at=0, correct=None, q=30):
    return Entry(
        pid,
        f"Người {pid}",
        "Chi đoàn",
        D(score),
        D(30),
        correct if correct is not None else int(score),
        q,
        dur,
        T0 + timedelta(seconds=at),
        pred,
    )


def order(ranked):
    return [r.entry.participant_id for r in ranked]


def test_score_first():
    assert order(rank([e(1, 20), e(2, 30), e(3, 25)])) == [2, 3, 1]


def test_prediction_breaks_equal_scores():
    r = rank([e(1, 30, pred=100), e(2, 30, pred=140), e(3, 30)], actual=128)
    assert order(r) == [2, 1, 3]
    assert "dự đoán lệch 12 so với 28" in vi(r[1].why)
    assert "không dự đoán" in vi(r[2].why)


def test_time_then_submission():
    r = rank(
        [
            e(1, 30, pred=5, dur=700),
            e(2, 30, pred=5, dur=650, at=9),
            e(3, 30, pred=5, dur=650, at=3),
        ],
        actual=5,
    )
    assert order(r) == [3, 2, 1]
    assert "nộp bài sớm hơn" in vi(r[1].why) and "700 giây" in vi(r[2].why)


def test_remaining_ties_share_a_rank():
    r = rank([e(1, 30, dur=600), e(2, 30, dur=600), e(3, 29)], order=("score", "time"))
    assert [x.rank for x in r] == [1, 1, 3] and r[0].tie and r[1].tie and not r[2].tie
    assert "đồng hạng" in vi(r[1].why)


def test_configurable_order():
    a, b = e(1, 30, dur=900), e(2, 25, dur=100)
    assert order(rank([a, b], order=("time", "score"))) == [2, 1]


entries = st.lists(
    st.builds(
        lambda pid, s, p, d, t: e(pid, s, pred=p, dur=d, at=t),
        st.integers(1, 10_000),
        st.integers(0, 30),
        st.one_of(st.none(), st.integers(0, 50)),
        st.integers(1, 5),
        st.integers(0, 3),
    ),
    max_size=40,
    unique_by=lambda x: x.participant_id,
)


@given(entries, st.randoms())
def test_total_order_stable_and_independent_of_input(es, rnd):
    r1 = rank(es, actual=20)
    shuffled = list(es)
    rnd.shuffle(shuffled)
    r2 = rank(shuffled, actual=20)
    assert r1 == r2
    for a, b in zip(r1, r1[1:], strict=False):
        assert a.rank <= b.rank
        ka = (
            -a.entry.score,
            abs(a.entry.prediction - 20) if a.entry.prediction is not None else float("inf"),
            a.entry.duration_s,
            a.entry.submitted_at,
        )
        kb = (
            -b.entry.score,
            abs(b.entry.prediction - 20) if b.entry.prediction is not None else float("inf"),
            b.entry.duration_s,
            b.entry.submitted_at,
        )
        assert ka <= kb
        assert (a.rank == b.rank) == (ka == kb)  # ties only when every key ties


def test_prizes_follow_ranking_and_ties_share_the_prize():
    r = rank(
        [e(1, 30), e(2, 29), e(3, 28, dur=500), e(4, 28, dur=500), e(5, 20)],
        order=("score", "time"),
    )
    got = [
        (p.prize, p.ranked.entry.participant_id)
        for p in prizes(r, {"first": 1, "second": 1, "third": 1, "consolation": 0})
    ]
    assert got == [("first", 1), ("second", 2), ("third", 3), ("third", 4)]
    assert prizes(r, {"first": 10}) and len(prizes(r, {"first": 10})) == 5


def test_perfect_count_and_counted_attempt():
    assert perfect_count([e(1, 30, correct=30), e(2, 29), e(3, 30, correct=30)]) == 2
    atts = [
        SimpleNamespace(participant_id=1, number=n, score=D(s))
        for n, s in ((1, 20), (2, 28), (3, 25))
    ]
    assert counted(atts, "best")[0].number == 2
    assert counted(atts, "first")[0].number == 1
    assert counted(atts, "last")[0].number == 3


def test_contest_aggregate_sums_rounds_and_prediction_distances():
    from quizapp.contests.ranking import aggregate

    week1 = [e(1, 30, pred=10, dur=100), e(2, 30, pred=14, dur=90)]
    week2 = [e(1, 20, pred=5, dur=100), e(2, 25, dur=80)]  # 2 forgot to predict in week 2
    totals = {x.participant_id: x for x in aggregate([(week1, 12), (week2, 6)])}
    assert totals[1].score == 50 and totals[2].score == 55
    assert totals[1].prediction == 2 + 1 and totals[2].prediction is None
    assert totals[2].duration_s == 170
    ranked = rank(totals.values(), actual=0)
    assert [r.entry.participant_id for r in ranked] == [2, 1]  # score first
    open_week = aggregate([(week1, None)])
    assert all(x.prediction == 0 for x in open_week)  # no known answer: no distance yet


def test_tie_break_names_the_key_that_decided_between_equal_scores():
    from quizapp.contests.ranking import TieBreak

    r = rank(
        [
            e(1, 30, pred=130, dur=500),
            e(2, 30, pred=120, dur=500),
            e(3, 30, pred=130, dur=400),
            e(4, 30, dur=400, at=5),
            e(5, 30, dur=400, at=9),
            e(6, 30, dur=400, at=9),
            e(7, 20),
        ],
        actual=128,
    )
    assert order(r) == [3, 1, 2, 4, 5, 6, 7]
    assert r[0].tie_break is None  # the first line: nothing above it
    assert r[1].tie_break == TieBreak("time", 500, 400)  # same distance 2, slower
    assert r[2].tie_break == TieBreak("prediction", 8, 2)
    assert r[3].tie_break == TieBreak("prediction", None, 8)  # no prediction
    assert r[4].tie_break == TieBreak(
        "submitted", T0 + timedelta(seconds=9), T0 + timedelta(seconds=5)
    )
    assert r[5].tie_break == TieBreak("", None, None) and r[5].rank == r[4].rank
    assert r[6].tie_break is None  # a lower score: the score decided


def test_tie_break_follows_the_contest_order():
    r = rank(
        [e(1, 30, pred=100, dur=300), e(2, 30, pred=128, dur=600)],
        order=("score", "time", "prediction"),
        actual=128,
    )
    assert order(r) == [1, 2] and r[1].tie_break.key == "time"


def test_explanations_use_the_vietnamese_decimal_comma():
    a, b = e(1, 30), e(2, 30)
    a, b = a._replace(score=D("6.1666")), b._replace(score=D("5.5"))
    assert "điểm 6,17 so với 5,5" in vi(rank([a, b])[1].why)


def test_explanations_are_messages_read_in_each_language_and_kept_as_data():
    a, b = e(1, 30, pred=100), e(2, 30, pred=140)
    a, b = a._replace(score=D("6.5")), b._replace(score=D("6.5"))
    answer = PredictionSubject().label(128)
    why = rank([a, b], actual=128, answer=answer)[1].why
    english = why.translated(lambda m: m, "en")
    assert english == (
        "Người 2 before Người 1: same score 6.5/30; prediction off by 12 against 28 "
        "(Participants with every answer right (the prediction question's answer): 128)"
    )
    assert vi(why) == (
        "Người 2 trước Người 1: cùng điểm 6,5/30; dự đoán lệch 12 so với 28 "
        "(Số người trả lời đúng tất cả các câu hỏi (đáp án của câu hỏi dự đoán): 128)"
    )
    stored = json.loads(json.dumps(to_data(why)))  # as a JSON column keeps it
    again = from_data(stored)
    assert vi(again) == vi(why) and again.translated(lambda m: m, "en") == english
