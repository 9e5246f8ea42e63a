"""Excel (XLSX) import/export of single, multiple-answer and true/false questions.

The export writes only what the import reads back unchanged (`export_xlsx` checks each
question by reading its row back) and names the questions it had to leave out."""

from __future__ import annotations

import io
from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from quizapp.banks.core import (
    Category,
    Choice,
    Difficulty,
    ParsedBank,
    Problem,
    QType,
    Question,
    Source,
    by_line,
    categories_for_path,
    category_key,
    category_path,
    join_category_path,
    merge_categories,
    split_category_path,
)
from quizapp.banks.textnorm import fold
from quizapp.banks.validate import check_question, find_duplicates
from quizapp.exports import append_row
from quizapp.i18n import N_
from quizapp.spreadsheets import SpreadsheetRefused, XlsxLimits, read_rows

LETTERS = "ABCDEF"
HEADERS = (
    ("text", "Câu hỏi"),
    ("type", "Loại"),
    *((f"option_{x}", f"Phương án {x}") for x in LETTERS),
    ("correct", "Đáp án đúng"),
    ("explanation", "Giải thích"),
    ("difficulty", "Mức độ"),
    ("category", "Chủ đề"),
    ("tags", "Thẻ"),
    ("document", "Nguồn"),
    ("article", "Điều khoản"),
    ("quote", "Trích dẫn"),
    # Optional; written by the export so that re-importing it finds the same questions.
    ("key", "Mã câu hỏi"),
    ("title", "Tiêu đề"),
    ("text_format", "Định dạng"),
)
TEXT_FORMATS = ("plain", "markdown", "html", "moodle")
REQUIRED = ("text", "option_A", "option_B", "correct")
TYPE_NAMES = {QType.SINGLE: "một đáp án", QType.MULTI: "nhiều đáp án", QType.TRUEFALSE: "đúng sai"}
DIFFICULTY_NAMES = {Difficulty.EASY: "Dễ", Difficulty.MEDIUM: "Trung bình", Difficulty.HARD: "Khó"}
TRUE_WORDS, FALSE_WORDS = ("dung", "d", "true", "t"), ("sai", "s", "false", "f")
_TYPES = {fold(v): k for k, v in TYPE_NAMES.items()} | {t.value: t for t in TYPE_NAMES}
_DIFFICULTIES = {fold(v): k for k, v in DIFFICULTY_NAMES.items()} | {d.value: d for d in Difficulty}
_HEADER_FIELDS = {fold(label): name for name, label in HEADERS}
GUIDE = (
    ("Câu hỏi", "Bắt buộc. Nội dung câu hỏi."),
    (
        "Loại",
        "Tuỳ chọn: một đáp án / nhiều đáp án / đúng sai. Để trống: nhiều chữ cái ở cột "
        "Đáp án đúng là nhiều đáp án, Đúng/Sai là câu đúng sai, còn lại là một đáp án.",
    ),
    (
        "Phương án A … F",
        "Các phương án trả lời, điền liên tiếp từ A; ít nhất 2 phương án (câu đúng sai để trống).",
    ),
    (
        "Đáp án đúng",
        "Chữ cái của phương án đúng, ví dụ B; nhiều đáp án: A,C. Câu đúng sai: "
        "Đúng hoặc Sai. Câu nhiều đáp án: mỗi phương án đúng được chia đều 100%, "
        "mỗi phương án sai trừ đều 100%; điểm câu hỏi không âm.",
    ),
    ("Giải thích", "Tuỳ chọn. Hiện sau khi trả lời."),
    ("Mức độ", "Tuỳ chọn: Dễ / Trung bình / Khó (mặc định Trung bình)."),
    ("Chủ đề", "Tuỳ chọn. Đường dẫn chủ đề, các cấp cách nhau bởi /, ví dụ: Chương I/Điều 2."),
    ("Thẻ", "Tuỳ chọn. Các thẻ cách nhau bởi dấu phẩy."),
    ("Nguồn", "Tuỳ chọn. Văn bản làm căn cứ, ví dụ: Luật An ninh mạng 2025."),
    ("Điều khoản", "Tuỳ chọn. Điều, khoản trong văn bản, ví dụ: Điều 8, khoản 1."),
    ("Trích dẫn", "Tuỳ chọn. Câu trích từ văn bản xác nhận đáp án."),
    (
        "Mã câu hỏi",
        "Tuỳ chọn. Mã riêng của câu hỏi trong ngân hàng; nhập lại tệp có mã sẽ cập nhật đúng "
        "câu hỏi đó thay vì thêm câu mới.",
    ),
    ("Tiêu đề", "Tuỳ chọn. Tên ngắn của câu hỏi."),
    ("Định dạng", "Tuỳ chọn: plain / markdown / html / moodle (mặc định plain)."),
)


