"""Small text helpers shared by every domain (pure)."""

from __future__ import annotations

import re
import unicodedata

_SPACES = re.compile(r"\s+")


def fold(text: str) -> str:
    """Lower-case, strip Vietnamese diacritics (đ → d) and collapse white space."""
    text = unicodedata.normalize("NFD", text or "")
    text = "".join(ch for ch in text if unicodedata.category(ch) != "Mn")
    text = text.replace("đ", "d").replace("Đ", "D")
    return _SPACES.sub(" ", text).strip().lower()


def clean_name(text: str) -> str:
    """NFC and single spaces, as names are stored."""
    return _SPACES.sub(" ", unicodedata.normalize("NFC", text or "")).strip()


_PHONE_JUNK = re.compile(r"[\s.\-()]")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def normalise_phone(raw: str) -> str | None:
    """A Vietnamese mobile/landline number as 0XXXXXXXXX, or None when it is not one."""
    text = _PHONE_JUNK.sub("", str(raw or ""))
    if text.startswith("+84"):
        text = "0" + text[3:]
    elif text.startswith("84") and len(text) == 11:
        text = "0" + text[2:]
    elif len(text) == 9 and text.isdigit():  # spreadsheets drop the leading zero
        text = "0" + text
    return text if re.fullmatch(r"0\d{9}", text) else None


def normalise_email(raw: str) -> str | None:
    text = (raw or "").strip().lower()
    return text if _EMAIL.match(text) else None
