"""The programme file format (question_banks/programmes/README.md): read YAML into frozen
dataclasses, with every problem named by line (pure)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

import yaml

from quizapp.i18n import N_
from quizapp.orgs.population import Population

FORMAT_ID = "quizapp-programme/1"
KEY = re.compile(r"^[a-z0-9-]{1,80}$")
LINE = "__line__"


@dataclass(frozen=True)
class Problem:
    line: int
    message: str  # English msgid with %(name)s placeholders
    params: dict = field(default_factory=dict)


@dataclass(frozen=True)
class CheckSpec:
    bank: str
    categories: tuple[str, ...]
    questions: int
    pass_mark: int = 80
    time_limit_s: int = 600
    max_attempts: int | None = None
    retry_wait_s: int = 0


@dataclass(frozen=True)
class LessonSpec:
    key: str
    title: str
    content: str
    check: CheckSpec
    reading_minutes: int = 10
    required: bool = True
    sources: tuple[dict, ...] = ()
    line: int = 0


@dataclass(frozen=True)
class ProgrammeSpec:
    key: str
    title: str
    lessons: tuple[LessonSpec, ...]
    description: str = ""
    populations: tuple[str, ...] = ()
    admitted_in_period: bool = False
    self_enrol: bool = False
    sequential: bool = True
    required_count: int | None = None
    renewal_months: int | None = None
    documents: dict = field(default_factory=dict)


class _LineLoader(yaml.SafeLoader):
    """A safe loader that keeps each mapping's line number under LINE."""

    def construct_mapping(self, node, deep=False):
        mapping = super().construct_mapping(node, deep=deep)
        mapping[LINE] = node.start_mark.line + 1
        return mapping


class _Reader:
    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def add(self, line: int, message: str, **params) -> None:
        self.problems.append(Problem(line, message, params))

    def text(self, m: dict, name: str, *, required: bool = True, default: str = "") -> str:
        value = m.get(name)
        if value is None:
            if required:
                self.add(m.get(LINE, 0), N_("Missing field %(field)s."), field=name)
            return default
        if not isinstance(value, str) or (required and not value.strip()):
            self.add(m.get(LINE, 0), N_("Field %(field)s must be text."), field=name)
            return default
        return value.strip() if name != "content" else value

    def integer(
        self, m: dict, name: str, default: int | None, low: int, high: int, *, nullable=False
    ) -> int | None:
        value = m.get(name, default)
        if value is None and nullable:
            return None
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            self.add(
                m.get(LINE, 0),
                N_("Field %(field)s must be a whole number from %(low)s to %(high)s."),
                field=name,
                low=low,
                high=high,
            )
            return default
        return value

    def flag(self, m: dict, name: str, default: bool) -> bool:
        value = m.get(name, default)
        if not isinstance(value, bool):
            self.add(m.get(LINE, 0), N_("Field %(field)s must be true or false."), field=name)
            return default
        return value

    def keys(self, m: dict, allowed: tuple[str, ...]) -> None:
        for k in m:
            if k != LINE and k not in allowed:
                self.add(m.get(LINE, 0), N_("Unknown field %(field)s."), field=str(k))


def _check(r: _Reader, m: object, line: int) -> CheckSpec | None:
    if not isinstance(m, dict):
        r.add(line, N_("Each lesson needs a check (bank, categories, questions)."))
        return None
    r.keys(
        m,
        (
            "bank",
            "categories",
            "questions",
            "pass_mark",
            "time_limit_minutes",
            "max_attempts",
            "retry_wait_minutes",
        ),
    )
    bank = r.text(m, "bank")
    cats = m.get("categories") or []
    if not isinstance(cats, list) or not all(isinstance(c, str) and c for c in cats):
        r.add(m[LINE], N_("Field %(field)s must be a list of category keys."), field="categories")
        cats = []
    return CheckSpec(
        bank=bank,
        categories=tuple(cats),
        questions=r.integer(m, "questions", 5, 1, 100),
        pass_mark=r.integer(m, "pass_mark", 80, 0, 100),
        time_limit_s=60 * r.integer(m, "time_limit_minutes", 10, 1, 240),
        max_attempts=r.integer(m, "max_attempts", None, 1, 100, nullable=True),
        retry_wait_s=60 * r.integer(m, "retry_wait_minutes", 0, 0, 7 * 24 * 60),
    )


def _lesson(r: _Reader, m: object, keys: set[str]) -> LessonSpec | None:
    if not isinstance(m, dict):
        r.add(0, N_("Each lesson must be a mapping."))
        return None
    line = m[LINE]
    r.keys(m, ("key", "title", "reading_minutes", "required", "content", "sources", "check"))
    key = r.text(m, "key")
    if key and not KEY.match(key):
        r.add(line, N_("Key %(key)s may hold only a-z, 0-9 and hyphens."), key=key)
    elif key in keys:
        r.add(line, N_("Lesson key %(key)s is used twice."), key=key)
    keys.add(key)
    sources = m.get("sources") or []
    if not isinstance(sources, list) or not all(isinstance(s, dict) for s in sources):
        r.add(line, N_("Field %(field)s must be a list of mappings."), field="sources")
        sources = []
    check = _check(r, m.get("check"), line)
    if check is None:
        return None
    return LessonSpec(
        key=key,
        title=r.text(m, "title"),
        content=r.text(m, "content", required=False),
        check=check,
        reading_minutes=r.integer(m, "reading_minutes", 10, 1, 600),
        required=r.flag(m, "required", True),
        sources=tuple({k: v for k, v in s.items() if k != LINE} for s in sources),
        line=line,
    )


