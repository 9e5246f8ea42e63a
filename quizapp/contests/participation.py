"""Participation per unit, rolled up the tree (pure): sums of numerators and denominators,
never averages of percentages."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True)
class UnitNode:
    id: int
    parent_id: int | None
    name: str
    depth: int


@dataclass
class Tally:
    eligible: int = 0  # roster members who may take part
    participants: int = 0  # of them, with a counted submitted attempt
    passed: int = 0
    # how many counted attempts scored each percentage of the maximum: a few dozen distinct
    # values per unit whatever the round's size, so the tree's medians stay cheap and exact
    scores: Counter[float] = field(default_factory=Counter)

    @property
    def rate(self) -> float | None:
        return self.participants / self.eligible if self.eligible else None

    @property
    def pass_rate(self) -> float | None:
        return self.passed / self.participants if self.participants else None

    @property
    def mean(self) -> float | None:
        n = self.scores.total()
        return math.fsum(p * k for p, k in self.scores.items()) / n if n else None

    @property
    def median(self) -> float | None:
        """As statistics.median of the scores listed out: the middle one, or the mean of
        the two middle ones."""
        n = self.scores.total()
        if not n:
            return None
        lo, hi, seen = (n - 1) // 2, n // 2, 0  # 0-based positions of the middle
        low = None
        for p in sorted(self.scores):
            seen += self.scores[p]
            if low is None and seen > lo:
                low = p
            if seen > hi:
                return p if low == p else (low + p) / 2
        raise AssertionError("unreachable: counts sum to n")


def rollup(units: Iterable[UnitNode], direct: Mapping[int, Tally]) -> dict[int, Tally]:
    """Each unit's tally including every unit below it."""
    units = list(units)
    total = {u.id: Tally() for u in units}
    for u in sorted(units, key=lambda u: -u.depth):  # deepest first
        own = direct.get(u.id)
        t = total[u.id]
        if own is not None:
            t.eligible += own.eligible
            t.participants += own.participants
            t.passed += own.passed
            t.scores.update(own.scores)
        if u.parent_id in total:
            p = total[u.parent_id]
            p.eligible += t.eligible
            p.participants += t.participants
            p.passed += t.passed
            p.scores.update(t.scores)
    return total


def collective_ranking(
    units: Iterable[UnitNode],
    totals: Mapping[int, Tally],
    points: Mapping[int, float] | None = None,
    weight: float = 0.0,
) -> list[tuple[UnitNode, float]]:
    """Units by participation rate (as a percentage), optionally plus `weight` × prize
    points; ties keep the units' name order."""
    points = points or {}
    scored = []
    for u in units:
        rate = totals[u.id].rate
        if rate is None:
            continue
        scored.append((u, rate * 100 + weight * points.get(u.id, 0.0)))
    return sorted(scored, key=lambda x: (-x[1], x[0].name))
