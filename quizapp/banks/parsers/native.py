"""The native YAML bank format (question_banks/README.md): load with line numbers."""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from quizapp.banks.core import (
    TEXT_FORMATS,
    BankMeta,
    Category,
    Choice,
    Difficulty,
    Document,
    MatchPair,
    NumericAnswer,
    ParsedBank,
    Problem,
    QType,
    Question,
    Source,
    Verified,
    by_line,
)
from quizapp.banks.parsers.native_dump import (  # noqa: F401 - dump_native re-exported here
    DOCUMENT_FIELDS,
    FORMAT_ID,
    SOURCE_FIELDS,
    dump_native,
)
from quizapp.banks.validate import check_question, find_duplicates
from quizapp.i18n import N_

KEY_PATTERN = re.compile(r"^[a-z0-9-]+$")
NULL_TAG = "tag:yaml.org,2002:null"
TYPE_FIELDS = {
    QType.SINGLE: ("options",),
    QType.MULTI: ("options",),
    QType.TRUEFALSE: (
        "answer",
        "feedback_true",
        "feedback_false",
        "feedback_true_format",
        "feedback_false_format",
    ),
    QType.SHORT: ("answers", "case_sensitive", "accent_sensitive"),
    QType.NUMERIC: ("answers",),
    QType.MATCHING: ("pairs", "distractors"),
    QType.DESCRIPTION: (),
    QType.ESSAY: (),
}
COMMON_FIELDS = (
    "key",
    "category",
    "type",
    "title",
    "text",
    "text_format",
    "difficulty",
    "explanation",
    "explanation_format",
    "tags",
    "mark",
    "source",
    "verified",
    "verified_note",
)


def _line(node: Node) -> int:
    return node.start_mark.line + 1


