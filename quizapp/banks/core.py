"""Question-bank data model shared by the parsers, the validator and the database layer."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Literal

from quizapp.banks.textnorm import slug


class QType(StrEnum):
    SINGLE = "single"
    MULTI = "multi"
    TRUEFALSE = "truefalse"
    SHORT = "short"
    NUMERIC = "numeric"
    MATCHING = "matching"
    DESCRIPTION = "description"
    ESSAY = "essay"


class Difficulty(StrEnum):
    EASY = "easy"
    MEDIUM = "medium"
    HARD = "hard"


TEXT_FORMATS = ("plain", "markdown", "html", "moodle")


# A question's mark: finite, positive and bounded, so that sums over a round stay exact in
# the database's NUMERIC(10, 4) and grading never overflows (1e308 or inf gave a 500).
MAX_MARK = Decimal(1000)


def mark_in_bounds(mark: object) -> bool:
    """Whether `mark` is a usable question mark: a finite Decimal with 0 < mark <= MAX_MARK."""
    return isinstance(mark, Decimal) and mark.is_finite() and Decimal(0) < mark <= MAX_MARK


class Verified(StrEnum):
    """How a question's key was confirmed (question_banks/README.md, "verified")."""

    TEXT = "text"  # checked against the official text; the note quotes the words and where
    SECONDARY = "secondary"  # an official or press source quoting the text, named in the note
    UNVERIFIED = "unverified"  # not confirmed; the note says why


# Fields about how a key was confirmed, not about what a participant is served: they are kept
# out of the content hash (fingerprints of existing questions stay) and stored beside the
# version's content, not inside it.
VERIFICATION_FIELDS = ("verified", "verified_note")


@dataclass(frozen=True)
class Choice:
    text: str
    weight: Decimal  # percent of the mark, -100..100
    feedback: str = ""
    # An item's own text format (GIFT "[html]" on an answer or its feedback); "": the
    # question text's format, the usual case (kept out of the hash and the stored content).
    text_format: str = ""
    feedback_format: str = ""


@dataclass(frozen=True)
class NumericAnswer:
    """One accepted numeric answer: value ± tolerance, or the closed range min..max.

    An answer with neither value nor range is Moodle's "*" catch-all (any other number),
    which only carries feedback and a weight of 0.
    """

    value: Decimal | None = None
    tolerance: Decimal = Decimal(0)
    min: Decimal | None = None
    max: Decimal | None = None
    weight: Decimal = Decimal(100)
    feedback: str = ""
    feedback_format: str = ""  # "": the question text's format

    @property
    def is_range(self) -> bool:
        return self.min is not None or self.max is not None

    @property
    def is_catch_all(self) -> bool:
        return self.value is None and not self.is_range


@dataclass(frozen=True)
class MatchPair:
    left: str
    right: str  # plain text (Moodle: the right side has no format)
    left_format: str = ""  # "": the question text's format


@dataclass(frozen=True)
class Source:
    document: str = ""
    article: str = ""
    clause: str = ""
    page: str = ""
    quote: str = ""
    see_also: tuple[str, ...] = ()


@dataclass(frozen=True)
class Document:
    key: str
    title: str
    number: str = ""
    issuer: str = ""
    adopted_on: date | None = None
    in_force_from: date | None = None
    superseded_on: date | None = None
    superseded_by: str | None = None
    url: str | None = None

    def in_force(self, on: date) -> bool:
        """True when the document has taken effect by `on` and was not yet superseded."""
        if self.in_force_from is None or on < self.in_force_from:
            return False
        return self.superseded_on is None or on < self.superseded_on


@dataclass(frozen=True)
class Category:
    key: str
    title: str
    parent: str | None = None


@dataclass(frozen=True)
class Question:
    type: QType
    text: str
    key: str | None = None
    title: str = ""
    text_format: str = "plain"  # plain | markdown | html | moodle
    choices: tuple[Choice, ...] = ()  # single, multi
    answer: bool | None = None  # truefalse
    feedback_true: str = ""
    feedback_false: str = ""
    short_answers: tuple[str, ...] = ()
    case_sensitive: bool = False
    accent_sensitive: bool = False
    numeric: tuple[NumericAnswer, ...] = ()
    pairs: tuple[MatchPair, ...] = ()
    distractors: tuple[str, ...] = ()
    explanation: str = ""
    difficulty: Difficulty = Difficulty.MEDIUM
    tags: tuple[str, ...] = ()
    mark: Decimal = Decimal(1)
    category: str | None = None  # a Category.key
    source: Source | None = None
    line: int = 0  # 1-based line (row for XLSX) where the question starts
    # Partial credit and feedback of short answers, parallel to short_answers; empty means
    # "every answer is worth 100% and has no feedback" (the common case, kept canonical).
    short_weights: tuple[Decimal, ...] = ()
    short_feedback: tuple[str, ...] = ()
    verified: Verified = Verified.UNVERIFIED
    verified_note: str = ""
    # Own text formats of the general feedback, the true/false feedbacks and each short
    # answer's feedback ("" or (): the question text's format).
    explanation_format: str = ""
    feedback_true_format: str = ""
    feedback_false_format: str = ""
    short_feedback_formats: tuple[str, ...] = ()

    def format_of(self, own: str) -> str:
        """An item's format: its own, or the question text's."""
        return own or self.text_format

    @property
    def graded(self) -> bool:
        return self.type not in (QType.DESCRIPTION, QType.ESSAY)

    def short_weight(self, index: int) -> Decimal:
        return self.short_weights[index] if self.short_weights else Decimal(100)

    def content_hash(self) -> str:
        """Stable sha256 of the content (everything except key, line and verification).

        Used for idempotent imports: the same question written twice hashes the same, and
        Decimals that differ only in notation (1 vs 1.0) hash the same.
        """
        skip = ("key", "line", *VERIFICATION_FIELDS)
        data = {
            f.name: getattr(self, f.name)
            for f in fields(self)
            if f.name not in skip and not is_default_format(f.name, getattr(self, f.name))
        }
        blob = json.dumps(_canonical(data), ensure_ascii=False, sort_keys=True)
        return hashlib.sha256(blob.encode("utf-8")).hexdigest()


