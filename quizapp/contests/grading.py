"""Grading one answer against the question version that was served (pure).

A response is a small dict as saved by the quiz page, with option indices already mapped
back to the question's original order:
single/multi {"choices": [i, …]} · truefalse {"value": bool} · short/numeric {"text": str}
· matching {"pairs": {"0": "right text", …}} · essay {"text": str}.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from quizapp.banks.core import QType, Question, mark_in_bounds
from quizapp.banks.textnorm import strip_accents

ZERO, ONE, HUNDRED = Decimal(0), Decimal(1), Decimal(100)


@dataclass(frozen=True)
class Grade:
    fraction: Decimal  # 0..1
    score: Decimal  # fraction × mark
    graded: bool = True  # False for essay/description (no automatic grade)
    answered: bool = True

    @property
    def correct(self) -> bool:
        return self.graded and self.fraction == ONE


def _clamp(value: Decimal) -> Decimal:
    return max(ZERO, min(ONE, value))


def _norm(text: str, *, case: bool, accents: bool) -> str:
    text = unicodedata.normalize("NFC", " ".join(str(text).split()))
    if not accents:
        text = strip_accents(text).replace("đ", "d").replace("Đ", "D")
    return text if case else text.lower()


def _short_matches(given: str, accepted: str, *, case: bool, accents: bool) -> bool:
    g = _norm(given, case=case, accents=accents)
    a = _norm(accepted, case=case, accents=accents)
    if "*" in a:  # Moodle's wildcard: * matches any run of characters
        pattern = ".*".join(re.escape(part) for part in a.split("*"))
        return re.fullmatch(pattern, g, flags=re.DOTALL) is not None
    return g == a


def _number(text: str) -> Decimal | None:
    raw = str(text).strip().replace(" ", "")
    if raw.count(",") == 1 and "." not in raw:  # Vietnamese decimal comma
        raw = raw.replace(",", ".")
    try:
        value = Decimal(raw)
    except InvalidOperation:
        return None
    return value if value.is_finite() else None


def fraction(q: Question, response: dict | None) -> Decimal | None:
    """The credit for `response` in [0, 1]; None when the question has nothing to grade."""
    if not q.graded:
        return None
    r = response or {}
    if q.type == QType.SINGLE:
        chosen = r.get("choices") or []
        if len(chosen) != 1 or not 0 <= int(chosen[0]) < len(q.choices):
            return ZERO
        return _clamp(q.choices[int(chosen[0])].weight / HUNDRED)
    if q.type == QType.MULTI:
        chosen = {int(i) for i in r.get("choices") or [] if 0 <= int(i) < len(q.choices)}
        # Moodle: the sum of the chosen options' fractions, floored at 0 (and capped at 1).
        return _clamp(sum((q.choices[i].weight for i in chosen), ZERO) / HUNDRED)
    if q.type == QType.TRUEFALSE:
        value = r.get("value")
        return ONE if isinstance(value, bool) and value == q.answer else ZERO
    if q.type == QType.SHORT:
        given = str(r.get("text") or "")
        if not given.strip():
            return ZERO
        best = ZERO
        for i, accepted in enumerate(q.short_answers):
            if _short_matches(given, accepted, case=q.case_sensitive, accents=q.accent_sensitive):
                best = max(best, q.short_weight(i) / HUNDRED)
        return _clamp(best)
    if q.type == QType.NUMERIC:
        value = _number(r.get("text") or "")
        if value is None:
            return ZERO
        best = ZERO
        for a in q.numeric:
            if a.is_catch_all:
                hit = True
            elif a.is_range:
                hit = (a.min is None or a.min <= value) and (a.max is None or value <= a.max)
            else:
                hit = abs(value - a.value) <= a.tolerance
            if hit:
                best = max(best, a.weight / HUNDRED)
        return _clamp(best)
    if q.type == QType.MATCHING:
        given = r.get("pairs") or {}
        if not q.pairs:
            return ZERO
        right = sum(1 for i, p in enumerate(q.pairs) if given.get(str(i)) == p.right)
        return Decimal(right) / Decimal(len(q.pairs))
    return ZERO


def is_answered(q: Question, response: dict | None) -> bool:
    r = response or {}
    if q.type in (QType.SINGLE, QType.MULTI):
        return bool(r.get("choices"))
    if q.type == QType.TRUEFALSE:
        return isinstance(r.get("value"), bool)
    if q.type == QType.MATCHING:
        return any(v for v in (r.get("pairs") or {}).values())
    return bool(str(r.get("text") or "").strip())


def grade(q: Question, response: dict | None) -> Grade:
    f = fraction(q, response)
    if f is None or not mark_in_bounds(q.mark):
        # A stored mark out of bounds (data from before validation) leaves the question
        # ungraded rather than failing the whole submission.
        return Grade(ZERO, ZERO, graded=False, answered=is_answered(q, response))
    return Grade(f, (f * q.mark).quantize(Decimal("0.0001")), answered=is_answered(q, response))
