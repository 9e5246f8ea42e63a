"""The question editor's form data to a Question and back, and diffs between versions (pure)."""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from quizapp.banks.core import (
    Choice,
    Difficulty,
    MatchPair,
    NumericAnswer,
    QType,
    Question,
    Source,
    Verified,
    mark_in_bounds,
)
from quizapp.i18n import N_

MAX_OPTIONS = 8
_RANGE = re.compile(r"^\s*(-?[\d.,]+)\s*\.\.\s*(-?[\d.,]+)\s*$")
_TOL = re.compile(r"^\s*(-?[\d.,]+)\s*(?:(?:±|\+-|:)\s*([\d.,]+))?\s*$")


@dataclass(frozen=True)
class EditorData:
    """Everything the editor form holds, as strings and lists of strings."""

    type: str
    text: str
    title: str = ""
    text_format: str = "plain"
    difficulty: str = "medium"
    mark: str = "1"
    explanation: str = ""
    tags: str = ""
    option_text: Sequence[str] = ()
    option_weight: Sequence[str] = ()  # multi: percent per option
    option_feedback: Sequence[str] = ()
    correct: str = ""  # single: index of the right option
    answer: str = ""  # truefalse: "true" / "false"
    feedback_true: str = ""
    feedback_false: str = ""
    short_answers: str = ""  # one per line
    case_sensitive: bool = False
    accent_sensitive: bool = False
    numeric: str = ""  # one per line: "3", "3 ± 0.5", "1..5"
    pairs: str = ""  # one per line: "left -> right"
    source_document: str = ""
    source_article: str = ""
    source_clause: str = ""
    source_page: str = ""
    source_quote: str = ""
    verified: str = "unverified"  # how the key was confirmed: text | secondary | unverified
    verified_note: str = ""

    @classmethod
    def from_form(cls, form: Mapping, getlist) -> EditorData:
        """Read request.form (getlist for repeated option fields)."""
        g = lambda name: (form.get(name) or "").strip()  # noqa: E731
        return cls(
            type=g("type"),
            text=(form.get("text") or "").strip(),
            title=g("title"),
            text_format=g("text_format") or "plain",
            difficulty=g("difficulty") or "medium",
            mark=g("mark") or "1",
            explanation=(form.get("explanation") or "").strip(),
            tags=g("tags"),
            option_text=[s.strip() for s in getlist("option_text")],
            option_weight=[s.strip() for s in getlist("option_weight")],
            option_feedback=[s.strip() for s in getlist("option_feedback")],
            correct=g("correct"),
            answer=g("answer"),
            feedback_true=g("feedback_true"),
            feedback_false=g("feedback_false"),
            short_answers=form.get("short_answers") or "",
            case_sensitive=bool(form.get("case_sensitive")),
            accent_sensitive=bool(form.get("accent_sensitive")),
            numeric=form.get("numeric") or "",
            pairs=form.get("pairs") or "",
            source_document=g("source_document"),
            source_article=g("source_article"),
            source_clause=g("source_clause"),
            source_page=g("source_page"),
            source_quote=(form.get("source_quote") or "").strip(),
            verified=g("verified") or "unverified",
            verified_note=(form.get("verified_note") or "").strip(),
        )


