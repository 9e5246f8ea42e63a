"""XLSX template, import with row/column problems, and export."""

import io
from decimal import Decimal

import openpyxl

from quizapp.banks.core import Category, QType, Source
from quizapp.banks.parsers.xlsx import HEADERS, dump_xlsx, parse_xlsx, template_xlsx


def sheet(rows, headers=None) -> bytes:
    wb = openpyxl.load_workbook(io.BytesIO(template_xlsx()))
    ws = wb.worksheets[0]
    if headers is not None:
        for index, label in enumerate(headers, start=1):
            ws.cell(row=1, column=index, value=label)
    for values in rows:
        ws.append(values)
        for cell in ws[ws.max_row]:
            if cell.data_type == "f":  # the test means text, as a user typing '=2 would
                cell.data_type = "s"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def row(
    text="",
    kind="",
    options=("", "", "", "", "", ""),
    correct="",
    explanation="",
    level="",
    topic="",
    tags="",
    document="",
    article="",
    quote="",
):
    options = (*options, *[""] * (6 - len(options)))
    return [
        text,
        kind,
        *options,
        correct,
        explanation,
        level,
        topic,
        tags,
        document,
        article,
        quote,
    ]


def test_template_has_vietnamese_headers_and_a_guide_sheet():
    wb = openpyxl.load_workbook(io.BytesIO(template_xlsx()))
    first, guide = wb.worksheets
    assert [c.value for c in first[1]] == [label for _, label in HEADERS]
    assert guide.title == "Hướng dẫn"
    explained = " ".join(str(c.value) for c in guide["A"])
    for label in ("Câu hỏi", "Loại", "Đáp án đúng", "Mức độ", "Chủ đề", "Thẻ", "Trích dẫn"):
        assert label in explained


def test_valid_rows():
    bank = parse_xlsx(
        sheet(
            [
                row(
                    "Câu một?",
                    "",
                    ("a", "b", "c"),
                    "B",
                    "vì vậy",
                    "Dễ",
                    "Chương I/Điều 2",
                    "luật, mạng",
                    "Luật ANM",
                    "Điều 8",
                    "trích",
                ),
                row("Câu hai?", "nhiều đáp án", ("a", "b", "c", "d"), "A, C", level="khó"),
                row("Câu ba?", "Đúng sai", correct="Sai"),
                row("Câu bốn?", "", ("x", "y", "z"), "AC"),
            ]
        )
    )
    assert bank.problems == ()
    one, two, three, four = bank.questions
    assert (one.type, one.line, one.explanation, one.difficulty) == (
        QType.SINGLE,
        2,
        "vì vậy",
        "easy",
    )
    assert [c.weight for c in one.choices] == [0, 100, 0]
    assert one.tags == ("luật", "mạng")
    assert one.source == Source(document="Luật ANM", article="Điều 8", quote="trích")
    assert one.category == "chuong-i--dieu-2"
    assert bank.categories == (
        Category("chuong-i", "Chương I"),
        Category("chuong-i--dieu-2", "Điều 2", "chuong-i"),
    )
    assert two.type is QType.MULTI and two.difficulty == "hard"
    assert [c.weight for c in two.choices] == [50, -50, 50, -50]
    assert (three.type, three.answer) == (QType.TRUEFALSE, False)
    assert four.type is QType.MULTI


def test_headers_match_without_accents_or_case():
    headers = ["CAU HOI", "loai", *(f"phuong an {x}" for x in "abcdef"), "dap an dung"]
    bank = parse_xlsx(sheet([row("Q?", "", ("a", "b"), "A")], headers=headers))
    assert bank.ok and len(bank.questions) == 1


def test_bad_rows_name_row_and_column():
    bank = parse_xlsx(
        sheet(
            [
                row("", "", ("a", "b"), "A"),  # row 2: empty question
                row("Q3", "", ("a",), "A"),  # row 3: one option
                row("Q4", "", ("a", "b", ""), "C"),  # row 4: C is empty
                row("Q5", "", ("a", "b"), "A", level="Siêu khó"),  # row 5: difficulty
                row("Q6", "loại lạ", ("a", "b"), "A"),  # row 6: type
                row("Q7", "", ("a", "b"), ""),  # row 7: no correct answer
                row("Q8", "", ("a", "", "c"), "A"),  # row 8: gap in options
                row("Q9", "", ("a", "b"), "G"),  # row 9: not a letter A-F
                row("Q10", "một đáp án", ("a", "b"), "A,B"),  # row 10: two letters for single
                row("Q11", "đúng sai", correct="Có lẽ"),  # row 11: not Đúng/Sai
                row("Q12", "", ("a", "b"), "A"),  # row 12: fine
            ]
        )
    )
    assert [q.line for q in bank.questions] == [12]
    found = sorted((p.line, p.column) for p in bank.problems)
    assert found == [
        (2, "A"),
        (3, "C"),
        (4, "I"),
        (5, "K"),
        (6, "B"),
        (7, "I"),
        (8, "D"),
        (9, "I"),
        (10, "I"),
        (11, "I"),
    ]
    by_line = {p.line: p for p in bank.problems}
    assert by_line[2].params["column_name"] == "Câu hỏi"
    assert by_line[4].params["letter"] == "C"
    assert by_line[5].params["value"] == "Siêu khó"
    assert by_line[8].params["column_name"] == "Phương án B"


def test_missing_required_columns():
    bank = parse_xlsx(sheet([], headers=["Ghi chú", "", "", "", "", "", "", "", ""]))
    assert [(p.line, p.params["columns"]) for p in bank.problems] == [
        (1, "Câu hỏi, Phương án A, Phương án B, Đáp án đúng")
    ]


def test_not_a_workbook():
    bank = parse_xlsx(b"plain text")
    assert not bank.ok and bank.questions == ()


def test_export_reimports_and_keeps_formula_like_text_as_text():
    source = parse_xlsx(sheet([row("=1+1 là mấy?", "", ("=2", "3"), "A")]))
    assert source.ok
    again = parse_xlsx(dump_xlsx(source))
    assert again.questions == source.questions
    assert again.questions[0].choices[0].weight == Decimal(100)
