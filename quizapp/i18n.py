"""Translation helpers usable from pure modules (no Flask import)."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from functools import cache
from pathlib import Path

from babel.numbers import format_decimal
from babel.support import Translations

_HUNDREDTH = Decimal("0.01")


def N_(message: str) -> str:
    """Mark a message id for extraction; it is translated where it is shown."""
    return message


class Phrase(str):
    """Text made of msgids and plain parts, used as a parameter of a message (a draw's item:
    "1. whole bank / Hard"): as a str it reads in English (what is stored); `web.t`
    translates the msgid parts where the message is shown."""

    parts: tuple[tuple[str, bool], ...]  # (text, is a msgid)

    def __new__(cls, *parts: tuple[str, bool]) -> Phrase:
        phrase = super().__new__(cls, "".join(text for text, _ in parts))
        phrase.parts = parts
        return phrase

    def translated(self, gettext, locale: object = "en") -> str:
        return "".join(gettext(text) if msgid else text for text, msgid in self.parts)


class Score(str):
    """A score as a parameter of a message: read with the locale's decimal mark where the
    message is shown ("6,17" in Vietnamese, "6.17" in English); as a str, "6.17"."""

    def __new__(cls, value: object) -> Score:
        return super().__new__(cls, format_score(value, "en").replace(",", ""))

    def translated(self, gettext, locale: object = "en") -> str:
        return format_score(Decimal(self), locale)


class Listed(str):
    """Messages joined by "; " as one parameter of a message, each translated in turn."""

    items: tuple

    def __new__(cls, *items: object) -> Listed:
        listed = super().__new__(cls, "; ".join(items))
        listed.items = items
        return listed

    def translated(self, gettext, locale: object = "en") -> str:
        return "; ".join(_param(v, gettext, locale) for v in self.items)


class Message(str):
    """A message id with its parameters, made by a pure module and translated where it is
    shown (`web.t`, the template global `t`): as a str it reads in English (tests, logs);
    `translated(gettext)` gives it in the interface language, `Phrase` parameters too."""

    msgid: str
    params: dict

    def __new__(cls, msgid: str, **params: object) -> Message:
        message = super().__new__(cls, _formatted(msgid, params))
        message.msgid, message.params = msgid, params
        return message

    def translated(self, gettext, locale: object = "en") -> str:
        params = {k: _param(v, gettext, locale) for k, v in self.params.items()}
        return _formatted(gettext(self.msgid), params)


_TRANSLATED = (Phrase, Score, Listed, Message)


def _param(value: object, gettext, locale: object) -> object:
    return value.translated(gettext, locale) if isinstance(value, _TRANSLATED) else value


def to_data(value: object) -> object:
    """A message (or one of its parameters) as JSON data, to be stored and translated when
    it is read back (`from_data`): a published prize list keeps its explanations so."""
    if isinstance(value, Message):
        return {"msgid": value.msgid, "params": {k: to_data(v) for k, v in value.params.items()}}
    if isinstance(value, Phrase):
        return {"phrase": [[text, msgid] for text, msgid in value.parts]}
    if isinstance(value, Score):
        return {"score": str(value)}
    if isinstance(value, Listed):
        return {"listed": [to_data(v) for v in value.items]}
    return value


def from_data(data: object) -> object:
    """The message (or parameter) `to_data` stored."""
    if not isinstance(data, dict):
        return data
    if "msgid" in data:
        msgid, params = data["msgid"], data["params"]
        return Message(msgid, **{k: from_data(v) for k, v in params.items()})
    if "phrase" in data:
        return Phrase(*((text, bool(msgid)) for text, msgid in data["phrase"]))
    if "score" in data:
        return Score(data["score"])
    return Listed(*(from_data(v) for v in data["listed"]))


def _formatted(text: str, params: dict) -> str:
    try:
        return text % params if params else text
    except (KeyError, ValueError, TypeError):
        return text


@cache
def _catalogue(locale: str) -> Translations:
    return Translations.load(str(Path(__file__).parent / "translations"), [locale])


def in_vietnamese(message: Message) -> str:
    """A message in Vietnamese whatever the interface language, for the texts printed in
    Vietnamese."""
    return message.translated(_catalogue("vi").gettext, "vi")


DIFFICULTY_LABELS = {"easy": N_("Easy"), "medium": N_("Medium"), "hard": N_("Hard")}


def format_score(value: object, locale: object = "vi") -> str:
    """A score or mark as a participant reads it, the one format of every page: at most two
    decimals, rounded half up as schools do, with the locale's decimal mark ("6,17" in
    Vietnamese, "6.17" in English; "10", not "10.00"). "" for no score. Exports keep
    numbers, not this text."""
    if value is None:
        return ""
    exact = value if isinstance(value, Decimal) else Decimal(str(value))
    return format_decimal(exact.quantize(_HUNDREDTH, rounding=ROUND_HALF_UP), "#,##0.##", locale)