def split_weights(total: Decimal, count: int) -> list[Decimal]:
    """`total` split over `count` options in hundredths; the last takes the rounding rest."""
    if count <= 0:
        return []
    base = (total / count).quantize(Decimal("0.01"), rounding=ROUND_DOWN)
    return [base] * (count - 1) + [total - base * (count - 1)]


def template_xlsx() -> bytes:
    """An empty import sheet with the Vietnamese headers and a "Hướng dẫn" (guide) sheet."""
    return _workbook([]).getvalue()


def _workbook(rows: list[list[str]]) -> io.BytesIO:
    wb = Workbook()
    ws = wb.active
    ws.title = "Câu hỏi"
    ws.append([label for _, label in HEADERS])
    for cell in ws[1]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    for index, (name, _) in enumerate(HEADERS, start=1):
        wide = name in ("text", "explanation", "quote")
        ws.column_dimensions[get_column_letter(index)].width = 50 if wide else 18
    ws.freeze_panes = "A2"
    for values, column in ((TYPE_NAMES.values(), "B"), (DIFFICULTY_NAMES.values(), "K")):
        rule = DataValidation(type="list", formula1='"' + ",".join(values) + '"', allow_blank=True)
        rule.add(f"{column}2:{column}5000")
        ws.add_data_validation(rule)
    for row in rows:
        append_row(ws, row)  # texts that look like formulas get a quote; the import drops it
    guide = wb.create_sheet("Hướng dẫn")
    guide.append(["Cột", "Cách điền"])
    for cell in guide[1]:
        cell.font = Font(bold=True)
    for row in GUIDE:
        guide.append(list(row))
    guide.column_dimensions["A"].width = 20
    guide.column_dimensions["B"].width = 100
    out = io.BytesIO()
    wb.save(out)
    return out


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


@dataclass
class _Row:
    number: int
    values: dict[str, str]
    columns: dict[str, str]  # field → column letter
    problems: list[Problem]

    def get(self, name: str) -> str:
        return self.values.get(name, "")

    def error(self, message: str, name: str, **params: object) -> None:
        label = dict(HEADERS)[name]
        self.problems.append(
            Problem(
                message=message,
                params={"column_name": label, **params},
                line=self.number,
                column=self.columns.get(name),
                question=self.get("text")[:60] or None,
            )
        )


