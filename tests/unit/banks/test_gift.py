"""GIFT import/export: every supported feature, error reporting with lines, golden files."""

from decimal import Decimal
from pathlib import Path

import pytest

from quizapp.banks.core import Category, Choice, MatchPair, NumericAnswer, ParsedBank, QType
from quizapp.banks.core import Question as Q
from quizapp.banks.parsers.gift import parse_gift
from quizapp.banks.parsers.gift_export import BLANK, dump_gift, dump_question

DATA = Path(__file__).resolve().parents[2] / "data" / "banks"


def one(text: str) -> Q:
    bank = parse_gift(text)
    assert len(bank.questions) == 1, [p.render() for p in bank.problems]
    return bank.questions[0]


def errors(bank: ParsedBank) -> list[tuple[int | None, str]]:
    return [(p.line, p.message) for p in bank.problems if p.severity == "error"]


# --- questions and structure ---------------------------------------------------------------


def test_comments_and_blank_lines_separate_questions():
    bank = parse_gift("// a comment\nQ1{T}\n\n\n// another\nQ2\n{F}\n")
    assert [q.text for q in bank.questions] == ["Q1", "Q2"]
    assert [q.line for q in bank.questions] == [2, 6]
    assert bank.ok


def test_title_and_default_moodle_format():
    q = one("::Tên câu::  Câu hỏi?{T}")
    assert (q.title, q.text, q.text_format) == ("Tên câu", "Câu hỏi?", "moodle")


@pytest.mark.parametrize("fmt", ["html", "moodle", "plain", "markdown"])
def test_format_prefix(fmt):
    q = one(f"::t::[{fmt}]Nội dung{{T}}")
    assert (q.text_format, q.text) == (fmt, "Nội dung")


def test_text_starting_with_bracket_that_is_not_a_format_name_stays_text():
    assert one("[Điều 5] Câu hỏi{T}").text == "[Điều 5] Câu hỏi"


def test_escapes():
    q = one(r"a\: b\# c\= d\{ e\} f\~ g\\ h\ni{=x\=y}")
    assert q.text == "a: b# c= d{ e} f~ g\\ h\ni"
    assert q.short_answers == ("x=y",)


def test_an_arrow_in_a_short_answer_is_written_escaped_and_reads_back():
    """Moodle reads "{=A->B}" as a (broken) matching question: quizapp's export writes
    "->" as "-\\>" inside a short-answer block, and reads it back as "->"."""
    q = one(r"Phản ứng{=A-\>B#đúng: A-\>B ####xem a-\>b}")
    assert (q.type, q.short_answers, q.short_feedback, q.explanation) == (
        QType.SHORT,
        ("A->B",),
        ("đúng: A->B",),
        "xem a->b",
    )
    again = dump_gift(parse_gift(dump_gift(parse_gift("Q{->}"))))
    assert "-\\>" in again and one(again).short_answers == ("->",)
    assert errors(parse_gift("Q{=A->B}")) == [(1, "A matching question needs at least 2 pairs.")]


def test_multiline_question_text_lines_are_trimmed():
    assert one("Dòng một\n   dòng hai\n{T}").text == "Dòng một\ndòng hai"


def test_categories_get_generated_keys_and_parents():
    bank = parse_gift(
        "$CATEGORY: $course$/top/Luật An ninh mạng/Chương I\n\nQ{T}\n\n$CATEGORY: Khác\n\nR{T}"
    )
    assert bank.categories == (
        Category("luat-an-ninh-mang", "Luật An ninh mạng"),
        Category("luat-an-ninh-mang--chuong-i", "Chương I", "luat-an-ninh-mang"),
        Category("khac", "Khác"),
    )
    assert [q.category for q in bank.questions] == ["luat-an-ninh-mang--chuong-i", "khac"]


def test_category_line_directly_followed_by_a_question():
    bank = parse_gift("$CATEGORY: A\nQ{T}")
    assert bank.questions[0].category == "a" and bank.questions[0].line == 2


def test_key_and_tags_from_comment():
    q = one("// [id:anm-0001] [tag:luật] [tag:cơ bản]\nQ{T}")
    assert (q.key, q.tags) == ("anm-0001", ("luật", "cơ bản"))


# --- question types ------------------------------------------------------------------------


def test_single_choice_with_feedback_and_general_feedback():
    q = one("Q{=Đúng#hay ~Sai#dở ~Sai nữa ####Giải thích}")
    assert q.type is QType.SINGLE
    assert q.choices == (
        Choice("Đúng", Decimal(100), "hay"),
        Choice("Sai", Decimal(0), "dở"),
        Choice("Sai nữa", Decimal(0)),
    )
    assert q.explanation == "Giải thích"


