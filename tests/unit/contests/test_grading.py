"""Grading every question type, with Moodle's partial credit and the edge cases."""

from decimal import Decimal as D

from hypothesis import given
from hypothesis import strategies as st

from quizapp.banks.core import Choice, MatchPair, NumericAnswer, QType, Question
from quizapp.contests.grading import fraction, grade


def single():
    return Question(
        QType.SINGLE,
        "?",
        choices=(Choice("a", D(0)), Choice("b", D(100)), Choice("c", D(0))),
        mark=D(2),
    )


def multi():
    return Question(
        QType.MULTI,
        "?",
        choices=(Choice("a", D(50)), Choice("b", D(50)), Choice("c", D(-100)), Choice("d", D(-50))),
    )


def test_single_choice():
    q = single()
    assert grade(q, {"choices": [1]}).score == D(2) and grade(q, {"choices": [1]}).correct
    assert fraction(q, {"choices": [0]}) == 0
    assert fraction(q, {"choices": [0, 1]}) == 0  # two answers to a one-answer question
    assert fraction(q, {"choices": [9]}) == 0 and fraction(q, None) == 0
    assert not grade(q, None).answered


def test_multi_partial_credit_floored_at_zero():
    q = multi()
    assert fraction(q, {"choices": [0, 1]}) == 1
    assert fraction(q, {"choices": [0]}) == D("0.5")
    assert fraction(q, {"choices": [0, 1, 3]}) == D("0.5")
    assert fraction(q, {"choices": [0, 2]}) == 0  # 50 - 100 → floored
    assert fraction(q, {"choices": [0, 0, 0]}) == D("0.5")  # repeats count once


def test_true_false():
    q = Question(QType.TRUEFALSE, "?", answer=False)
    assert fraction(q, {"value": False}) == 1 and fraction(q, {"value": True}) == 0
    assert fraction(q, {"value": "false"}) == 0 and fraction(q, {}) == 0


def test_short_answer_case_and_diacritics():
    loose = Question(QType.SHORT, "?", short_answers=("An ninh mạng", "ANM"))
    assert fraction(loose, {"text": "  an  ninh mang "}) == 1
    assert fraction(loose, {"text": "anm"}) == 1 and fraction(loose, {"text": "an ninh"}) == 0
    strict = Question(
        QType.SHORT, "?", short_answers=("Đoàn",), case_sensitive=True, accent_sensitive=True
    )
    assert fraction(strict, {"text": "Đoàn"}) == 1
    assert fraction(strict, {"text": "đoàn"}) == 0 and fraction(strict, {"text": "Doan"}) == 0
    wild = Question(QType.SHORT, "?", short_answers=("Hồ Chí Minh*",))
    assert fraction(wild, {"text": "Ho Chi Minh vĩ đại"}) == 1
    weighted = Question(
        QType.SHORT, "?", short_answers=("1931", "năm 1931"), short_weights=(D(100), D(50))
    )
    assert fraction(weighted, {"text": "năm 1931"}) == D("0.5")
    assert fraction(loose, {"text": ""}) == 0


def test_numeric_tolerance_range_and_comma():
    q = Question(QType.NUMERIC, "?", numeric=(NumericAnswer(value=D(45), tolerance=D(0)),))
    assert fraction(q, {"text": "45"}) == 1 and fraction(q, {"text": "45.0"}) == 1
    assert fraction(q, {"text": "44"}) == 0 and fraction(q, {"text": "bốn lăm"}) == 0
    tol = Question(
        QType.NUMERIC,
        "?",
        numeric=(
            NumericAnswer(value=D("3.14"), tolerance=D("0.01")),
            NumericAnswer(value=D(3), tolerance=D(0), weight=D(50)),
        ),
    )
    assert fraction(tol, {"text": "3,15"}) == 1 and fraction(tol, {"text": "3"}) == D("0.5")
    rng = Question(QType.NUMERIC, "?", numeric=(NumericAnswer(min=D(1), max=D(5)),))
    assert fraction(rng, {"text": "5"}) == 1 and fraction(rng, {"text": "5.01"}) == 0
    assert fraction(q, {"text": "NaN"}) == 0 and fraction(q, {"text": "inf"}) == 0


def test_matching_per_pair():
    q = Question(
        QType.MATCHING,
        "?",
        pairs=(MatchPair("2018", "24/2018/QH14"), MatchPair("2025", "116/2025/QH15")),
    )
    full = {"pairs": {"0": "24/2018/QH14", "1": "116/2025/QH15"}}
    assert fraction(q, full) == 1
    assert fraction(q, {"pairs": {"0": "24/2018/QH14", "1": ""}}) == D("0.5")
    assert fraction(q, {"pairs": {"0": "116/2025/QH15", "1": "24/2018/QH14"}}) == 0


def test_essay_and_description_are_not_graded():
    g = grade(Question(QType.ESSAY, "Viết cảm nghĩ"), {"text": "…"})
    assert not g.graded and g.score == 0 and not g.correct and g.answered
    assert not grade(Question(QType.DESCRIPTION, "Đọc đoạn văn"), None).graded


weights = st.lists(st.integers(min_value=-100, max_value=100), min_size=2, max_size=8)


@given(weights, st.lists(st.integers(min_value=0, max_value=7), max_size=8))
def test_multi_fraction_always_in_unit_interval(ws, chosen):
    q = Question(QType.MULTI, "?", choices=tuple(Choice(str(i), D(w)) for i, w in enumerate(ws)))
    f = fraction(q, {"choices": [c for c in chosen if c < len(ws)]})
    assert 0 <= f <= 1
    positive = [i for i, w in enumerate(ws) if w > 0]
    total = sum(w for w in ws if w > 0)
    assert fraction(q, {"choices": positive}) == min(1, D(total) / 100)
