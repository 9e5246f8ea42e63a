"""Choosing the parser for an uploaded bank file (pure)."""

from __future__ import annotations

from quizapp.banks.core import ParsedBank, Problem
from quizapp.banks.parsers.aiken import parse_aiken
from quizapp.banks.parsers.gift import parse_gift
from quizapp.banks.parsers.native import load_native
from quizapp.banks.parsers.xlsx import parse_xlsx
from quizapp.i18n import N_
from quizapp.spreadsheets import XlsxLimits


def detect_format(filename: str, content: bytes) -> str:
    name = filename.lower()
    if name.endswith(".xlsx") or content[:2] == b"PK":
        return "xlsx"
    if name.endswith((".yaml", ".yml")):
        return "yaml"
    text = content[:4000].decode("utf-8", "ignore")
    # Aiken files have "ANSWER:" lines and no GIFT braces.
    if "ANSWER:" in text and "{" not in text:
        return "aiken"
    return "gift"


def parse_upload(
    filename: str, content: bytes, fmt: str = "auto", limits: XlsxLimits | None = None
) -> tuple[str, ParsedBank]:
    """Parse an uploaded bank file; undecodable text becomes a problem, not an exception."""
    if fmt == "auto":
        fmt = detect_format(filename, content)
    if fmt == "xlsx":
        return fmt, parse_xlsx(content, limits)
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        return fmt, ParsedBank(
            questions=(), problems=(Problem(N_("The file is not UTF-8 text."), {}, line=1),)
        )
    parser = {"yaml": load_native, "aiken": parse_aiken}.get(fmt, parse_gift)
    return fmt, parser(text)