def test_single_with_negative_weight():
    q = one("Q{=a ~%-50%b ~c}")
    assert q.type is QType.SINGLE
    assert [c.weight for c in q.choices] == [100, -50, 0]


def test_weights_without_plain_equals_make_multi():
    q = one("Q{~%50%a ~%50%b ~%-100%c}")
    assert q.type is QType.MULTI
    assert [c.weight for c in q.choices] == [50, 50, -100]
    assert q.graded


def test_weighted_equals_counts_as_weight_not_plain_right():
    q = one("Q{=%50%a =%50%b ~%-100%c}")
    assert q.type is QType.MULTI
    assert [c.weight for c in q.choices] == [50, 50, -100]


def test_decimal_weights():
    q = one("Q{~%33.33333%a ~%33.33333%b ~%33.33334%c ~d}")
    assert sum(c.weight for c in q.choices) == 100


@pytest.mark.parametrize(
    ("block", "answer"), [("T", True), ("TRUE", True), ("F", False), ("FALSE", False)]
)
def test_truefalse_spellings(block, answer):
    q = one(f"Q{{{block}}}")
    assert (q.type, q.answer) == (QType.TRUEFALSE, answer)


def test_truefalse_feedback_is_wrong_then_right():
    q = one("Q{TRUE#sai rồi#đúng rồi####chung}")
    assert (q.feedback_true, q.feedback_false, q.explanation) == ("đúng rồi", "sai rồi", "chung")
    q = one("Q{F#sai rồi#đúng rồi}")
    assert (q.feedback_true, q.feedback_false) == ("sai rồi", "đúng rồi")


def test_short_answer_with_weights_and_feedback():
    q = one("Q{=Hà Nội =%50%Hanoi#gần đúng}")
    assert q.type is QType.SHORT
    assert q.short_answers == ("Hà Nội", "Hanoi")
    assert q.short_weights == (Decimal(100), Decimal(50))
    assert q.short_feedback == ("", "gần đúng")


def test_short_answer_without_weights_is_canonical():
    q = one("Q{=a =b}")
    assert (q.short_weights, q.short_feedback) == ((), ())


def test_numeric_tolerance_range_and_several_answers():
    assert one("Q{#3:2}").numeric == (NumericAnswer(value=Decimal(3), tolerance=Decimal(2)),)
    assert one("Q{#1..5}").numeric == (NumericAnswer(min=Decimal(1), max=Decimal(5)),)
    assert one("Q{#-2.5}").numeric == (NumericAnswer(value=Decimal("-2.5")),)
    q = one("Q{# =3:0 =%50%3:1#gần ~#sai}")
    assert q.numeric == (
        NumericAnswer(value=Decimal(3), tolerance=Decimal(0)),
        NumericAnswer(value=Decimal(3), tolerance=Decimal(1), weight=Decimal(50), feedback="gần"),
        NumericAnswer(weight=Decimal(0), feedback="sai"),
    )


def test_matching_with_distractor():
    q = one("Ghép{=Hà Nội -> Thủ đô =Huế->Cố đô = -> Thừa}")
    assert q.type is QType.MATCHING
    assert q.pairs == (MatchPair("Hà Nội", "Thủ đô"), MatchPair("Huế", "Cố đô"))
    assert q.distractors == ("Thừa",)


def test_missing_word_keeps_a_blank():
    q = one("Grant is {~buried =entombed ~living} in Grant's tomb.")
    assert q.text == f"Grant is {BLANK} in Grant's tomb."
    assert q.type is QType.SINGLE


def test_description_and_essay_are_kept_but_ungraded():
    bank = parse_gift("Chỉ là mô tả.\n\nHãy viết một đoạn.{}\n\nViết tiếp.{####gợi ý}")
    d, e, e2 = bank.questions
    assert (d.type, e.type, e2.type) == (QType.DESCRIPTION, QType.ESSAY, QType.ESSAY)
    assert not d.graded and not e.graded
    assert e2.explanation == "gợi ý"
    assert bank.ok


# --- errors --------------------------------------------------------------------------------


