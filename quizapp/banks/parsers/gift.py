"""Moodle GIFT import, following qformat_gift's behaviour (export: gift_export)."""

from __future__ import annotations

import re
from dataclasses import replace
from decimal import Decimal, InvalidOperation

from quizapp.banks.core import (
    Category,
    Choice,
    MatchPair,
    NumericAnswer,
    ParsedBank,
    Problem,
    QType,
    Question,
    by_line,
    categories_for_path,
    category_key,
    merge_categories,
    split_category_path,
    text_label,
)
from quizapp.banks.parsers.gift_export import (  # noqa: F401 - dump_* re-exported here
    BLANK,
    DEFAULT_FORMAT,
    dump_gift,
    dump_question,
    escape,
)
from quizapp.banks.validate import check_question, find_duplicates
from quizapp.i18n import N_

FORMATS = ("moodle", "html", "plain", "markdown")

# Escaped control characters become private-use placeholders while the structure is parsed
# (as Moodle's escapedchar_pre does); one char each, so positions stay on the same line.
_ESCAPES = {
    ":": "\ue001",
    "#": "\ue002",
    "=": "\ue003",
    "{": "\ue004",
    "}": "\ue005",
    "~": "\ue006",
    "n": "\ue007",
    # Not Moodle's: "\>" lets a short answer or a matching item contain "->" (Moodle's
    # own export of such an answer reads back as a broken matching question).
    ">": "\ue009",
}
_BACKSLASH = "\ue008"
_UNESCAPE = {v: k for k, v in _ESCAPES.items()} | {"\ue007": "\n", _BACKSLASH: "\\"}
_WEIGHT = re.compile(r"^%(-?\d+(?:\.\d+)?)%")
_WEIGHT_LIKE = re.compile(r"^%[^%\s]*%")
_FORMAT_PREFIX = re.compile(r"^\[([a-z]+)\]")
# Moodle's idnumber and tags in a comment line: "// [id:anm-0001] [tag:luật]", "]" as "\]".
_ID_COMMENT = re.compile(r"\[id:((?:\\\]|[^\]\x00-\x1f])+)\]")
_TAG_COMMENT = re.compile(r"\[tag:((?:\\\]|[^\]<>[\x00-\x1f])+)\]")


class GiftError(Exception):
    def __init__(self, message: str, line: int, **params: object) -> None:
        super().__init__(message)
        self.message, self.line, self.params = message, line, params


def _pre(s: str) -> str:
    s = s.replace("\\\\", _BACKSLASH)
    for char, placeholder in _ESCAPES.items():
        s = s.replace("\\" + char, placeholder)
    return s


def _post(s: str) -> str:
    return "".join(_UNESCAPE.get(ch, ch) for ch in s)


class _Block:
    """One blank-line separated chunk, with the source line of each kept line."""

    def __init__(self, lines: list[tuple[int, str]]) -> None:
        self.comments = [t for _, t in lines if t.startswith("//")]
        kept = [(n, t) for n, t in lines if not t.startswith("//")]
        self.line_nos = [n for n, _ in kept]
        self.text = _pre("\n".join(t for _, t in kept))

    def line_at(self, pos: int) -> int:
        return self.line_nos[min(self.text.count("\n", 0, pos), len(self.line_nos) - 1)]


def _split_blocks(text: str) -> list[list[tuple[int, str]]]:
    blocks: list[list[tuple[int, str]]] = []
    current: list[tuple[int, str]] = []
    for number, raw in enumerate(text.lstrip("\ufeff").splitlines(), start=1):
        line = raw.strip()  # Moodle trims every line before joining
        if line:
            current.append((number, line))
        elif current:
            blocks.append(current)
            current = []
    if current:
        blocks.append(current)
    return blocks


def _text_with_format(raw: str, default: str, line: int, strict: bool = False) -> tuple[str, str]:
    """Split an optional leading [format] off a text; unknown names stay text unless strict."""
    match = _FORMAT_PREFIX.match(raw)
    if match and match.group(1) in FORMATS:
        return _post(raw[match.end() :]).strip(), match.group(1)
    if match and strict:
        raise GiftError(
            N_("Unknown text format [%(format)s]; use one of %(formats)s."),
            line,
            format=match.group(1),
            formats=", ".join(FORMATS),
        )
    return _post(raw).strip(), default


