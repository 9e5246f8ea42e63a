"""Key corrections (pure): several accepted answers, multi shares, true/false, refusals."""

from decimal import Decimal as D

import pytest

from quizapp.banks.core import Choice, QType, Question
from quizapp.contests.grading import fraction
from quizapp.contests.regrade import rekeyed

SINGLE = Question(
    QType.SINGLE, "?", choices=(Choice("a", D(100)), Choice("b", D(0)), Choice("c", D(0)))
)


def test_single_choice_can_accept_several_answers():
    q = rekeyed(SINGLE, "rekey", [1, 2])
    assert fraction(q, {"choices": [1]}) == 1 and fraction(q, {"choices": [2]}) == 1
    assert fraction(q, {"choices": [0]}) == 0


def test_multi_shares_credit_and_penalises_wrong_options():
    q = rekeyed(
        Question(QType.MULTI, "?", choices=tuple(Choice(x, D(0)) for x in "abcd")), "rekey", [0, 2]
    )
    assert fraction(q, {"choices": [0, 2]}) == 1
    assert fraction(q, {"choices": [0]}) == D("0.5")
    assert fraction(q, {"choices": [0, 1]}) == 0


def test_true_false_and_refusals():
    tf = Question(QType.TRUEFALSE, "?", answer=True)
    assert rekeyed(tf, "rekey", [False]).answer is False
    assert rekeyed(SINGLE, "void", []) is SINGLE
    for bad in ([], [7]):
        with pytest.raises(ValueError):
            rekeyed(SINGLE, "rekey", bad)
    with pytest.raises(ValueError):
        rekeyed(Question(QType.SHORT, "?", short_answers=("x",)), "rekey", [0])