def test_all_errors_of_a_file_are_reported_with_lines_and_parsing_goes_on():
    text = "\n".join(
        [
            "::Một::Ổn{T}",  # 1
            "",  # 2
            "::Hai::Thiếu ngoặc {=a",  # 3
            "~b",  # 4
            "",  # 5
            "Không có đáp án đúng {~a ~b}",  # 6
            "",  # 7
            "::Bốn::Số {#abc}",  # 8
            "",  # 9
            "[foo]Định dạng lạ{T}",  # 10
            "",  # 11
            "Ngoặc thừa } ở đây",  # 12
            "",  # 13
            "::Sáu::{=a->b =c}",  # 14
            "",  # 15
            "Trọng số {~%abc%a =b}",  # 16
            "",  # 17
            "::Tám::Tốt{F}",  # 18
        ]
    )
    bank = parse_gift(text)
    assert [q.title for q in bank.questions] == ["Một", "", "Tám"]
    found = {p.line: p for p in bank.problems}
    assert set(found) == {3, 6, 8, 10, 12, 14, 16}
    assert "Unclosed brace" in found[3].message and found[3].question == "Hai"
    assert "No correct answer" in found[6].message
    assert found[6].question == "Không có đáp án đúng"
    assert "Bad numeric" in found[8].message and found[8].params["value"] == "abc"
    assert "Unknown text format" in found[10].message
    assert found[10].params["format"] == "foo"
    assert "no opening" in found[12].message
    assert "->" in found[14].message and found[14].question == "Sáu"
    assert "Bad answer weight" in found[16].message
    assert not bank.ok


def test_unclosed_brace_reports_the_line_of_the_brace():
    bank = parse_gift("Câu hỏi dài\ndòng hai {\n=a\n~b")
    assert errors(bank) == [(2, bank.problems[0].message)]


def test_duplicates_inside_a_file_are_warnings():
    bank = parse_gift("Thủ đô?{=Hà Nội}\n\nthủ đô{=Hanoi}")
    assert bank.ok
    assert [p.severity for p in bank.problems] == ["warning"]
    assert bank.problems[0].params == {"other_line": 1}


def test_moodle_reference_examples():
    bank = parse_gift(
        "Who's buried in Grant's tomb?{~Grant ~Jefferson =no one}\n\n"
        "Grant is {~buried =entombed ~living} in Grant's tomb.\n\n"
        "Grant is buried in Grant's tomb.{FALSE}\n\n"
        "Who's buried in Grant's tomb?{=no one =nobody}\n\n"
        "When was Ulysses S. Grant born?{#1822:5}\n\n"
        "Match the following countries with their corresponding\n"
        "capitals.{=Canada->Ottawa =Italy->Rome =Japan->Tokyo}\n"
    )
    assert [q.type for q in bank.questions] == [
        QType.SINGLE,
        QType.SINGLE,
        QType.TRUEFALSE,
        QType.SHORT,
        QType.NUMERIC,
        QType.MATCHING,
    ]
    assert bank.ok


# --- export --------------------------------------------------------------------------------


def test_dump_escapes_and_guards_leading_brackets_and_comments():
    q = Q(
        type=QType.SINGLE,
        text="//không phải chú thích: {x}",
        text_format="moodle",
        choices=(Choice("[b] một", Decimal(100)), Choice("%5% hai", Decimal(0))),
    )
    out = dump_question(q)
    assert out.startswith("[moodle]//không phải chú thích\\: \\{x\\}")
    assert one(out) == q.__class__(**{**q.__dict__, "line": 1})


def test_dump_puts_missing_word_block_back_in_the_sentence():
    q = one("Grant is {~buried =entombed} in the tomb.")
    assert dump_question(q) == "Grant is {~buried =entombed} in the tomb."


def test_dump_keeps_a_literal_blank_at_the_end():
    q = Q(type=QType.TRUEFALSE, text=f"Điền vào {BLANK}", answer=True, text_format="moodle")
    assert one(dump_question(q)).text == q.text


@pytest.mark.parametrize("source", sorted(DATA.glob("*.gift")), ids=lambda p: p.name)
def test_golden_files(source):
    expected = source.with_name(source.name + ".expected").read_text(encoding="utf-8")
    bank = parse_gift(source.read_text(encoding="utf-8"))
    assert bank.ok, [p.render() for p in bank.problems]
    assert dump_gift(bank) == expected
    assert dump_gift(parse_gift(expected)) == expected  # the export is a fixed point


def test_features_golden_file_parses_every_question():
    bank = parse_gift((DATA / "features.gift").read_text(encoding="utf-8"))
    assert bank.problems == ()
    assert len(bank.questions) == 15
    assert {q.type for q in bank.questions} == set(QType)


def test_key_and_tags_with_escaped_bracket_round_trip():
    q = one("// [id:a\\]b] [id:second]\n// [tag:x\\]y]\nQ{T}")
    assert (q.key, q.tags) == ("a]b", ("x]y",))
    assert dump_question(q).startswith("// [id:a\\]b] [tag:x\\]y]\n")
