"""Aiken import: valid questions and each kind of bad input with its line."""

from decimal import Decimal

from quizapp.banks.core import QType
from quizapp.banks.parsers.aiken import parse_aiken


def test_valid_questions_with_both_option_styles():
    bank = parse_aiken(
        "Luật An ninh mạng có hiệu lực khi nào?\nA. 2018\nB) 2019\nC. 2020\nANSWER: B\n\n"
        "Câu hai\ntrên hai dòng\nA) có\nB) không\nANSWER:A\n"
    )
    assert bank.ok and bank.problems == ()
    first, second = bank.questions
    assert first.type is QType.SINGLE and first.line == 1
    assert [c.text for c in first.choices] == ["2018", "2019", "2020"]
    assert [c.weight for c in first.choices] == [Decimal(0), Decimal(100), Decimal(0)]
    assert second.text == "Câu hai\ntrên hai dòng" and second.line == 7


def test_bad_questions_are_reported_with_lines_and_the_rest_parsed():
    text = "\n".join(
        [
            "Thiếu ANSWER",  # 1
            "A. a",  # 2
            "B. b",  # 3
            "Câu sai chữ",  # 4
            "A. a",  # 5
            "B. b",  # 6
            "ANSWER: D",  # 7
            "",  # 8
            "Một phương án",  # 9
            "A. a",  # 10
            "ANSWER: A",  # 11
            "",  # 12
            "A. mồ côi",  # 13
            "B. b",  # 14
            "ANSWER: A",  # 15
            "",  # 16
            "Câu tốt",  # 17
            "A. x",  # 18
            "B. y",  # 19
            "ANSWER: b",  # 20
            "Thiếu ở cuối",  # 21
            "A. x",  # 22
            "B. y",  # 23
        ]
    )
    bank = parse_aiken(text)
    assert [q.text for q in bank.questions] == ["Câu tốt"]
    by_line = {p.line: p for p in bank.problems}
    assert set(by_line) == {1, 7, 9, 13, 21}
    assert 'no "ANSWER:"' in by_line[1].message and by_line[1].question == "Thiếu ANSWER"
    assert by_line[7].params == {"answer": "D", "letters": "A, B"}
    assert by_line[9].params == {"min": 2, "count": 1}
    assert "before any question" in by_line[13].message
    assert 'no "ANSWER:"' in by_line[21].message
    assert all(p.severity == "error" for p in bank.problems)


def test_answer_without_question():
    bank = parse_aiken("ANSWER: A")
    assert [(p.line, p.severity) for p in bank.problems] == [(1, "error")]