def load_programme(text: str) -> tuple[ProgrammeSpec | None, list[Problem]]:
    """Parse a programme file; the spec is None when there is any problem."""
    r = _Reader()
    try:
        data = yaml.load(text, Loader=_LineLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark else 0
        return None, [Problem(line, N_("Not valid YAML: %(detail)s"), {"detail": str(exc)})]
    if not isinstance(data, dict) or data.get("format") != FORMAT_ID:
        return None, [Problem(1, N_("The first line must be: format: %(f)s"), {"f": FORMAT_ID})]
    r.keys(data, ("format", "programme", "documents", "lessons"))
    p = data.get("programme")
    if not isinstance(p, dict):
        return None, [Problem(1, N_("Missing field %(field)s."), {"field": "programme"})]
    r.keys(
        p,
        (
            "key",
            "title",
            "description",
            "audience",
            "self_enrol",
            "sequential",
            "required",
            "renewal_months",
        ),
    )
    key = r.text(p, "key")
    if key and not KEY.match(key):
        r.add(p[LINE], N_("Key %(key)s may hold only a-z, 0-9 and hyphens."), key=key)
    audience = p.get("audience") or {LINE: p[LINE]}
    if not isinstance(audience, dict):
        r.add(p[LINE], N_("Field %(field)s must be a mapping."), field="audience")
        audience = {LINE: p[LINE]}
    r.keys(audience, ("populations", "admitted_in_period"))
    populations = audience.get("populations") or []
    known = {str(x) for x in Population}
    if not isinstance(populations, list) or any(x not in known for x in populations):
        r.add(
            audience[LINE],
            N_("Unknown population category; use: %(known)s."),
            known=", ".join(sorted(known)),
        )
        populations = []
    required = p.get("required", "all")
    if required == "all":
        required_count = None
    elif isinstance(required, int) and not isinstance(required, bool) and required >= 1:
        required_count = required
    else:
        r.add(p[LINE], N_('Field %(field)s must be "all" or a whole number.'), field="required")
        required_count = None
    lessons_raw = data.get("lessons")
    if not isinstance(lessons_raw, list) or not lessons_raw:
        r.add(1, N_("A programme needs at least one lesson."))
        lessons_raw = []
    seen: set[str] = set()
    lessons = [x for x in (_lesson(r, m, seen) for m in lessons_raw) if x is not None]
    if required_count and required_count > sum(1 for x in lessons if x.required):
        r.add(p[LINE], N_("More lessons are required than the programme has."))
    documents = data.get("documents") or {}
    if not isinstance(documents, dict):
        r.add(1, N_("Field %(field)s must be a mapping."), field="documents")
        documents = {}
    for lesson in lessons:
        for s in lesson.sources:
            if s.get("document") not in documents:
                r.add(
                    lesson.line,
                    N_("Lesson %(key)s cites unknown document %(doc)s."),
                    key=lesson.key,
                    doc=str(s.get("document")),
                )
    spec = ProgrammeSpec(
        key=key,
        title=r.text(p, "title"),
        description=r.text(p, "description", required=False),
        populations=tuple(populations),
        admitted_in_period=r.flag(audience, "admitted_in_period", False),
        self_enrol=r.flag(p, "self_enrol", False),
        sequential=r.flag(p, "sequential", True),
        required_count=required_count,
        renewal_months=r.integer(p, "renewal_months", None, 1, 120, nullable=True),
        documents={
            k: {f: v for f, v in d.items() if f != LINE}
            for k, d in documents.items()
            if isinstance(d, dict)
        },
        lessons=tuple(lessons),
    )
    return (None if r.problems else spec), r.problems


def stale_sources(spec: ProgrammeSpec, today: date) -> tuple[list[Problem], list[Problem]]:
    """(refusals, warnings) about lessons citing out-of-date documents.

    A document whose `superseded_on` has come is replaced: a lesson citing it teaches
    yesterday's rule, so loading it is refused. A document whose `valid_until` has passed may
    still be current, but nobody has confirmed it (a Charter a congress may have replaced):
    loading goes on with a warning naming the lesson."""
    refusals: list[Problem] = []
    warnings: list[Problem] = []
    for lesson in spec.lessons:
        for source in lesson.sources:
            doc = spec.documents.get(source.get("document")) or {}
            ended = doc.get("superseded_on")
            until = doc.get("valid_until")
            params = {"key": lesson.key, "doc": source["document"]}
            if isinstance(ended, date) and ended <= today:
                refusals.append(
                    Problem(
                        lesson.line,
                        N_(
                            "Lesson %(key)s cites %(doc)s, superseded on %(day)s: rewrite the "
                            "lesson on the text in force."
                        ),
                        params | {"day": ended.isoformat()},
                    )
                )
            elif isinstance(until, date) and until < today:
                warnings.append(
                    Problem(
                        lesson.line,
                        N_(
                            "Lesson %(key)s cites %(doc)s, confirmed current only until "
                            "%(day)s: check it against the official text and update "
                            "valid_until or superseded_on."
                        ),
                        params | {"day": until.isoformat()},
                    )
                )
    return refusals, warnings
