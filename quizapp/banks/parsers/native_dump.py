"""The native YAML bank format (question_banks/README.md): dump, deterministically."""

from __future__ import annotations

from decimal import Decimal

import yaml
from yaml.nodes import ScalarNode

from quizapp.banks.core import ParsedBank, QType, Question

FORMAT_ID = "quizapp-bank/1"
DOCUMENT_FIELDS = (
    "title",
    "number",
    "issuer",
    "adopted_on",
    "in_force_from",
    "superseded_on",
    "superseded_by",
    "url",
)
SOURCE_FIELDS = ("document", "article", "clause", "page", "quote", "see_also")


class _Dumper(yaml.SafeDumper):
    """Indents lists under their key, as the README's examples do, and never emits aliases."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, False)

    def ignore_aliases(self, data: object) -> bool:
        return True


def _represent_str(dumper: yaml.SafeDumper, value: str) -> ScalarNode:
    # Multi-line texts as literal blocks, so that a diff shows the changed line.
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


def _represent_decimal(dumper: yaml.SafeDumper, value: Decimal) -> ScalarNode:
    text = format(value.normalize(), "f")
    tag = "tag:yaml.org,2002:float" if "." in text else "tag:yaml.org,2002:int"
    return dumper.represent_scalar(tag, text)


_Dumper.add_representer(str, _represent_str)
_Dumper.add_representer(Decimal, _represent_decimal)


def _put(out: dict, name: str, value: object, default: object = "") -> None:
    if value != default and value is not None:
        out[name] = value


def _question_dict(q: Question) -> dict:
    out: dict[str, object] = {}
    _put(out, "key", q.key)
    _put(out, "category", q.category)
    out["type"] = q.type.value
    _put(out, "title", q.title)
    out["text"] = q.text
    _put(out, "text_format", q.text_format, "plain")
    if q.type in (QType.SINGLE, QType.MULTI):
        options = []
        for c in q.choices:
            item: dict[str, object] = {"text": c.text}
            if q.type is QType.MULTI:
                item["weight"] = c.weight
            elif c.weight == 100:
                item["correct"] = True
            else:
                _put(item, "weight", c.weight, Decimal(0))
            _put(item, "feedback", c.feedback)
            _put(item, "text_format", c.text_format)
            _put(item, "feedback_format", c.feedback_format)
            options.append(item)
        out["options"] = options
    elif q.type is QType.TRUEFALSE:
        out["answer"] = q.answer
        _put(out, "feedback_true", q.feedback_true)
        _put(out, "feedback_false", q.feedback_false)
        _put(out, "feedback_true_format", q.feedback_true_format)
        _put(out, "feedback_false_format", q.feedback_false_format)
    elif q.type is QType.SHORT:
        answers: list[object] = []
        for i, text in enumerate(q.short_answers):
            weight = q.short_weight(i)
            feedback = q.short_feedback[i] if q.short_feedback else ""
            own = q.short_feedback_formats[i] if q.short_feedback_formats else ""
            if weight == 100 and not feedback:
                answers.append(text)
            else:
                item = {"text": text}
                _put(item, "weight", weight, Decimal(100))
                _put(item, "feedback", feedback)
                _put(item, "feedback_format", own)
                answers.append(item)
        out["answers"] = answers
        _put(out, "case_sensitive", q.case_sensitive, False)
        _put(out, "accent_sensitive", q.accent_sensitive, False)
    elif q.type is QType.NUMERIC:
        numeric = []
        for a in q.numeric:
            item = {}
            _put(item, "value", a.value)
            _put(item, "tolerance", a.tolerance, Decimal(0))
            _put(item, "min", a.min)
            _put(item, "max", a.max)
            _put(item, "weight", a.weight, Decimal(100))
            _put(item, "feedback", a.feedback)
            _put(item, "feedback_format", a.feedback_format)
            numeric.append(item)
        out["answers"] = numeric
    elif q.type is QType.MATCHING:
        out["pairs"] = [
            {"left": p.left, "right": p.right}
            | ({"left_format": p.left_format} if p.left_format else {})
            for p in q.pairs
        ]
        _put(out, "distractors", list(q.distractors), [])
    _put(out, "difficulty", q.difficulty.value, "medium")
    _put(out, "explanation", q.explanation)
    _put(out, "explanation_format", q.explanation_format)
    _put(out, "tags", list(q.tags), [])
    _put(out, "mark", q.mark, Decimal(1))
    if q.source is not None:
        source: dict[str, object] = {}
        for name in SOURCE_FIELDS:
            value = getattr(q.source, name)
            _put(
                source,
                name,
                list(value) if name == "see_also" else value,
                [] if name == "see_also" else "",
            )
        out["source"] = source
    out["verified"] = q.verified.value
    _put(out, "verified_note", q.verified_note)
    return out


def dump_native(bank: ParsedBank) -> str:
    """Write a bank in the native layout; deterministic, and load_native reads it back equal."""
    data: dict[str, object] = {"format": FORMAT_ID}
    if bank.meta is not None:
        meta: dict[str, object] = {"key": bank.meta.key, "title": bank.meta.title}
        _put(meta, "description", bank.meta.description)
        _put(meta, "language", bank.meta.language, "vi")
        data["bank"] = meta
    if bank.documents:
        data["documents"] = {
            d.key: {
                name: getattr(d, name) or (None if name not in ("title",) else "")
                for name in DOCUMENT_FIELDS
            }
            for d in bank.documents
        }
    if bank.categories:
        data["categories"] = [
            {"key": c.key, "title": c.title} | ({"parent": c.parent} if c.parent else {})
            for c in bank.categories
        ]
    data["questions"] = [_question_dict(q) for q in bank.questions]
    return yaml.dump(
        data,
        Dumper=_Dumper,
        allow_unicode=True,
        sort_keys=False,
        default_flow_style=False,
        width=100,
        indent=2,
    )