# Per-item text formats: left out of hashes and stored content while they are the default
# ("": the question text's), so that questions stored before they existed keep their hash.
ITEM_FORMAT_FIELDS = frozenset(
    {
        "feedback_format",
        "left_format",
        "explanation_format",
        "feedback_true_format",
        "feedback_false_format",
        "short_feedback_formats",
    }
)


def is_default_format(name: str, value: object) -> bool:
    if name == "text_format":  # an item's; the question's own is never ""
        return value == ""
    return name in ITEM_FORMAT_FIELDS and not value


def _canonical(value: object) -> object:
    if isinstance(value, Decimal):
        return "d:" + format(value.normalize(), "f") if value.is_finite() else "d:" + str(value)
    if isinstance(value, StrEnum):
        return value.value
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, (Choice, NumericAnswer, MatchPair, Source)):
        return {
            f.name: _canonical(getattr(value, f.name))
            for f in fields(value)
            if not is_default_format(f.name, getattr(value, f.name))
        }
    if isinstance(value, Mapping):
        return {str(k): _canonical(v) for k, v in value.items()}
    if isinstance(value, (tuple, list)):
        return [_canonical(v) for v in value]
    return value


@dataclass(frozen=True)
class Problem:
    """One finding about an input file; `message` is an English msgid (N_) with %(name)s params."""

    message: str
    params: Mapping[str, object] = field(default_factory=dict, hash=False)
    line: int | None = None
    column: str | None = None
    question: str | None = None
    severity: Literal["error", "warning"] = "error"

    def render(self) -> str:
        """The untranslated message with its params, for logs and test failures."""
        text = self.message % dict(self.params)
        where = f"line {self.line}" if self.line is not None else ""
        if self.column:
            where += f", column {self.column}"
        label = f" [{self.question}]" if self.question else ""
        return f"{self.severity}: {where}{label}: {text}"


@dataclass(frozen=True)
class BankMeta:
    key: str
    title: str
    description: str = ""
    language: str = "vi"


@dataclass(frozen=True)
class ParsedBank:
    questions: tuple[Question, ...]
    categories: tuple[Category, ...] = ()
    documents: tuple[Document, ...] = ()
    meta: BankMeta | None = None
    problems: tuple[Problem, ...] = ()

    @property
    def ok(self) -> bool:
        return not any(p.severity == "error" for p in self.problems)

    @property
    def errors(self) -> tuple[Problem, ...]:
        return tuple(p for p in self.problems if p.severity == "error")


def by_line(problems: list[Problem]) -> tuple[Problem, ...]:
    """Problems in file order (those without a line first), for a report read top to bottom."""
    return tuple(sorted(problems, key=lambda p: p.line or 0))


def question_label(q: Question, words: int = 8) -> str:
    """How problems name a question: its title, else key, else its first words."""
    if q.title:
        return q.title
    if q.key:
        return q.key
    return text_label(q.text, words)


def text_label(text: str, words: int = 8) -> str:
    parts = text.split()
    label = " ".join(parts[:words])
    return label + ("…" if len(parts) > words else "")


CATEGORY_SEPARATOR = "--"  # between the slugs of path levels; slug() never emits "--"


def category_key(path: tuple[str, ...]) -> str:
    """Generated, stable key of a category path: slug of each folded level, joined."""
    return CATEGORY_SEPARATOR.join(slug(part) or "x" for part in path)


def categories_for_path(path: tuple[str, ...]) -> list[Category]:
    """Category rows (root first, parents set) for a path such as ("Chương I", "Điều 2")."""
    rows: list[Category] = []
    parent: str | None = None
    for depth in range(len(path)):
        key = category_key(path[: depth + 1])
        rows.append(Category(key=key, title=path[depth], parent=parent))
        parent = key
    return rows


def split_category_path(text: str) -> tuple[str, ...]:
    """Split "a/b/c" into levels; "//" is a literal slash inside a name (Moodle's escape)."""
    marker = "\ue000"
    parts = text.replace("//", marker).split("/")
    return tuple(p.replace(marker, "/").strip() for p in parts if p.strip())


def join_category_path(path: tuple[str, ...]) -> str:
    return "/".join(p.replace("/", "//") for p in path)


def category_path(key: str, categories: Mapping[str, Category]) -> tuple[str, ...]:
    """Titles from the root down to `key`; stops on a missing parent or a cycle."""
    titles: list[str] = []
    seen: set[str] = set()
    current: str | None = key
    while current is not None and current in categories and current not in seen:
        seen.add(current)
        titles.append(categories[current].title)
        current = categories[current].parent
    return tuple(reversed(titles))


def merge_categories(existing: list[Category], new: list[Category]) -> None:
    """Append the rows of `new` whose key is not there yet (keeps first-seen order)."""
    keys = {c.key for c in existing}
    for cat in new:
        if cat.key not in keys:
            existing.append(cat)
            keys.add(cat.key)