def _own(found: str, default: str) -> str:
    """An item's own format as stored: "" when it is the question text's."""
    return "" if found == default else found


def _split_feedback(raw: str) -> tuple[str, str]:
    text, _, feedback = raw.partition("#")
    return text, feedback


def _weight(raw: str, default: Decimal, line: int) -> tuple[Decimal, str]:
    match = _WEIGHT.match(raw)
    if match:
        return Decimal(match.group(1)), raw[match.end() :]
    if _WEIGHT_LIKE.match(raw):
        raise GiftError(
            N_("Bad answer weight %(weight)s: write it as %%50%% or %%-25%%."),
            line,
            weight=_post(_WEIGHT_LIKE.match(raw).group(0)),
        )  # type: ignore[union-attr]
    return default, raw


def _answers(raw: str, separator: str) -> list[str]:
    parts = raw.split(separator)
    if parts and not parts[0].strip():
        parts = parts[1:]
    return [p.strip() for p in parts]


def _number(raw: str, line: int) -> Decimal:
    text = _post(raw).strip()
    try:
        value = Decimal(text)
    except InvalidOperation:
        value = Decimal("NaN")
    if not value.is_finite():
        raise GiftError(N_('Bad numeric answer "%(value)s": not a number.'), line, value=text)
    return value


def _parse_numeric(answer_text: str, fmt: str, line: int) -> Question:
    body = answer_text[1:]
    wrong = None
    if "~" in body:  # Moodle: everything after ~ is the feedback for any other number
        body, wrong = body[: body.index("~")], body[body.index("~") :]
    items = _answers(body, "=")
    if not items and wrong is None:
        raise GiftError(N_("A numeric question needs at least one number."), line)
    answers = []
    for item in items:
        weight, rest = _weight(item, Decimal(100), line)
        value_text, feedback = _split_feedback(rest)
        feedback, own = _text_with_format(feedback.strip(), fmt, line)
        own = _own(own, fmt)
        value_text = value_text.strip()
        if value_text == "*":
            answers.append(NumericAnswer(weight=weight, feedback=feedback, feedback_format=own))
        elif value_text.find("..") > 0:
            low, _, high = value_text.partition("..")
            answers.append(
                NumericAnswer(
                    min=_number(low, line),
                    max=_number(high, line),
                    weight=weight,
                    feedback=feedback,
                    feedback_format=own,
                )
            )
        elif value_text.find(":") > 0:
            value, _, tolerance = value_text.partition(":")
            answers.append(
                NumericAnswer(
                    value=_number(value, line),
                    tolerance=_number(tolerance, line),
                    weight=weight,
                    feedback=feedback,
                    feedback_format=own,
                )
            )
        else:
            answers.append(
                NumericAnswer(
                    value=_number(value_text, line),
                    weight=weight,
                    feedback=feedback,
                    feedback_format=own,
                )
            )
    if wrong is not None:
        feedback, own = _text_with_format(_split_feedback(wrong)[1].strip(), fmt, line)
        answers.append(
            NumericAnswer(weight=Decimal(0), feedback=feedback, feedback_format=_own(own, fmt))
        )
    return Question(type=QType.NUMERIC, text="", numeric=tuple(answers))


def _parse_choices(answer_text: str, fmt: str, line: int) -> Question:
    plain_right = False
    weighted = False
    choices = []
    for item in _answers(answer_text.replace("=", "~="), "~"):
        if not item:
            continue
        if item.startswith("="):
            after = item[1:]
            weight, rest = _weight(after, Decimal(100), line)
            plain_right = plain_right or rest is after
            weighted = weighted or rest is not after
        else:
            weight, rest = _weight(item, Decimal(0), line)
            weighted = weighted or rest is not item
        text, feedback = _split_feedback(rest)
        text, text_format = _text_with_format(text.strip(), fmt, line)
        feedback, feedback_format = _text_with_format(feedback.strip(), fmt, line)
        choices.append(
            Choice(
                text=text,
                weight=weight,
                feedback=feedback,
                text_format=_own(text_format, fmt),
                feedback_format=_own(feedback_format, fmt),
            )
        )
    if len(choices) < 2:
        raise GiftError(N_("A multiple-choice question needs at least 2 answers."), line)
    # Moodle: a plain "=" makes a one-answer question; weights alone make it multiple-answer.
    qtype = QType.MULTI if weighted and not plain_right else QType.SINGLE
    return Question(type=qtype, text="", choices=tuple(choices))


