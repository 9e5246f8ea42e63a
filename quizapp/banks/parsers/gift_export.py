"""Moodle GIFT export, writing what qformat_gift (and gift.parse_gift) reads back."""

from __future__ import annotations

from decimal import Decimal

from quizapp.banks.core import ParsedBank, QType, Question, category_path, join_category_path

BLANK = "_____"  # what Moodle puts where a missing-word answer block stood
DEFAULT_FORMAT = "moodle"  # GIFT text without a [format] prefix is Moodle auto-format


def escape(text: str) -> str:
    """GIFT escapes for free text (Moodle's repchar); newlines become \\n."""
    text = text.replace("\\", "\\\\")
    for char in ":#=~{}":
        text = text.replace(char, "\\" + char)
    return text.replace("\r", "").replace("\n", "\\n")


def _fmt(text: str, fmt: str, own: str = "") -> str:
    """A text parsed with Moodle's parse_text_with_format (default: the question text's
    format `fmt`): its own format `own` written when it differs (as Moodle's
    write_questiontext), else a leading "[" or "%" guarded."""
    if own and own != fmt and text:
        return f"[{own}]" + escape(text)
    if text.startswith(("[", "%")):
        return f"[{fmt}]" + escape(text)
    return escape(text)


def _arrowless(text: str) -> str:
    """ "->" written "-\\>": in a short-answer block (or a matching item's left side) a
    bare "->" would read back as a matching question."""
    return text.replace("->", "-\\>")


def _num(value: Decimal) -> str:
    return format(value, "f")


def _weight_mark(weight: Decimal) -> str:
    return f"%{_num(weight)}%"


def _answer_items(q: Question) -> list[str]:
    fmt = q.text_format

    def feedback(text: str, own: str = "") -> str:
        return "#" + _fmt(text, fmt, own) if text else ""

    if q.type in (QType.SINGLE, QType.MULTI):
        items = []
        for c in q.choices:
            if q.type is QType.SINGLE and c.weight == 100:
                mark = "="
            else:
                # A multi question always shows its weights, even 0%, so it stays multi.
                plain_wrong = c.weight == 0 and q.type is QType.SINGLE
                mark = "~" if plain_wrong else "~" + _weight_mark(c.weight)
            items.append(
                mark + _fmt(c.text, fmt, c.text_format) + feedback(c.feedback, c.feedback_format)
            )
        return items
    if q.type is QType.SHORT:
        items = []
        for i, answer in enumerate(q.short_answers):
            weight = q.short_weight(i)
            mark = "=" if weight == 100 else "=" + _weight_mark(weight)
            fb = q.short_feedback[i] if q.short_feedback else ""
            own = q.short_feedback_formats[i] if q.short_feedback_formats else ""
            items.append(mark + _fmt(answer, fmt) + feedback(fb, own))
        return items
    if q.type is QType.MATCHING:
        items = [
            f"={_arrowless(_fmt(p.left, fmt, p.left_format))} -> {escape(p.right)}" for p in q.pairs
        ]
        return items + [f"= -> {escape(d)}" for d in q.distractors]
    if q.type is QType.NUMERIC:
        items = []
        for a in q.numeric:
            if a.is_catch_all:
                items.append("~#" + _fmt(a.feedback, fmt, a.feedback_format))
                continue
            if a.is_range:
                value = f"{_num(a.min or Decimal(0))}..{_num(a.max or Decimal(0))}"
            else:
                value = _num(a.value or Decimal(0))
                value += f":{_num(a.tolerance)}" if a.tolerance else ""
            mark = "=" if a.weight == 100 else "=" + _weight_mark(a.weight)
            items.append(mark + value + feedback(a.feedback, a.feedback_format))
        return items
    return []


def _answer_block(q: Question, inline: bool) -> str:
    general = (
        "####" + _fmt(q.explanation, q.text_format, q.explanation_format) if q.explanation else ""
    )
    if q.type is QType.ESSAY:
        return "{" + general + "}"
    if q.type is QType.TRUEFALSE:
        true = (q.feedback_true, q.feedback_true_format)
        false = (q.feedback_false, q.feedback_false_format)
        (right, right_own), (wrong, wrong_own) = (true, false) if q.answer else (false, true)
        out = "TRUE" if q.answer else "FALSE"
        if wrong or right:
            out += "#" + _fmt(wrong, q.text_format, wrong_own)
        if right:
            out += "#" + _fmt(right, q.text_format, right_own)
        return "{" + out + general + "}"
    items = _answer_items(q)
    if q.type is QType.SHORT:
        items = [_arrowless(item) for item in items]
        general = _arrowless(general)
    prefix = "#" if q.type is QType.NUMERIC else ""
    if (
        q.type is QType.NUMERIC
        and len(items) == 1
        and items[0].startswith("=")
        and "%" not in items[0][:2]
    ):
        return "{#" + items[0][1:] + general + "}"
    if inline:
        return "{" + prefix + " ".join(items) + (" " + general if general else "") + "}"
    lines = ["{" + prefix] + ["\t" + item for item in items]
    if general:
        lines.append("\t" + general)
    return "\n".join(lines) + "\n}"


def _question_text(q: Question) -> str:
    text = escape(q.text)
    if q.text_format != DEFAULT_FORMAT or q.text.startswith(("[", "//")) or not q.text:
        # The prefix also stops a text that starts with "[" or "//" from being misread.
        text = f"[{q.text_format}]" + text
    return text


def _bracket(value: str) -> str:
    return value.replace("]", "\\]")


def dump_question(q: Question) -> str:
    """One question as GIFT, with its key and tags in a leading comment line."""
    meta = [f"[id:{_bracket(q.key)}]"] if q.key else []
    meta += [f"[tag:{_bracket(t)}]" for t in q.tags]
    out = ("// " + " ".join(meta) + "\n") if meta else ""
    out += f"::{escape(q.title)}::" if q.title else ""
    text = _question_text(q)
    if q.type is QType.DESCRIPTION:
        return out + text
    blank = escape(BLANK)
    position = text.find(blank)
    if position >= 0 and q.type is not QType.ESSAY and not text.endswith(blank):
        block = _answer_block(q, inline=True)
        return out + text[:position] + block + text[position + len(blank) :]
    return out + text + _answer_block(q, inline=False)


def dump_gift(bank: ParsedBank) -> str:
    """Write a bank as GIFT: category lines, then each question, separated by blank lines."""
    by_key = {c.key: c for c in bank.categories}
    chunks = []
    current: str | None = None
    for q in bank.questions:
        if q.category != current:
            path = category_path(q.category, by_key) if q.category else ()
            chunks.append("$CATEGORY: " + escape(join_category_path(path)))
            current = q.category
        chunks.append(dump_question(q))
    return "\n\n".join(chunks) + "\n" if chunks else ""
