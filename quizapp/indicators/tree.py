"""Rolling unit counts up the unit tree in memory (5,000 units, not members): each unit's
parent from the materialised paths, numerators and denominators summed up the tree (never
rates averaged), the subtrees of archived units left out."""

from __future__ import annotations

from quizapp.indicators import maths


def parents(paths: dict[int, str]) -> dict[int, int | None]:
    """{unit: parent} from the materialised paths (as `maths.roll_up_paths` reads them)."""
    parents: dict[int, int | None] = {}
    for unit, path in paths.items():
        ids = maths.parse_path(path)
        if ids[-1] != unit:
            raise ValueError(f"path {path!r} does not end with unit {unit}")
        parents[unit] = ids[-2] if len(ids) > 1 else None
    return parents


def roll_up(parents: dict[int, int | None]):
    """`maths.roll_up` for many counts over one tree: numerators and denominators summed up
    the tree (never rates averaged), the children-first order worked out once."""
    depth: dict[int, int] = {}

    def depth_of(start: int) -> int:
        chain, unit = [], start
        while unit is not None and unit not in depth:
            if unit in chain:
                raise ValueError(f"the unit tree has a cycle through {unit!r}")
            chain.append(unit)
            unit = parents[unit]
        base = -1 if unit is None else depth[unit]
        for offset, node in enumerate(reversed(chain), start=1):
            depth[node] = base + offset
        return depth[start]

    order = [u for u in sorted(parents, key=depth_of, reverse=True) if parents[u] is not None]

    def roll_up(counts: dict) -> dict[int, tuple[int, int]]:
        num, den = dict.fromkeys(parents, 0), dict.fromkeys(parents, 0)
        for unit, count in counts.items():
            n, d = (count.numerator, count.denominator) if isinstance(count, maths.Count) else count
            num[unit] += n
            den[unit] += d
        for unit in order:
            parent = parents[unit]
            num[parent] += num[unit]
            den[parent] += den[unit]
        return {unit: (num[unit], den[unit]) for unit in parents}

    return roll_up


def closed(paths: dict[int, str]) -> dict[int, str]:
    """Paths restricted to units whose ancestors are all present (an archived ancestor
    drops its subtree from the tree the roll-up walks)."""
    return {u: p for u, p in paths.items() if all(int(x) in paths for x in p.strip("/").split("/"))}