def _parse_matching(answer_text: str, fmt: str, line: int) -> Question:
    pairs, distractors = [], []
    items = _answers(answer_text, "=")
    if len(items) < 2:
        raise GiftError(N_("A matching question needs at least 2 pairs."), line)
    for item in items:
        if "->" not in item:
            raise GiftError(N_('Matching item "%(item)s" has no "->".'), line, item=_post(item))
        left, _, right = item.partition("->")
        left_text, left_format = _text_with_format(left.strip(), fmt, line)
        right_text = _post(right).strip()
        if left_text:
            pairs.append(MatchPair(left_text, right_text, _own(left_format, fmt)))
        else:  # an empty left side is Moodle's extra wrong answer
            distractors.append(right_text)
    return Question(
        type=QType.MATCHING, text="", pairs=tuple(pairs), distractors=tuple(distractors)
    )


def _parse_short(answer_text: str, fmt: str, line: int) -> Question:
    answers, weights, feedbacks, formats = [], [], [], []
    for item in _answers(answer_text, "="):
        weight, rest = _weight(item, Decimal(100), line)
        text, feedback = _split_feedback(rest)
        answers.append(_text_with_format(text.strip(), fmt, line)[0])  # Moodle: text only
        weights.append(weight)
        feedback, own = _text_with_format(feedback.strip(), fmt, line)
        feedbacks.append(feedback)
        formats.append(_own(own, fmt))
    if not answers:
        raise GiftError(N_("A short-answer question needs at least one answer."), line)
    return Question(
        type=QType.SHORT,
        text="",
        short_answers=tuple(answers),
        short_weights=() if all(w == 100 for w in weights) else tuple(weights),
        short_feedback=tuple(feedbacks) if any(feedbacks) else (),
        short_feedback_formats=tuple(formats) if any(formats) else (),
    )


def _parse_truefalse(answer_text: str, fmt: str, line: int) -> Question:
    bits = answer_text.split("#", 2) + ["", ""]
    value = bits[0].strip() in ("T", "TRUE")
    wrong, wrong_format = _text_with_format(bits[1].strip(), fmt, line)
    right, right_format = _text_with_format(bits[2].strip(), fmt, line)
    wrong_format, right_format = _own(wrong_format, fmt), _own(right_format, fmt)
    return Question(
        type=QType.TRUEFALSE,
        text="",
        answer=value,
        feedback_true=right if value else wrong,
        feedback_false=wrong if value else right,
        feedback_true_format=right_format if value else wrong_format,
        feedback_false_format=wrong_format if value else right_format,
    )


def _parse_answer_block(answer_text: str, fmt: str, line: int) -> Question:
    """Moodle's order of type detection on the text between the braces."""
    if answer_text == "":
        return Question(type=QType.ESSAY, text="")
    if answer_text.startswith("#"):
        return _parse_numeric(answer_text, fmt, line)
    if "~" in answer_text:
        return _parse_choices(answer_text, fmt, line)
    if "=" in answer_text and "->" in answer_text:
        return _parse_matching(answer_text, fmt, line)
    if answer_text.partition("#")[0].strip() in ("T", "TRUE", "F", "FALSE"):
        return _parse_truefalse(answer_text, fmt, line)
    return _parse_short(answer_text, fmt, line)


