"""Answer-key checks per question type and duplicate detection."""

from decimal import Decimal

import pytest

from quizapp.banks.core import Choice, MatchPair, NumericAnswer, QType, Question
from quizapp.banks.validate import check_question, find_duplicates


def choices(*weights):
    return tuple(Choice(f"o{i}", Decimal(w)) for i, w in enumerate(weights))


def messages(q):
    return [p.message for p in check_question(q)]


@pytest.mark.parametrize(
    ("q", "ok"),
    [
        (Question(QType.SINGLE, "q", choices=choices(100, 0, -50)), True),
        (Question(QType.SINGLE, "q", choices=choices(0, 0)), False),
        (Question(QType.SINGLE, "q", choices=choices(100, 100)), False),
        (Question(QType.SINGLE, "q", choices=choices(100, 50)), False),
        (Question(QType.SINGLE, "q", choices=choices(100)), False),
        (Question(QType.MULTI, "q", choices=choices(50, 50, -100)), True),
        (Question(QType.MULTI, "q", choices=choices("33.33", "33.33", "33.33", 0)), True),
        (Question(QType.MULTI, "q", choices=choices(50, 40)), False),
        (Question(QType.MULTI, "q", choices=choices(150, -50)), False),
        (Question(QType.MULTI, "q", choices=choices(0, -10)), False),
        (Question(QType.TRUEFALSE, "q", answer=False), True),
        (Question(QType.TRUEFALSE, "q"), False),
        (Question(QType.SHORT, "q", short_answers=("a",)), True),
        (Question(QType.SHORT, "q"), False),
        (Question(QType.SHORT, "q", short_answers=("a",), short_weights=(Decimal(50),)), False),
        (Question(QType.NUMERIC, "q", numeric=(NumericAnswer(value=Decimal(3)),)), True),
        (
            Question(QType.NUMERIC, "q", numeric=(NumericAnswer(min=Decimal(1), max=Decimal(5)),)),
            True,
        ),
        (
            Question(QType.NUMERIC, "q", numeric=(NumericAnswer(min=Decimal(5), max=Decimal(1)),)),
            False,
        ),
        (Question(QType.NUMERIC, "q"), False),
        (
            Question(
                QType.NUMERIC,
                "q",
                numeric=(NumericAnswer(value=Decimal(1), tolerance=Decimal(-1)),),
            ),
            False,
        ),
        (Question(QType.MATCHING, "q", pairs=(MatchPair("a", "1"), MatchPair("b", "2"))), True),
        (Question(QType.MATCHING, "q", pairs=(MatchPair("a", "1"),)), False),
        (Question(QType.MATCHING, "q", pairs=(MatchPair("a", "1"), MatchPair("a", "2"))), False),
        (Question(QType.DESCRIPTION, "q"), True),
        (Question(QType.ESSAY, "q"), True),
        (Question(QType.ESSAY, "  "), False),
    ],
)
def test_key_consistency(q, ok):
    assert (check_question(q) == []) is ok, messages(q)


def test_unknown_difficulty_and_problem_shape():
    q = Question(QType.TRUEFALSE, "Câu hỏi", answer=True, difficulty="extreme", line=7)  # type: ignore[arg-type]
    [problem] = check_question(q)
    assert problem.params == {"value": "extreme"}
    assert (problem.line, problem.question, problem.severity) == (7, "Câu hỏi", "error")


def test_messages_are_msgids_with_named_params():
    q = Question(QType.MULTI, "q", choices=choices(50, 40), title="T")
    [problem] = check_question(q)
    assert problem.message == "The positive weights add up to %(total)s%%, not 100%%."
    assert problem.render().endswith("add up to 90%, not 100%.")


def test_duplicates_in_file_and_against_bank():
    questions = [
        Question(QType.TRUEFALSE, "An ninh mạng là gì?", answer=True, line=1, key="a"),
        Question(QType.TRUEFALSE, "AN NINH MẠNG là gì ???", answer=True, line=5),
        Question(QType.TRUEFALSE, "Khác hẳn", answer=True, line=9, key="c"),
    ]
    found = find_duplicates(questions, existing=[("x-1", "khac han"), ("a", "An ninh mạng là gì")])
    assert [(p.line, p.params, p.severity) for p in found] == [
        (5, {"other_line": 1}, "warning"),
        (5, {"other_key": "a"}, "warning"),
        (9, {"other_key": "x-1"}, "warning"),
    ]