def _row_question(row: _Row, categories: list[Category]) -> Question | None:
    errors_before = len(row.problems)
    if not row.get("text"):
        row.error(N_("The question (column %(column_name)s) is empty."), "text")
    options = [(x, row.get(f"option_{x}")) for x in LETTERS]
    last_filled = max((i for i, (_, t) in enumerate(options) if t), default=-1)
    for letter, text in options[: max(last_filled, 0)]:
        if not text:
            row.error(
                N_("Option %(letter)s is empty but a later option is filled."),
                f"option_{letter}",
                letter=letter,
            )
    options = options[: last_filled + 1]
    correct_raw = row.get("correct")
    letters = [p.strip().upper() for p in correct_raw.replace(";", ",").split(",") if p.strip()]
    if (
        len(letters) == 1
        and len(letters[0]) > 1
        and letters[0].isalpha()
        and fold(correct_raw) not in TRUE_WORDS + FALSE_WORDS
    ):
        letters = list(letters[0])  # "AC" written without a comma
    qtype = _TYPES.get(fold(row.get("type"))) if row.get("type") else None
    if row.get("type") and qtype is None:
        row.error(
            N_('Unknown question type "%(value)s"; use one of %(allowed)s.'),
            "type",
            value=row.get("type"),
            allowed=", ".join(TYPE_NAMES.values()),
        )
    if qtype is None:
        tf = fold(correct_raw) in ("dung", "sai") and not options
        qtype = QType.TRUEFALSE if tf else QType.MULTI if len(letters) > 1 else QType.SINGLE
    difficulty = Difficulty.MEDIUM
    if row.get("difficulty"):
        found = _DIFFICULTIES.get(fold(row.get("difficulty")))
        if found is None:
            row.error(
                N_('Unknown difficulty "%(value)s"; use Dễ, Trung bình or Khó.'),
                "difficulty",
                value=row.get("difficulty"),
            )
        difficulty = found or Difficulty.MEDIUM
    text_format = row.get("text_format").lower() or "plain"
    if text_format not in TEXT_FORMATS:
        row.error(
            N_('Unknown text format "%(value)s"; use one of %(allowed)s.'),
            "text_format",
            value=row.get("text_format"),
            allowed=", ".join(TEXT_FORMATS),
        )
    fields: dict[str, object] = {}
    if qtype is QType.TRUEFALSE:
        answer = fold(correct_raw)
        if answer not in TRUE_WORDS + FALSE_WORDS:
            row.error(
                N_("A true/false question needs Đúng or Sai as the correct answer."), "correct"
            )
        fields["answer"] = answer in TRUE_WORDS
    else:
        if len(options) < 2:
            row.error(
                N_("At least %(min)s options are needed, found %(count)s."),
                "option_A",
                min=2,
                count=len([o for o in options if o[1]]),
            )
        if not letters:
            row.error(N_("The correct answer (column %(column_name)s) is empty."), "correct")
        filled = {x for x, t in options if t}
        for letter in letters:
            if letter not in LETTERS:
                row.error(
                    N_('"%(letter)s" is not an option letter (A to F).'), "correct", letter=letter
                )
            elif letter not in filled:
                row.error(
                    N_("The correct answer %(letter)s points to an empty option."),
                    "correct",
                    letter=letter,
                )
        if qtype is QType.SINGLE and len(letters) > 1:
            row.error(
                N_("A single-answer question has %(count)s correct letters."),
                "correct",
                count=len(letters),
            )
        right = [x for x, _ in options if x in letters]
        wrong = [x for x, _ in options if x not in letters]
        if qtype is QType.SINGLE:
            weights = {x: Decimal(100 if x in letters else 0) for x, _ in options}
        else:
            weights = dict(zip(right, split_weights(Decimal(100), len(right)), strict=True))
            weights |= dict(zip(wrong, split_weights(Decimal(-100), len(wrong)), strict=True))
        fields["choices"] = tuple(Choice(text=t, weight=weights[x]) for x, t in options)
    if len(row.problems) > errors_before:
        return None
    category = None
    path = split_category_path(row.get("category"))
    if path:
        merge_categories(categories, categories_for_path(path))
        category = category_key(path)
    source = None
    if row.get("document") or row.get("article") or row.get("quote"):
        source = Source(
            document=row.get("document"), article=row.get("article"), quote=row.get("quote")
        )
    return Question(
        type=qtype,
        text=row.get("text"),
        key=row.get("key") or None,
        title=row.get("title"),
        text_format=text_format,
        explanation=row.get("explanation"),
        difficulty=difficulty,
        category=category,
        source=source,
        line=row.number,
        tags=tuple(t.strip() for t in row.get("tags").split(",") if t.strip()),
        **fields,  # type: ignore[arg-type]
    )


