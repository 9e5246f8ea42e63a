"""Participation per unit, rolled up the tree (pure): sums of numerators and denominators,
never averages of percentages."""

from __future__ import annotations

import statistics
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
    scores: list[float] = field(default_factory=list)  # percent of the maximum

    @property
    def rate(self) -> float | None:
        return self.participants / self.eligible if self.eligible else None

    @property
    def pass_rate(self) -> float | None:
        return self.passed / self.participants if self.participants else None

    @property
    def mean(self) -> float | None:
        return statistics.fmean(self.scores) if self.scores else None

    @property
    def median(self) -> float | None:
        return statistics.median(self.scores) if self.scores else None


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
            t.scores.extend(own.scores)
        if u.parent_id in total:
            p = total[u.parent_id]
            p.eligible += t.eligible
            p.participants += t.participants
            p.passed += t.passed
            p.scores.extend(t.scores)
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
