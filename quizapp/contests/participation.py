"""Participation per unit, rolled up the tree (pure): sums of numerators and denominators,
never averages of percentages."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import NamedTuple


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


class Standing(NamedTuple):
    """A unit's place in a collective ranking."""

    rank: int  # competition ranking: "1, 2, 2, 4"
    unit: UnitNode
    value: float  # what is ranked: the rate in % (plus weighted prize points) or the mean %
    tally: Tally  # the unit's roll-up (participants, roster, mean score)
    points: float = 0.0  # prize points won by the unit's members (rate ranking only)
    tie: bool = False  # shares its rank


def collective_standings(
    units: Iterable[UnitNode],
    totals: Mapping[int, Tally],
    *,
    by: str = "rate",
    points: Mapping[int, float] | None = None,
    weight: float = 0.0,
) -> list[Standing]:
    """The collective ranking of `units` (each counted with its whole subtree), as the
    results page states its rules:
    - by participation ("rate"): participants ÷ roster members who may take part, as a
      percentage, plus `weight` × the prize points of the unit's members; ties broken by the
      mean score, then by the number of participants; a unit without roster members is not
      ranked;
    - by mean score ("mean"): the mean of the counted attempts as a percentage of the
      maximum; ties broken by the participation rate, then by the number of participants; a
      unit without participants is not ranked.
    Units equal on every criterion share the rank (listed by name)."""
    points = points or {}
    keyed = []
    for u in units:
        t = totals[u.id]
        mean = t.mean if t.mean is not None else -1.0
        rate = t.rate * 100 if t.rate is not None else -1.0
        if by == "rate":
            if t.rate is None:
                continue
            pts = points.get(u.id, 0.0)
            value = rate + weight * pts
            key = (-value, -mean, -t.participants)
        elif by == "mean":
            if t.mean is None:
                continue
            pts, value = 0.0, t.mean
            key = (-value, -rate, -t.participants)
        else:
            raise ValueError(f"unknown collective ranking {by!r}")
        keyed.append((key, u.name, u.id, u, t, value, pts))
    keyed.sort(key=lambda k: k[:3])
    out: list[Standing] = []
    for i, (key, _name, _id, u, t, value, pts) in enumerate(keyed):
        same_prev = i > 0 and keyed[i - 1][0] == key
        same_next = i + 1 < len(keyed) and keyed[i + 1][0] == key
        rank = out[-1].rank if same_prev else i + 1
        out.append(Standing(rank, u, value, t, pts, same_prev or same_next))
    return out
