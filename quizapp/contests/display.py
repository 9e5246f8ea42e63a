"""What the browser may see of a served question, and the mapping of its answers (pure).

The display form never carries weights, right answers or feedback: the correct answers are
not sent to the browser before grading.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from quizapp.banks.core import QType, Question

MAX_TEXT = 500


@dataclass(frozen=True)
class DisplayQuestion:
    position: int
    type: str
    text: str
    text_format: str
    options: tuple[str, ...] = ()  # in display order
    lefts: tuple[str, ...] = ()  # matching
    option_formats: tuple[str, ...] = ()  # each option's text format (its own or the text's)
    left_formats: tuple[str, ...] = ()
    rights: tuple[str, ...] = ()  # matching, sorted so the order gives nothing away
    mark: str = "1"


def display(q: Question, position: int, option_order: Sequence[int]) -> DisplayQuestion:
    options: tuple[str, ...] = ()
    formats: tuple[str, ...] = ()
    if q.type in (QType.SINGLE, QType.MULTI):
        order = list(option_order) or list(range(len(q.choices)))
        options = tuple(q.choices[i].text for i in order)
        formats = tuple(q.format_of(q.choices[i].text_format) for i in order)
    rights = tuple(sorted({p.right for p in q.pairs} | set(q.distractors)))
    return DisplayQuestion(
        position=position,
        type=q.type.value,
        text=q.text,
        text_format=q.text_format,
        options=options,
        lefts=tuple(p.left for p in q.pairs),
        option_formats=formats,
        left_formats=tuple(q.format_of(p.left_format) for p in q.pairs),
        rights=rights,
        mark=format(q.mark.normalize(), "f"),
    )


class BadAnswer(ValueError):
    """The posted answer does not fit the question."""


def mask(options) -> int:
    """Option indices as a bit mask (bit i = option i; indices past 62 are not kept)."""
    return sum(1 << o for o in set(options) if isinstance(o, int) and 0 <= o < 63)


def choice_mask(stored: dict | None) -> int | None:
    """The options of a stored choice answer as a bit mask (None: no choice answer)."""
    choices = stored.get("choices") if isinstance(stored, dict) else None
    return mask(choices) if isinstance(choices, list) else None


def to_stored(q: Question, option_order: Sequence[int], posted: dict) -> dict | None:
    """A posted answer (display positions) as stored (original option indices); None clears."""
    if not isinstance(posted, dict):
        raise BadAnswer("answer")
    order = list(option_order) or list(range(len(q.choices)))
    if q.type in (QType.SINGLE, QType.MULTI):
        raw = posted.get("choices", [])
        if not isinstance(raw, list):
            raw = [raw]
        try:
            shown = sorted({int(x) for x in raw if str(x) != ""})
        except (TypeError, ValueError, OverflowError):  # 1e999 parses as inf
            raise BadAnswer("choices") from None
        if any(not 0 <= d < len(order) for d in shown) or (
            q.type == QType.SINGLE and len(shown) > 1
        ):
            raise BadAnswer("choices")
        return {"choices": sorted(order[d] for d in shown)} if shown else None
    if q.type == QType.TRUEFALSE:
        value = posted.get("value")
        if value in (None, ""):
            return None
        if value not in ("true", "false", True, False):
            raise BadAnswer("value")
        return {"value": value in ("true", True)}
    if q.type == QType.MATCHING:
        pairs = posted.get("pairs") or {}
        if not isinstance(pairs, dict):
            raise BadAnswer("pairs")
        allowed = {p.right for p in q.pairs} | set(q.distractors)
        clean = {}
        for k, v in pairs.items():
            if v and not isinstance(v, str):
                raise BadAnswer("pairs")
            if (
                not (k.isascii() and k.isdigit())
                or int(k) >= len(q.pairs)
                or (v and v not in allowed)
            ):
                raise BadAnswer("pairs")
            if v:
                clean[str(int(k))] = v
        return {"pairs": clean} if clean else None
    if q.type in (QType.SHORT, QType.NUMERIC, QType.ESSAY):
        text = str(posted.get("text") or "").replace("\x00", "")  # PostgreSQL refuses NUL
        limit = MAX_TEXT * 20 if q.type == QType.ESSAY else MAX_TEXT
        if len(text) > limit:
            raise BadAnswer("text")
        return {"text": text} if text.strip() else None
    return None


def to_display(q: Question, option_order: Sequence[int], stored: dict | None) -> dict:
    """A stored answer in display terms, to pre-fill the page."""
    if not stored:
        return {}
    if q.type in (QType.SINGLE, QType.MULTI):
        order = list(option_order) or list(range(len(q.choices)))
        back = {orig: d for d, orig in enumerate(order)}
        return {"choices": [back[i] for i in stored.get("choices", []) if i in back]}
    return dict(stored)