class EditorError(ValueError):
    """Field → msgid of what is wrong with the editor's data."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(errors)
        self.errors = errors


def _decimal(text: str) -> Decimal:
    return Decimal(text.replace(",", "."))


def to_question(d: EditorData, *, key: str | None = None) -> Question:
    """Build the Question the editor describes; EditorError for malformed fields (the
    validator then checks the answer key itself)."""
    errors: dict[str, str] = {}
    try:
        qtype = QType(d.type)
    except ValueError:
        raise EditorError({"type": N_("Unknown question type.")}) from None
    try:
        difficulty = Difficulty(d.difficulty)
    except ValueError:
        errors["difficulty"] = N_("Choose a difficulty.")
        difficulty = Difficulty.MEDIUM
    try:
        mark = _decimal(d.mark)
        if not mark_in_bounds(mark):
            raise InvalidOperation
    except InvalidOperation:
        errors["mark"] = N_("The mark must be a number greater than 0 and at most 1000.")
        mark = Decimal(1)
    if not d.text:
        errors["text"] = N_("Enter the question.")
    try:
        verified = Verified(d.verified)
    except ValueError:
        errors["verified"] = N_("Choose how the answer key was confirmed.")
        verified = Verified.UNVERIFIED
    if verified is not Verified.UNVERIFIED and not d.verified_note:
        errors["verified_note"] = N_(
            "Quote the words of the official text and where (text), or name the source "
            "that quotes it (secondary)."
        )
    kw: dict = {}
    if qtype in (QType.SINGLE, QType.MULTI):
        choices = []
        for i, text in enumerate(d.option_text[:MAX_OPTIONS]):
            if not text:
                continue
            feedback = d.option_feedback[i] if i < len(d.option_feedback) else ""
            if qtype == QType.SINGLE:
                weight = Decimal(100) if d.correct == str(i) else Decimal(0)
            else:
                raw = d.option_weight[i] if i < len(d.option_weight) else ""
                try:
                    weight = _decimal(raw or "0")
                except InvalidOperation:
                    errors["options"] = N_("Weights are numbers from -100 to 100.")
                    weight = Decimal(0)
            choices.append(Choice(text=text, weight=weight, feedback=feedback))
        kw["choices"] = tuple(choices)
    elif qtype == QType.TRUEFALSE:
        if d.answer not in ("true", "false"):
            errors["answer"] = N_("Choose whether the statement is true or false.")
        kw.update(
            answer=d.answer == "true",
            feedback_true=d.feedback_true,
            feedback_false=d.feedback_false,
        )
    elif qtype == QType.SHORT:
        kw.update(
            short_answers=tuple(a.strip() for a in d.short_answers.splitlines() if a.strip()),
            case_sensitive=d.case_sensitive,
            accent_sensitive=d.accent_sensitive,
        )
    elif qtype == QType.NUMERIC:
        answers = []
        for line in d.numeric.splitlines():
            if not line.strip():
                continue
            try:
                if m := _RANGE.match(line):
                    answers.append(NumericAnswer(min=_decimal(m[1]), max=_decimal(m[2])))
                elif m := _TOL.match(line):
                    answers.append(
                        NumericAnswer(value=_decimal(m[1]), tolerance=_decimal(m[2] or "0"))
                    )
                else:
                    raise InvalidOperation
            except InvalidOperation:
                errors["numeric"] = N_("Write one answer per line: 3, 3 ± 0.5 or 1..5.")
        kw["numeric"] = tuple(answers)
    elif qtype == QType.MATCHING:
        pairs = []
        for line in d.pairs.splitlines():
            if not line.strip():
                continue
            left, sep, right = line.partition("->")
            if not sep or not left.strip() or not right.strip():
                errors["pairs"] = N_("Write one pair per line: left -> right.")
                continue
            pairs.append(MatchPair(left=left.strip(), right=right.strip()))
        kw["pairs"] = tuple(pairs)
    if errors:
        raise EditorError(errors)
    source = None
    if d.source_document or d.source_article or d.source_quote or d.source_page:
        source = Source(
            document=d.source_document,
            article=d.source_article,
            clause=d.source_clause,
            page=d.source_page,
            quote=d.source_quote,
        )
    tags = tuple(t.strip() for t in d.tags.split(",") if t.strip())
    return Question(
        type=qtype,
        text=d.text,
        key=key,
        title=d.title,
        text_format=d.text_format,
        explanation=d.explanation,
        difficulty=difficulty,
        tags=tags,
        mark=mark,
        source=source,
        verified=verified,
        verified_note=d.verified_note,
        **kw,
    )


def keep_item_formats(new: Question, old: Question) -> Question:
    """The editor shows one text format per question: an item imported with its own format
    (GIFT "[html]" on an answer) keeps it while its text is unchanged (matched by text)."""
    from dataclasses import replace

    if new.text_format != old.text_format:
        return new  # the organiser changed the formats: the form's one format holds
    choices = {c.text: c for c in old.choices}
    pairs = {p.left: p for p in old.pairs}

    def own(text: str, old_text: str, old_format: str) -> str:
        return old_format if text == old_text else ""

    return replace(
        new,
        choices=tuple(
            replace(
                c,
                text_format=choices[c.text].text_format,
                feedback_format=own(
                    c.feedback, choices[c.text].feedback, choices[c.text].feedback_format
                ),
            )
            if c.text in choices
            else c
            for c in new.choices
        ),
        pairs=tuple(
            replace(p, left_format=pairs[p.left].left_format) if p.left in pairs else p
            for p in new.pairs
        ),
        explanation_format=own(new.explanation, old.explanation, old.explanation_format),
        feedback_true_format=own(new.feedback_true, old.feedback_true, old.feedback_true_format),
        feedback_false_format=own(
            new.feedback_false, old.feedback_false, old.feedback_false_format
        ),
    )


def _fmt(value: Decimal) -> str:
    return format(value.normalize(), "f")


def from_question(q: Question) -> EditorData:
    """The editor's fields for an existing question."""
    correct = next((str(i) for i, c in enumerate(q.choices) if c.weight > 0), "")
    numeric = []
    for n in q.numeric:
        if n.min is not None and n.max is not None:
            numeric.append(f"{_fmt(n.min)}..{_fmt(n.max)}")
        elif n.value is not None:
            numeric.append(_fmt(n.value) + (f" ± {_fmt(n.tolerance)}" if n.tolerance else ""))
    s = q.source
    return EditorData(
        type=q.type.value,
        text=q.text,
        title=q.title,
        text_format=q.text_format,
        difficulty=q.difficulty.value,
        mark=_fmt(q.mark),
        explanation=q.explanation,
        tags=", ".join(q.tags),
        option_text=[c.text for c in q.choices],
        option_weight=[_fmt(c.weight) for c in q.choices],
        option_feedback=[c.feedback for c in q.choices],
        correct=correct,
        answer="" if q.answer is None else ("true" if q.answer else "false"),
        feedback_true=q.feedback_true,
        feedback_false=q.feedback_false,
        short_answers="\n".join(q.short_answers),
        case_sensitive=q.case_sensitive,
        accent_sensitive=q.accent_sensitive,
        numeric="\n".join(numeric),
        pairs="\n".join(f"{p.left} -> {p.right}" for p in q.pairs),
        source_document=s.document if s else "",
        source_article=s.article if s else "",
        source_clause=s.clause if s else "",
        source_page=s.page if s else "",
        source_quote=s.quote if s else "",
        verified=q.verified.value,
        verified_note=q.verified_note,
    )


def version_diff(old: Mapping, new: Mapping) -> list[str]:
    """Line diff of two stored versions (their JSON, one field per line, sorted)."""

    def lines(d: Mapping) -> list[str]:
        return json.dumps(d, ensure_ascii=False, indent=1, sort_keys=True).splitlines()

    return list(difflib.unified_diff(lines(old), lines(new), lineterm="", n=1))[2:]