class _Reader:
    """Turns composed YAML nodes into values, recording a problem (with line) per defect."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []
        self.question: str | None = None  # label of the question being read, for problems
        self._constructor = yaml.SafeLoader("")  # only its scalar constructors are used

    def add(self, message: str, node: Node | None, severity: str = "error", **params: object):
        self.problems.append(
            Problem(
                message=message,
                params=params,
                line=_line(node) if node is not None else None,
                question=self.question,
                severity=severity,  # type: ignore[arg-type]
            )
        )

    def mapping(
        self, node: Node, what: str, allowed: tuple[str, ...] | None = None
    ) -> dict[str, Node]:
        if not isinstance(node, MappingNode):
            self.add(N_("%(what)s must be a mapping (key: value)."), node, what=what)
            return {}
        out: dict[str, Node] = {}
        for key_node, value_node in node.value:
            key = str(key_node.value)
            if key in out:
                self.add(N_('The field "%(field)s" is given twice.'), key_node, field=key)
            elif allowed is not None and key not in allowed:
                self.add(
                    N_('Unknown field "%(field)s" in %(what)s.'),
                    key_node,
                    "warning",
                    field=key,
                    what=what,
                )
            out[key] = value_node
        return out

    def sequence(self, node: Node | None, what: str) -> list[Node]:
        if node is None or _is_null(node):
            return []
        if not isinstance(node, SequenceNode):
            self.add(N_("%(what)s must be a list."), node, what=what)
            return []
        return list(node.value)

    def value(self, node: Node) -> object:
        return self._constructor.construct_object(node, deep=True)

    def text(
        self, fields: dict[str, Node], name: str, required: bool = False, parent: Node | None = None
    ) -> str:
        node = fields.get(name)
        if node is None or _is_null(node):
            if required:
                self.add(N_('The field "%(field)s" is required.'), parent, field=name)
            return ""
        if not isinstance(node, ScalarNode):
            self.add(N_('The field "%(field)s" must be text.'), node, field=name)
            return ""
        # The source text, so "1.0" or "yes" stay as written; trimmed, so that "|" and "|-"
        # blocks (trailing newline or not) load, hash and render the same.
        return str(node.value).strip()

    def optional_text(self, fields: dict[str, Node], name: str) -> str | None:
        return self.text(fields, name) or None

    def boolean(self, fields: dict[str, Node], name: str, default: bool | None) -> bool | None:
        node = fields.get(name)
        if node is None:
            return default
        value = self.value(node) if isinstance(node, ScalarNode) else None
        if not isinstance(value, bool):
            self.add(N_('The field "%(field)s" must be true or false.'), node, field=name)
            return default
        return value

    def decimal(
        self, fields: dict[str, Node], name: str, default: Decimal | None
    ) -> Decimal | None:
        node = fields.get(name)
        if node is None or _is_null(node):
            return default
        try:
            if not isinstance(node, ScalarNode):
                raise InvalidOperation
            number = Decimal(str(node.value).replace("_", ""))
            if not number.is_finite():
                raise InvalidOperation
            return number
        except InvalidOperation:
            self.add(
                N_('The field "%(field)s" must be a number, not "%(value)s".'),
                node,
                field=name,
                value=getattr(node, "value", ""),
            )
            return default

    def day(self, fields: dict[str, Node], name: str) -> date | None:
        node = fields.get(name)
        if node is None or _is_null(node):
            return None
        value = self.value(node) if isinstance(node, ScalarNode) else None
        if isinstance(value, datetime):
            value = value.date()
        if not isinstance(value, date):
            self.add(
                N_('The field "%(field)s" must be a date written YYYY-MM-DD.'), node, field=name
            )
            return None
        return value

    def strings(self, fields: dict[str, Node], name: str) -> tuple[str, ...]:
        out = []
        for item in self.sequence(fields.get(name), name):
            if isinstance(item, ScalarNode) and not _is_null(item):
                out.append(str(item.value).strip())
            else:
                self.add(N_('Each item of "%(field)s" must be text.'), item, field=name)
        return tuple(out)


def _is_null(node: Node) -> bool:
    return isinstance(node, ScalarNode) and node.tag == NULL_TAG


def _read_documents(r: _Reader, node: Node | None) -> list[Document]:
    if node is None or _is_null(node):
        return []
    docs = []
    for key, doc_node in r.mapping(node, "documents").items():
        fields = r.mapping(doc_node, "a document", DOCUMENT_FIELDS)
        doc = Document(
            key=key,
            title=r.text(fields, "title", True, doc_node),
            number=r.text(fields, "number"),
            issuer=r.text(fields, "issuer"),
            adopted_on=r.day(fields, "adopted_on"),
            in_force_from=r.day(fields, "in_force_from"),
            superseded_on=r.day(fields, "superseded_on"),
            superseded_by=r.optional_text(fields, "superseded_by"),
            url=r.optional_text(fields, "url"),
        )
        if "in_force_from" not in fields or _is_null(fields["in_force_from"]):
            r.add(
                N_("Document %(document)s needs in_force_from (the date it takes effect)."),
                doc_node,
                document=key,
            )
        docs.append(doc)
    return docs


def _read_categories(r: _Reader, node: Node | None) -> list[Category]:
    cats: list[Category] = []
    seen: set[str] = set()
    for item in r.sequence(node, "categories"):
        fields = r.mapping(item, "a category", ("key", "title", "parent"))
        cat = Category(
            key=r.text(fields, "key", True, item),
            title=r.text(fields, "title", True, item),
            parent=r.optional_text(fields, "parent"),
        )
        if cat.key in seen:
            r.add(N_("The category key %(key)s is used twice."), item, key=cat.key)
        seen.add(cat.key)
        cats.append(cat)
    keys = {c.key for c in cats}
    for cat, item in zip(cats, r.sequence(node, "categories"), strict=True):
        if cat.parent is not None and cat.parent not in keys:
            r.add(N_("Unknown parent category %(key)s."), item, key=cat.parent)
    return cats


def _own_format(r: _Reader, fields: dict[str, Node], name: str) -> str:
    """An item's own text format ("": the question text's), as GIFT's "[html]" on it."""
    value = r.text(fields, name)
    if value and value not in TEXT_FORMATS:
        r.add(N_('Unknown text format "%(format)s".'), fields[name], format=value)
        return ""
    return value


def _read_options(r: _Reader, nodes: list[Node], qtype: QType) -> tuple[Choice, ...]:
    choices = []
    for item in nodes:
        f = r.mapping(
            item,
            "an option",
            ("text", "correct", "weight", "feedback", "text_format", "feedback_format"),
        )
        if qtype is QType.SINGLE:
            correct = r.boolean(f, "correct", False)
            weight = Decimal(100) if correct else r.decimal(f, "weight", Decimal(0))
        else:
            if "weight" not in f:
                r.add(N_("Each option of a multi question needs a weight."), item)
            weight = r.decimal(f, "weight", Decimal(0))
        choices.append(
            Choice(
                text=r.text(f, "text", True, item),
                weight=weight or Decimal(0),
                feedback=r.text(f, "feedback"),
                text_format=_own_format(r, f, "text_format"),
                feedback_format=_own_format(r, f, "feedback_format"),
            )
        )
    return tuple(choices)


