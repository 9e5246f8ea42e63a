"""Native YAML format: loading with node lines, reference checks, and a stable dump."""

from dataclasses import replace
from datetime import date
from decimal import Decimal
from pathlib import Path

from quizapp.banks.core import QType
from quizapp.banks.parsers.native import load_native
from quizapp.banks.parsers.native_dump import dump_native

SAMPLE = (Path(__file__).resolve().parents[2] / "data" / "banks" / "sample.yaml").read_text(
    encoding="utf-8"
)


def lines_of(bank, word: str) -> list[int | None]:
    return [p.line for p in bank.problems if word in p.message]


def test_sample_loads_without_problems():
    bank = load_native(SAMPLE)
    assert bank.problems == ()
    assert bank.meta.key == "mau-2025"
    assert [q.type for q in bank.questions] == [
        QType.SINGLE,
        QType.MULTI,
        QType.TRUEFALSE,
        QType.SHORT,
        QType.NUMERIC,
        QType.MATCHING,
        QType.ESSAY,
    ]
    first = bank.questions[0]
    assert first.text == 'Theo Luật An ninh mạng 2025,\n"không gian mạng" là gì?'
    assert first.line == 32
    assert first.source.see_also == ("LANM2018",)
    new, old = bank.documents
    assert new.in_force_from == date(2026, 7, 1)
    assert old.superseded_by == "LANM2025" and not old.in_force(date(2026, 7, 1))
    short = bank.questions[3]
    assert short.short_answers == ("Quốc hội", "QH")
    assert short.short_weights == (Decimal(100), Decimal(50))
    assert bank.questions[4].mark == 2


def test_load_dump_load_is_identity_and_dump_is_stable():
    bank = load_native(SAMPLE)
    text = dump_native(bank)
    again = load_native(text)
    assert [replace(q, line=0) for q in again.questions] == [
        replace(q, line=0) for q in bank.questions
    ]
    assert (again.documents, again.categories, again.meta) == (
        bank.documents,
        bank.categories,
        bank.meta,
    )
    assert dump_native(again) == text
    assert "    text: |-\n      Theo Luật" in text  # multi-line text as a readable block
    assert text.index("  - key: mau-0001\n    category:") > 0  # README key order and indent


def test_invalid_yaml_reports_its_line():
    bank = load_native("format: quizapp-bank/1\nbank: {key: a, title: b\nquestions: []\n")
    assert len(bank.problems) == 1 and bank.problems[0].line == 3
    assert "not valid YAML" in bank.problems[0].message


def test_references_and_fields_are_checked_with_lines():
    text = SAMPLE.replace("category: chuong-1-dinh-nghia", "category: khong-co")
    text = text.replace("see_also: [LANM2018]", "see_also: [LANM1999]")
    text = text.replace('- {text: "Đọc báo điện tử", weight: -100}', '- {text: "Đọc báo điện tử"}')
    text = text.replace("difficulty: easy", "difficulty: rất khó")
    text = text.replace("key: mau-0002", "key: mau-0001")
    text = text.replace("in_force_from: 2019-01-01", "in_force_from: '01/01/2019'")
    bank = load_native(text)
    assert lines_of(bank, "Unknown category") == [33]
    assert lines_of(bank, "see_also") == [51]
    assert lines_of(bank, "needs a weight") == [59]
    assert lines_of(bank, "Unknown difficulty") == [43]
    assert lines_of(bank, "used twice") == [52]
    assert lines_of(bank, "must be a date") == [21]
    assert all(p.question for p in bank.problems if p.line and p.line > 31)


def test_key_consistency_errors_carry_the_question_line():
    text = SAMPLE.replace("        correct: true\n", "")
    bank = load_native(text)
    assert [(p.line, p.question) for p in bank.errors] == [(32, "mau-0001")]


def test_missing_required_fields_and_unknown_fields():
    bank = load_native(
        "format: quizapp-bank/2\nbank: {key: Bad_Key, title: t}\n"
        "documents:\n  D: {title: d}\n"
        "questions:\n  - type: truefalse\n    text: x\n    answer: maybe\n    colour: red\n"
    )
    messages = {(p.line, p.message.split(" ")[0], p.severity) for p in bank.problems}
    assert (1, "Unknown", "error") in messages  # format
    assert any(p.line == 2 and "key" in p.message for p in bank.problems)
    assert any(p.line == 4 and "in_force_from" in p.message for p in bank.problems)
    assert any(p.line == 6 and '"key"' in p.params.get("field", '"key"') for p in bank.problems)
    assert any(p.line == 8 and p.params.get("field") == "answer" for p in bank.problems)
    assert any(p.line == 9 and p.severity == "warning" for p in bank.problems)


def test_unknown_type_is_an_error_with_line():
    bank = load_native(SAMPLE.replace("type: essay", "type: poem"))
    assert [(p.line, p.params) for p in bank.errors] == [(94, {"type": "poem"})]
