"""Reading composed YAML nodes into values while recording problems with file and line (pure)."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import TypeVar

from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from quizapp.i18n import N_

E = TypeVar("E", bound=StrEnum)

NULL_TAG = "tag:yaml.org,2002:null"
BOOL_TAG = "tag:yaml.org,2002:bool"
ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
KEY_PATTERN = re.compile(r"^[a-z0-9-]+$")


@dataclass(frozen=True)
class Problem:
    """One defect of a definition file; `message` is an English msgid (N_) with %(name)s params."""

    file: str
    line: int | None
    message: str
    params: Mapping[str, object] = field(default_factory=dict, hash=False)

    def render(self) -> str:
        """The untranslated message with its place, for logs, the CLI and test failures."""
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        return f"{where}: {self.message % dict(self.params)}"


def line_of(node: Node) -> int:
    return node.start_mark.line + 1


def is_null(node: Node | None) -> bool:
    return node is None or (isinstance(node, ScalarNode) and node.tag == NULL_TAG)


class Fields(dict[str, Node]):
    """A mapping's value nodes by field name, remembering each field's key node for its line."""

    def __init__(self) -> None:
        super().__init__()
        self.key_nodes: dict[str, Node] = {}


def key_node(fields: dict[str, Node], name: str, default: Node) -> Node:
    """The node naming field `name` (its line is the field's line), else `default`."""
    return getattr(fields, "key_nodes", {}).get(name, default)


class Reader:
    """Turns nodes into values; each defect becomes a Problem naming the node's line."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.problems: list[Problem] = []

    def add(self, message: str, node: Node | None, **params: object) -> None:
        line = line_of(node) if node is not None else None
        self.problems.append(Problem(self.file, line, message, params))

    def mapping(
        self,
        node: Node,
        what: str,
        allowed: tuple[str, ...],
        required: tuple[str, ...] = (),
    ) -> Fields:
        """The fields of a mapping; duplicates, unknown and missing fields are problems."""
        out = Fields()
        if not isinstance(node, MappingNode):
            self.add(N_("%(what)s must be a mapping (key: value)."), node, what=what)
            return out
        for key_node, value_node in node.value:
            key = str(key_node.value)
            if key in out:
                self.add(N_('The field "%(field)s" is given twice.'), key_node, field=key)
            elif key not in allowed:
                # An error, not a warning: a misspelt field in a definition silently changes
                # what a report counts.
                self.add(
                    N_('Unknown field "%(field)s" in %(what)s.'), key_node, field=key, what=what
                )
            else:
                out[key] = value_node
                out.key_nodes[key] = key_node
        for name in required:
            if name not in out:
                self.add(N_('The field "%(field)s" is required.'), node, field=name)
        return out

    def sequence(self, node: Node | None, what: str, *, non_empty: bool = False) -> list[Node]:
        """The items of a list; an absent one is empty (`mapping` reports it when required)."""
        if node is None:
            return []
        if is_null(node) or (isinstance(node, SequenceNode) and not node.value):
            if non_empty:
                self.add(N_("%(what)s must not be empty."), node, what=what)
            return []
        if not isinstance(node, SequenceNode):
            self.add(N_("%(what)s must be a list."), node, what=what)
            return []
        return list(node.value)

    def text(self, fields: dict[str, Node], name: str) -> str:
        """A scalar's text as written (so "1.10" stays "1.10"), trimmed; "" when absent."""
        node = fields.get(name)
        if is_null(node):
            return ""
        assert node is not None
        if not isinstance(node, ScalarNode):
            self.add(N_('The field "%(field)s" must be text.'), node, field=name)
            return ""
        return str(node.value).strip()

    def required_text(self, fields: dict[str, Node], name: str) -> str:
        """Like `text`, and an empty value is a problem (absence is `mapping`'s to report)."""
        value = self.text(fields, name)
        node = fields.get(name)
        if not value and node is not None and (is_null(node) or isinstance(node, ScalarNode)):
            self.add(N_('The field "%(field)s" is required.'), node, field=name)
        return value

    def key(self, node: Node, name: str) -> str:
        value = self.scalar_text(node, name)
        if value and not KEY_PATTERN.match(value):
            self.add(N_('The key "%(key)s" may hold only a-z, 0-9 and "-".'), node, key=value)
        return value

    def scalar_text(self, node: Node, name: str) -> str:
        if not isinstance(node, ScalarNode) or is_null(node):
            self.add(N_('The field "%(field)s" must be text.'), node, field=name)
            return ""
        return str(node.value).strip()

    def date(self, fields: dict[str, Node], name: str) -> date | None:
        node = fields.get(name)
        if is_null(node):
            return None
        assert node is not None
        text = str(node.value).strip() if isinstance(node, ScalarNode) else ""
        if ISO_DATE.match(text):
            try:
                return date.fromisoformat(text)
            except ValueError:
                pass
        self.add(N_('The field "%(field)s" must be a date written YYYY-MM-DD.'), node, field=name)
        return None

    def number(self, fields: dict[str, Node], name: str) -> float | None:
        node = fields.get(name)
        if is_null(node):
            return None
        assert node is not None
        text = str(node.value).strip() if isinstance(node, ScalarNode) else "…"
        try:
            value = float(text) if isinstance(node, ScalarNode) and node.tag != BOOL_TAG else None
        except ValueError:
            value = None
        if value is None or not math.isfinite(value):
            self.add(
                N_('The field "%(field)s" must be a number, not "%(value)s".'),
                node,
                field=name,
                value=text,
            )
            return None
        return value

    def boolean(self, fields: dict[str, Node], name: str, default: bool) -> bool:
        node = fields.get(name)
        if is_null(node):
            return default
        assert node is not None
        if isinstance(node, ScalarNode) and node.tag == BOOL_TAG:
            return str(node.value).lower() in ("true", "yes", "on")
        self.add(N_('The field "%(field)s" must be true or false.'), node, field=name)
        return default

    def choice(self, fields: dict[str, Node], name: str, enum: type[E]) -> E | None:
        node = fields.get(name)
        if node is None:
            return None
        value = self.text(fields, name)
        try:
            return enum(value)
        except ValueError:
            self.add(
                N_('The field "%(field)s" must be one of %(allowed)s, not "%(value)s".'),
                node,
                field=name,
                allowed=", ".join(e.value for e in enum),
                value=value,
            )
            return None

    def strings(
        self, fields: dict[str, Node], name: str, *, keys: bool = False, non_empty: bool = False
    ) -> tuple[str, ...]:
        """A list of texts (of keys [a-z0-9-] when `keys`); a value listed twice is a problem."""
        out: list[str] = []
        for item in self.sequence(fields.get(name), f'"{name}"', non_empty=non_empty):
            value = self.key(item, name) if keys else self.scalar_text(item, name)
            if not value:
                continue
            if value in out:
                self.add(
                    N_('"%(value)s" is listed twice in "%(field)s".'), item, value=value, field=name
                )
                continue
            out.append(value)
        return tuple(out)