def _read_short(r: _Reader, nodes: list[Node]) -> dict[str, tuple]:
    answers, weights, feedback, formats = [], [], [], []
    for item in nodes:
        if isinstance(item, ScalarNode):
            answers.append(str(item.value).strip())
            weights.append(Decimal(100))
            feedback.append("")
            formats.append("")
            continue
        f = r.mapping(item, "an answer", ("text", "weight", "feedback", "feedback_format"))
        answers.append(r.text(f, "text", True, item))
        weights.append(r.decimal(f, "weight", Decimal(100)) or Decimal(0))
        feedback.append(r.text(f, "feedback"))
        formats.append(_own_format(r, f, "feedback_format"))
    return {
        "short_answers": tuple(answers),
        "short_weights": () if all(w == 100 for w in weights) else tuple(weights),
        "short_feedback": tuple(feedback) if any(feedback) else (),
        "short_feedback_formats": tuple(formats) if any(formats) else (),
    }


def _read_numeric(r: _Reader, nodes: list[Node]) -> tuple[NumericAnswer, ...]:
    out = []
    for item in nodes:
        f = r.mapping(
            item,
            "a numeric answer",
            ("value", "tolerance", "min", "max", "weight", "feedback", "feedback_format"),
        )
        out.append(
            NumericAnswer(
                value=r.decimal(f, "value", None),
                tolerance=r.decimal(f, "tolerance", Decimal(0)) or Decimal(0),
                min=r.decimal(f, "min", None),
                max=r.decimal(f, "max", None),
                weight=r.decimal(f, "weight", Decimal(100)) or Decimal(0),
                feedback=r.text(f, "feedback"),
                feedback_format=_own_format(r, f, "feedback_format"),
            )
        )
    return tuple(out)


def _read_pairs(r: _Reader, nodes: list[Node]) -> tuple[MatchPair, ...]:
    pairs = []
    for item in nodes:
        f = r.mapping(item, "a pair", ("left", "right", "left_format"))
        pairs.append(
            MatchPair(
                left=r.text(f, "left", True, item),
                right=r.text(f, "right", True, item),
                left_format=_own_format(r, f, "left_format"),
            )
        )
    return tuple(pairs)


def _read_source(r: _Reader, node: Node) -> Source:
    f = r.mapping(node, "source", SOURCE_FIELDS)
    return Source(
        document=r.text(f, "document"),
        article=r.text(f, "article"),
        clause=r.text(f, "clause"),
        page=r.text(f, "page"),
        quote=r.text(f, "quote"),
        see_also=r.strings(f, "see_also"),
    )


def _read_question(r: _Reader, node: Node) -> Question | None:
    if not isinstance(node, MappingNode):
        r.add(N_("%(what)s must be a mapping (key: value)."), node, what="a question")
        return None
    raw = {str(k.value): v for k, v in node.value}
    r.question = str(raw["key"].value) if isinstance(raw.get("key"), ScalarNode) else None
    type_text = r.text(raw, "type", True, node)
    try:
        qtype = QType(type_text)
    except ValueError:
        if type_text:
            r.add(N_('Unknown question type "%(type)s".'), raw["type"], type=type_text)
        return None
    f = r.mapping(node, "a question", COMMON_FIELDS + TYPE_FIELDS[qtype])
    key = r.text(f, "key", True, node)
    if key and not KEY_PATTERN.match(key):
        r.add(N_('The key "%(key)s" may hold only a-z, 0-9 and "-".'), f["key"], key=key)
    text_format = r.text(f, "text_format") or "plain"
    if text_format not in TEXT_FORMATS:
        r.add(N_('Unknown text format "%(format)s".'), f["text_format"], format=text_format)
    difficulty = r.text(f, "difficulty") or "medium"
    if difficulty not in tuple(Difficulty):
        r.add(
            N_('Unknown difficulty "%(value)s"; use easy, medium or hard.'),
            f["difficulty"],
            value=difficulty,
        )
        difficulty = "medium"
    verified = r.text(f, "verified") or Verified.UNVERIFIED.value
    if verified not in tuple(Verified):
        r.add(
            N_('Unknown verification "%(value)s"; use text, secondary or unverified.'),
            f["verified"],
            value=verified,
        )
        verified = Verified.UNVERIFIED.value
    verified_note = r.text(f, "verified_note")
    if verified != Verified.UNVERIFIED and not verified_note:
        r.add(
            N_(
                'A question verified "%(value)s" needs a verified_note: the quoted words and '
                "where (text) or the named source (secondary)."
            ),
            f["verified"],
            value=verified,
        )
    extra: dict[str, object] = {}
    if qtype in (QType.SINGLE, QType.MULTI):
        extra["choices"] = _read_options(r, r.sequence(f.get("options"), "options"), qtype)
    elif qtype is QType.TRUEFALSE:
        extra.update(
            answer=r.boolean(f, "answer", None),
            feedback_true=r.text(f, "feedback_true"),
            feedback_false=r.text(f, "feedback_false"),
            feedback_true_format=_own_format(r, f, "feedback_true_format"),
            feedback_false_format=_own_format(r, f, "feedback_false_format"),
        )
    elif qtype is QType.SHORT:
        extra.update(_read_short(r, r.sequence(f.get("answers"), "answers")))
        extra.update(
            case_sensitive=r.boolean(f, "case_sensitive", False),
            accent_sensitive=r.boolean(f, "accent_sensitive", False),
        )
    elif qtype is QType.NUMERIC:
        extra["numeric"] = _read_numeric(r, r.sequence(f.get("answers"), "answers"))
    elif qtype is QType.MATCHING:
        extra.update(
            pairs=_read_pairs(r, r.sequence(f.get("pairs"), "pairs")),
            distractors=r.strings(f, "distractors"),
        )
    return Question(
        type=qtype,
        key=key or None,
        category=r.text(f, "category", True, node) or None,
        title=r.text(f, "title"),
        text=r.text(f, "text", True, node),
        text_format=text_format,
        difficulty=Difficulty(difficulty),
        explanation=r.text(f, "explanation"),
        explanation_format=_own_format(r, f, "explanation_format"),
        tags=r.strings(f, "tags"),
        mark=r.decimal(f, "mark", Decimal(1)) or Decimal(0),
        source=_read_source(r, f["source"])
        if "source" in f and not _is_null(f["source"])
        else None,
        line=_line(node),
        verified=Verified(verified),
        verified_note=verified_note,
        **extra,  # type: ignore[arg-type]
    )


