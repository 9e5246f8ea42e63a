"""A Question as a JSON-ready dict and back, for storing versions in the database (pure)."""

from __future__ import annotations

from dataclasses import fields, replace
from decimal import Decimal
from typing import Any

from quizapp.banks.core import (
    VERIFICATION_FIELDS,
    Choice,
    Difficulty,
    MatchPair,
    NumericAnswer,
    QType,
    Question,
    Source,
    is_default_format,
)

_NESTED = {"choices": Choice, "numeric": NumericAnswer, "pairs": MatchPair}
_DECIMALS = {"mark", "short_weights"}


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    if isinstance(value, (QType, Difficulty)):
        return value.value
    if isinstance(value, (Choice, NumericAnswer, MatchPair, Source)):
        return {
            f.name: _plain(getattr(value, f.name))
            for f in fields(value)
            if not is_default_format(f.name, getattr(value, f.name))
        }
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    return value


def to_dict(q: Question) -> dict[str, Any]:
    """Everything about the question except where it came from (line), its category and how
    its key was confirmed (stored in the version's own columns)."""
    return {
        f.name: _plain(getattr(q, f.name))
        for f in fields(q)
        if f.name not in ("line", "category", *VERIFICATION_FIELDS)
        and not is_default_format(f.name, getattr(q, f.name))
    }


def _dec(value: Any) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def _nested(cls, data: dict) -> Any:
    kw = {}
    for f in fields(cls):
        if f.name not in data:
            continue
        v = data[f.name]
        if f.name in ("weight", "value", "tolerance", "min", "max"):
            v = _dec(v)
        elif f.name == "see_also":
            v = tuple(v)
        kw[f.name] = v
    return cls(**kw)


def from_dict(data: dict[str, Any], *, category: str | None = None) -> Question:
    kw: dict[str, Any] = {}
    for f in fields(Question):
        if f.name not in data:
            continue
        v = data[f.name]
        if f.name == "type":
            v = QType(v)
        elif f.name == "difficulty":
            v = Difficulty(v)
        elif f.name in _NESTED:
            v = tuple(_nested(_NESTED[f.name], x) for x in v)
        elif f.name == "source":
            v = None if v is None else _nested(Source, v)
        elif f.name == "mark":
            v = _dec(v)
        elif f.name == "short_weights":
            v = tuple(_dec(x) for x in v)
        elif isinstance(v, list):
            v = tuple(v)
        kw[f.name] = v
    return Question(category=category, **kw)


def version_hash(q: Question) -> str:
    """Hash of what a participant is served: moving category or re-keying is not a new version."""
    return replace(q, category=None, key=None, line=0).content_hash()
