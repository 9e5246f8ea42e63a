"""Data model helpers: content hash, document validity, generated categories."""

from dataclasses import replace
from datetime import date
from decimal import Decimal

from quizapp.banks.core import (
    Category,
    Choice,
    Document,
    ParsedBank,
    Problem,
    QType,
    Question,
    categories_for_path,
    category_path,
    split_category_path,
)


def test_content_hash_ignores_key_line_and_decimal_notation():
    q = Question(QType.SINGLE, "Câu?", choices=(Choice("a", Decimal(100)), Choice("b", Decimal(0))))
    same = replace(
        q, key="k-1", line=40, choices=(Choice("a", Decimal("100.00")), Choice("b", Decimal("0.0")))
    )
    assert q.content_hash() == same.content_hash()
    assert len(q.content_hash()) == 64
    assert replace(q, text="Câu khác?").content_hash() != q.content_hash()
    assert replace(q, explanation="x").content_hash() != q.content_hash()


def test_graded():
    assert Question(QType.SINGLE, "q").graded
    assert not Question(QType.DESCRIPTION, "q").graded
    assert not Question(QType.ESSAY, "q").graded


def test_document_in_force():
    doc = Document("L", "Luật", in_force_from=date(2019, 1, 1), superseded_on=date(2026, 7, 1))
    assert not doc.in_force(date(2018, 12, 31))
    assert doc.in_force(date(2019, 1, 1)) and doc.in_force(date(2026, 6, 30))
    assert not doc.in_force(date(2026, 7, 1))
    assert not Document("X", "x").in_force(date(2030, 1, 1))


def test_generated_categories():
    rows = categories_for_path(split_category_path("Luật ANM / Chương I//II"))
    assert rows == [
        Category("luat-anm", "Luật ANM"),
        Category("luat-anm--chuong-i-ii", "Chương I/II", "luat-anm"),
    ]
    assert category_path("luat-anm--chuong-i-ii", {c.key: c for c in rows}) == (
        "Luật ANM",
        "Chương I/II",
    )


def test_parsed_bank_ok_ignores_warnings():
    warning = Problem("w", {}, severity="warning")
    assert ParsedBank(questions=(), problems=(warning,)).ok
    assert not ParsedBank(questions=(), problems=(warning, Problem("e", {}))).ok