def _parse_question(block: _Block, start: int) -> Question:
    text = block.text[start:]
    first_line = block.line_at(start)
    title = ""
    if text.startswith("::"):
        end = text.find("::", 2)
        if end < 0:
            raise GiftError(N_('The title is not closed with "::".'), first_line)
        title = _post(text[2:end]).strip()
        start += end + 2
        text = block.text[start:]
    lead = len(text) - len(text.lstrip())
    start, text = start + lead, text.strip()
    open_at, close_at = text.find("{"), text.find("}")
    label = title or text_label(_post(text[: open_at if open_at >= 0 else len(text)]))
    try:
        if open_at < 0 and close_at < 0:
            body, answer_text = text, None
        elif close_at < 0:
            raise GiftError(
                N_('Unclosed brace: the answer block opened here has no "}".'),
                block.line_at(start + open_at),
            )
        elif open_at < 0 or close_at < open_at:
            raise GiftError(
                N_('A "}" has no opening "{" (write \\} for a literal brace).'),
                block.line_at(start + close_at),
            )
        else:
            extra = text.find("{", close_at)
            if extra >= 0:
                raise GiftError(
                    N_("More than one answer block (write \\{ for a literal brace)."),
                    block.line_at(start + extra),
                )
            answer_text = text[open_at + 1 : close_at].strip()
            after = text[close_at + 1 :]
            # Moodle: a block at the very end is removed; inside the sentence it leaves a blank.
            body = text[:open_at] + (BLANK + after if after.strip() else "")
        body_text, fmt = _text_with_format(body.strip(), DEFAULT_FORMAT, first_line, strict=True)
        if answer_text is None:
            return Question(
                type=QType.DESCRIPTION,
                text=body_text,
                title=title,
                text_format=fmt,
                line=first_line,
            )
        explanation, explanation_format = "", ""
        if "####" in answer_text:
            cut = answer_text.rindex("####")
            explanation, own = _text_with_format(answer_text[cut + 4 :].strip(), fmt, first_line)
            explanation_format = _own(own, fmt)
            answer_text = answer_text[:cut].strip()
        parsed = _parse_answer_block(answer_text, fmt, block.line_at(start + open_at))
    except GiftError as err:
        err.params.setdefault("question", label)
        raise
    return replace(
        parsed,
        text=body_text,
        title=title,
        text_format=fmt,
        explanation=explanation,
        explanation_format=explanation_format,
        line=first_line,
    )


def _comment_meta(comments: list[str]) -> tuple[str | None, tuple[str, ...]]:
    text = "\n".join(comments)
    found = _ID_COMMENT.search(text)  # Moodle takes the first id if there are several
    key = found.group(1).strip().replace("\\]", "]") or None if found else None
    tags = (t.strip().replace("\\]", "]") for t in _TAG_COMMENT.findall(text))
    return key, tuple(t for t in tags if t)


def _category_path(raw: str) -> tuple[str, ...]:
    path = split_category_path(raw)
    # Moodle exports "$course$/top/…": the context and the invisible top level are not topics.
    if path and re.fullmatch(r"\$\w+\$", path[0]):
        path = path[1:]
    if path and path[0] == "top":
        path = path[1:]
    return path


def parse_gift(text: str) -> ParsedBank:
    """Parse a GIFT file; every broken question is reported and the rest still parsed."""
    questions: list[Question] = []
    categories: list[Category] = []
    problems: list[Problem] = []
    current_category: str | None = None
    for lines in _split_blocks(text):
        block = _Block(lines)
        if not block.line_nos:
            continue
        start = 0
        if block.text.startswith("$CATEGORY:"):
            end = block.text.find("\n")
            end = len(block.text) if end < 0 else end
            path = _category_path(_post(block.text[len("$CATEGORY:") : end]))
            merge_categories(categories, categories_for_path(path))
            current_category = category_key(path) if path else None
            if end >= len(block.text):
                continue
            start = end + 1  # lenient: a question may follow on the next line
        try:
            question = _parse_question(block, start)
        except GiftError as err:
            params = dict(err.params)
            label = str(params.pop("question", "")) or None
            problems.append(
                Problem(message=err.message, params=params, line=err.line, question=label)
            )
            continue
        key, tags = _comment_meta(block.comments)
        question = replace(question, key=key, tags=tags, category=current_category)
        problems.extend(check_question(question))
        questions.append(question)
    problems.extend(find_duplicates(questions))
    return ParsedBank(
        questions=tuple(questions), categories=tuple(categories), problems=by_line(problems)
    )
