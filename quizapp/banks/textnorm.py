"""Text normalisation for Vietnamese: accent folding, slugs and duplicate-detection keys."""

import re
import unicodedata

_SPACES = re.compile(r"\s+")
_NOT_SLUG = re.compile(r"[^a-z0-9]+")
# đ/Đ are letters of their own, not d + combining mark, so NFD does not split them.
_LETTERS = str.maketrans({"đ": "d", "Đ": "d", "ð": "d"})


def strip_accents(s: str) -> str:
    """Remove diacritics but keep case: "Đoàn" → "Doan"."""
    decomposed = unicodedata.normalize("NFD", s.replace("Đ", "D").replace("đ", "d"))
    kept = "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn")
    return unicodedata.normalize("NFC", kept)


def fold(s: str) -> str:
    """NFC, lowercase, Vietnamese diacritics removed (đ → d), whitespace collapsed."""
    s = unicodedata.normalize("NFC", s).lower().translate(_LETTERS)
    s = strip_accents(s)
    return _SPACES.sub(" ", s).strip()


def slug(s: str) -> str:
    """ASCII slug of the folded text: "Chương I. Quy định" → "chuong-i-quy-dinh"."""
    return _NOT_SLUG.sub("-", fold(s)).strip("-")


def duplicate_key(question_text: str) -> str:
    """Key under which two question texts count as duplicates: folded, punctuation dropped."""
    folded = fold(question_text)
    kept = "".join(" " if unicodedata.category(ch)[0] in "PS" else ch for ch in folded)
    return _SPACES.sub(" ", kept).strip()