def parse_xlsx(data: bytes, limits: XlsxLimits | None = None) -> ParsedBank:
    """Read the first sheet (within `limits`); problems carry the row number and the column
    letter."""
    try:
        rows = read_rows(data, limits)
    except SpreadsheetRefused as err:
        return ParsedBank(questions=(), problems=(Problem(err.message, err.params, line=None),))
    problems: list[Problem] = []
    header = [_cell(v) for v in rows[0]] if rows else []
    columns: dict[str, str] = {}
    for index, label in enumerate(header, start=1):
        name = _HEADER_FIELDS.get(fold(label))
        if name and name not in columns:
            columns[name] = get_column_letter(index)
    missing = [dict(HEADERS)[n] for n in REQUIRED if n not in columns]
    if missing:
        problems.append(
            Problem(
                N_("Missing columns in the first row: %(columns)s."),
                {"columns": ", ".join(missing)},
                line=1,
            )
        )
        return ParsedBank(questions=(), problems=tuple(problems))
    index_of = {name: _column_index(letter) for name, letter in columns.items()}
    questions: list[Question] = []
    categories: list[Category] = []
    for number, raw in enumerate(rows[1:], start=2):
        values = {n: _cell(raw[i]) if i < len(raw) else "" for n, i in index_of.items()}
        if not any(values.values()):
            continue
        row = _Row(number, values, columns, problems)
        question = _row_question(row, categories)
        if question is not None:
            problems.extend(check_question(question))
            questions.append(question)
    problems.extend(find_duplicates(questions))
    return ParsedBank(
        questions=tuple(questions), categories=tuple(categories), problems=by_line(problems)
    )


def _column_index(letter: str) -> int:
    index = 0
    for char in letter:
        index = index * 26 + ord(char) - 64
    return index - 1


def _row_of(q: Question, by_key: dict[str, Category]) -> list | None:
    """The import layout's row for `q`, or None when its type or option count has no column."""
    if q.type not in TYPE_NAMES or len(q.choices) > len(LETTERS):
        return None
    options = [c.text for c in q.choices] + [""] * (len(LETTERS) - len(q.choices))
    if q.type is QType.TRUEFALSE:
        correct = "Đúng" if q.answer else "Sai"
    else:
        correct = ",".join(LETTERS[i] for i, c in enumerate(q.choices) if c.weight > 0)
    source = q.source or Source()
    article = ", ".join(p for p in (source.article, source.clause) if p)
    path = category_path(q.category, by_key) if q.category else ()
    return [
        q.text,
        TYPE_NAMES[q.type],
        *options,
        correct,
        q.explanation,
        DIFFICULTY_NAMES[q.difficulty],
        join_category_path(path),
        ", ".join(q.tags),
        source.document,
        article,
        source.quote,
        q.key or "",
        q.title,
        "" if q.text_format == "plain" else q.text_format,
    ]


def _same(original: Question, back: Question | None, cats, back_cats) -> bool:
    """True when the row read back is the question exactly (content, category path, key)."""
    from quizapp.banks.sanitize import clean_question
    from quizapp.banks.serial import version_hash

    if back is None or back.key != original.key:
        return False
    if version_hash(clean_question(back)) != version_hash(clean_question(original)):
        return False
    mine = category_path(original.category, cats) if original.category else ()
    theirs = category_path(back.category, back_cats) if back.category else ()
    return mine == theirs


def export_xlsx(bank: ParsedBank) -> tuple[bytes, list[Question]]:
    """The workbook of every question the import reads back unchanged, and the questions
    left out: a type or a detail the layout has no column for (short answer, numeric,
    matching, more than 6 options, per-option feedback, partial credit…)."""
    by_key = {c.key: c for c in bank.categories}
    rows: list[tuple[Question, list]] = []
    left_out: list[Question] = []
    for q in bank.questions:
        row = _row_of(q, by_key)
        if row is None:
            left_out.append(q)
        else:
            rows.append((q, row))
    back = parse_xlsx(_workbook([r for _, r in rows]).getvalue())
    read_back = {p.line: p for p in back.questions}
    back_cats = {c.key: c for c in back.categories}
    kept = []
    for line, (q, row) in enumerate(rows, start=2):
        if _same(q, read_back.get(line), by_key, back_cats):
            kept.append(row)
        else:
            left_out.append(q)
    order = {id(q): i for i, q in enumerate(bank.questions)}
    return _workbook(kept).getvalue(), sorted(left_out, key=lambda q: order[id(q)])


def dump_xlsx(bank: ParsedBank) -> bytes:
    """`export_xlsx`'s workbook (the questions it cannot carry are left out)."""
    return export_xlsx(bank)[0]
