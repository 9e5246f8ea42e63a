"""Questions that rest on a text no longer in force, found from what they say.

A bank imported from GIFT, Aiken or Excel rarely names its source in a field; its text and
category do ("Theo Luật An ninh mạng 2018, …", category "Luật An ninh mạng 24/2018/QH14").
The texts below were replaced (../shared/plans/README.md, "What changed"): the Cybersecurity
Law 2018 (24/2018/QH14) and the Law on Network Information Security 2015 (86/2015/QH13) by the
Cybersecurity Law 2025 (116/2025/QH15) from 1 July 2026; Decree 13/2023/NĐ-CP on personal
data by Law 91/2025/QH15 and Decree 356/2025/NĐ-CP from 1 January 2026.

A question that also names the replacing text (e.g. "Luật An ninh mạng 2025 thay thế Luật An
ninh mạng 2018 từ ngày nào?") is about the replacement and is not reported.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date

from quizapp.banks.core import ParsedBank, Problem, Question, question_label
from quizapp.i18n import N_


@dataclass(frozen=True)
class Replaced:
    title: str
    replaced_on: date
    replaced_by: str
    names: re.Pattern  # how a question names the old text (folded: NFC, lower case)
    successor: re.Pattern  # how it names the text that replaced it


_LANM_2025 = (
    r"116/2025|an ninh mạng(?: số 116/2025/qh15)? (?:năm )?2025|cybersecurity law (?:of )?2025"
)
REPLACED = (
    Replaced(
        "Luật An ninh mạng 2018 (24/2018/QH14)",
        date(2026, 7, 1),
        "Luật An ninh mạng 2025 (116/2025/QH15)",
        re.compile(
            r"24/2018/qh14|luật an ninh mạng (?:số 24/2018|năm 2018|2018)"
            r"|cybersecurity law (?:of )?2018|2018 cybersecurity law"
        ),
        re.compile(_LANM_2025),
    ),
    Replaced(
        "Luật An toàn thông tin mạng 2015 (86/2015/QH13)",
        date(2026, 7, 1),
        "Luật An ninh mạng 2025 (116/2025/QH15)",
        re.compile(r"86/2015/qh13|luật an toàn thông tin mạng|law on network information security"),
        re.compile(_LANM_2025),
    ),
    Replaced(
        "Nghị định 13/2023/NĐ-CP",
        date(2026, 1, 1),
        "Luật Bảo vệ dữ liệu cá nhân (91/2025/QH15) và Nghị định 356/2025/NĐ-CP",
        re.compile(r"13/2023/nđ-cp|nghị định (?:số )?13/2023|decree (?:no\.? )?13/2023"),
        re.compile(r"91/2025|356/2025|luật bảo vệ dữ liệu cá nhân"),
    ),
)


def _fold(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).lower().split())


def _words(q: Question, names: dict[str, str]) -> str:
    parts = [q.text, q.category or "", names.get(q.category or "", "")]
    parts += [f"{c.text} {c.feedback}" for c in q.choices]
    if q.source is not None:
        parts += [q.source.document, names.get(q.source.document, ""), q.source.quote]
    return _fold(" ".join(p for p in parts if p))


def replaced_texts(q: Question, names: dict[str, str] | None = None) -> list[Replaced]:
    """The replaced texts a question rests on, from its text, answers, category and source
    (`names`: the file's category and document keys with their titles and numbers)."""
    words = _words(q, names or {})
    return [r for r in REPLACED if r.names.search(words) and not r.successor.search(words)]


BY_TITLE = {r.title: r for r in REPLACED}


def mark(texts: list[Replaced]) -> str:
    """What a question version stores (`QuestionVersion.superseded`): the titles."""
    return "; ".join(r.title for r in texts)[:300]


def marked(value: str) -> list[Replaced]:
    """The replaced texts a stored mark names (unknown titles are skipped)."""
    return [BY_TITLE[t] for t in (value or "").split("; ") if t in BY_TITLE]


def replaced_in_file(parsed: ParsedBank) -> list[list[Replaced]]:
    """For each question of the file (in order), the replaced texts it rests on, whatever
    today's date (the mark is stored; pages compare its dates with the day they show)."""
    names = _names(parsed)
    return [replaced_texts(q, names) for q in parsed.questions]


def _names(parsed: ParsedBank) -> dict[str, str]:
    # A category's whole path ("Luật An ninh mạng 24/2018/QH14" is three GIFT categories).
    by_key = {c.key: c for c in parsed.categories}

    def path(key: str | None, depth: int = 0) -> str:
        c = by_key.get(key or "")
        if c is None or depth > 20:
            return ""
        above = path(c.parent, depth + 1)
        return f"{above}/{c.title}" if above else c.title

    names = {key: path(key) for key in by_key}
    names.update({d.key: f"{d.title} {d.number or ''}" for d in parsed.documents})
    return names


def find_superseded(parsed: ParsedBank, today: date) -> list[Problem]:
    """A warning for each question of the file resting on a text replaced by `today`."""
    problems = []
    for q, texts in zip(parsed.questions, replaced_in_file(parsed), strict=True):
        for r in texts:
            if today < r.replaced_on:
                continue
            problems.append(
                Problem(
                    message=N_(
                        "Rests on %(title)s, replaced by %(successor)s on %(day)s: check the"
                        " question against the text in force before using it."
                    ),
                    params={
                        "title": r.title,
                        "successor": r.replaced_by,
                        "day": r.replaced_on.strftime("%d/%m/%Y"),
                    },
                    line=q.line or None,
                    question=question_label(q),
                    severity="warning",
                )
            )
    return problems