def _check_references(
    r: _Reader, q: Question, node: Node, categories: set[str], documents: set[str]
) -> None:
    fields = {str(k.value): v for k, v in node.value}
    if q.category and q.category not in categories:
        r.add(N_("Unknown category %(key)s."), fields.get("category"), key=q.category)
    if q.source is None or not isinstance(fields["source"], MappingNode):
        return
    source_fields = {str(k.value): v for k, v in fields["source"].value}
    if q.source.document and q.source.document not in documents:
        r.add(N_("Unknown document %(key)s."), source_fields.get("document"), key=q.source.document)
    for other in q.source.see_also:
        if other not in documents:
            r.add(
                N_("Unknown document %(key)s in see_also."),
                source_fields.get("see_also"),
                key=other,
            )


def load_native(text: str) -> ParsedBank:
    """Load a native bank; every problem carries the line of the YAML node it is about."""
    r = _Reader()
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None) or getattr(err, "context_mark", None)
        r.problems.append(
            Problem(
                N_("The file is not valid YAML: %(error)s"),
                {"error": getattr(err, "problem", None) or str(err)},
                line=mark.line + 1 if mark else None,
            )
        )
        return ParsedBank(questions=(), problems=tuple(r.problems))
    if root is None:
        r.problems.append(Problem(N_("The file is empty."), {}, line=1))
        return ParsedBank(questions=(), problems=tuple(r.problems))
    top = r.mapping(root, "the file", ("format", "bank", "documents", "categories", "questions"))
    if r.text(top, "format", True, root) not in ("", FORMAT_ID):
        r.add(
            N_('Unknown format "%(value)s"; expected %(expected)s.'),
            top["format"],
            value=top["format"].value,
            expected=FORMAT_ID,
        )
    meta = None
    if "bank" in top:
        b = r.mapping(top["bank"], "bank", ("key", "title", "description", "language"))
        meta = BankMeta(
            key=r.text(b, "key", True, top["bank"]),
            title=r.text(b, "title", True, top["bank"]),
            description=r.text(b, "description"),
            language=r.text(b, "language") or "vi",
        )
        if meta.key and not KEY_PATTERN.match(meta.key):
            r.add(N_('The key "%(key)s" may hold only a-z, 0-9 and "-".'), b["key"], key=meta.key)
    else:
        r.add(N_('The field "%(field)s" is required.'), root, field="bank")
    documents = _read_documents(r, top.get("documents"))
    categories = _read_categories(r, top.get("categories"))
    questions: list[Question] = []
    first_line: dict[str, int] = {}
    for node in r.sequence(top.get("questions"), "questions"):
        q = _read_question(r, node)
        if q is None:
            continue
        if q.key and q.key in first_line:
            r.add(
                N_("The question key %(key)s is used twice (first at line %(other_line)s)."),
                node,
                key=q.key,
                other_line=first_line[q.key],
            )
        first_line.setdefault(q.key or "", q.line)
        _check_references(r, q, node, {c.key for c in categories}, {d.key for d in documents})
        r.problems.extend(check_question(q))
        r.question = None
        questions.append(q)
    r.problems.extend(find_duplicates(questions))
    return ParsedBank(
        questions=tuple(questions),
        categories=tuple(categories),
        documents=tuple(documents),
        meta=meta,
        problems=by_line(r.problems),
    )
