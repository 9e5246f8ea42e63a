"""Form helpers shared by every domain."""

from __future__ import annotations

from collections.abc import Iterable

from wtforms.fields.choices import SelectChoice


def to_choices(pairs: Iterable[tuple[object, str]]) -> list[SelectChoice]:
    """(value, label) pairs as WTForms 3.3 choices (tuples are deprecated there)."""
    return [SelectChoice(value, label) for value, label in pairs]


def db_int(value: str) -> int:
    """A whole number from a query string or form that fits the database's integer columns:
    `request.args.get("page", type=db_int)` gives the default for "10²³" as for "abc"."""
    number = int(value)
    if not -(2**31) <= number < 2**31:
        raise ValueError(value)
    return number
