"""Units in tree order (pure): depth first, each unit followed by its own subtree, siblings
by name ignoring case and diacritics.

The materialised path ("/1/7/42/") is not a sort key for this: its segments are ids, so
siblings come in id order as text ("/1/10/" before "/1/7/"), and under a locale collation
(PostgreSQL's vi_VN or en_US) the slashes are ignored, so "/1/10/" sorts between "/1/1/5/"
and "/1/1/6/" and a subtree is cut in two. Tables of units are sorted here instead."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol, TypeVar

from quizapp.textutil import fold


class _Node(Protocol):
    id: int
    parent_id: int | None
    name: str


N = TypeVar("N", bound=_Node)


def tree_order(items: Iterable[N]) -> list[N]:
    """`items` depth first; an item whose parent is not among them starts a subtree."""
    items = list(items)
    ids = {i.id for i in items}
    children: dict[int | None, list[N]] = {}
    for item in items:
        parent = item.parent_id if item.parent_id in ids else None
        children.setdefault(parent, []).append(item)
    for kids in children.values():
        kids.sort(key=lambda i: (fold(i.name), i.name, i.id))
    out: list[N] = []
    seen: set[int] = set()
    # The roots first; then, should bad data hold a cycle, its units (never lost, never looped).
    for start in [*children.get(None, []), *sorted(items, key=lambda i: i.id)]:
        stack = [start]
        while stack:
            item = stack.pop()
            if item.id in seen:
                continue
            seen.add(item.id)
            out.append(item)
            stack.extend(reversed(children.get(item.id, [])))
    return out
