"""Item analysis of a round (Moodle's quiz statistics), pure: facility, standard deviation,
discrimination index and discriminative efficiency per question, option frequencies by top
and bottom third, Cronbach's alpha and the standard error of the test; and the flags that
usually reveal a wrong answer key.

Computed on columns (numpy arrays, one entry per question served in a counted attempt) with
grouped sums, so that 100,000 attempts × 30 questions take well under a second; every sum
of squares is taken around the group's mean (two passes), as the textbook formulas are.
`tests/unit/contests/reference_statistics.py` keeps the loop-by-loop version the results
are checked against."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from quizapp.contests.display import mask

DE_THRESHOLD = 15.0  # percent


@dataclass(frozen=True)
class Served:
    """One question as one attempt got it: mark earned, mark available, options chosen."""

    position: int
    version_id: int
    earned: float
    mark: float
    chosen: tuple[int, ...] = ()


@dataclass(frozen=True)
class AttemptItems:
    attempt_id: int
    items: tuple[Served, ...]

    @property
    def total(self) -> float:
        return sum(i.earned for i in self.items)


@dataclass
class ItemStats:
    version_id: int
    n: int
    facility: float | None  # 100 × mean mark / max mark
    sd: float | None  # 100 × standard deviation of mark / max mark
    discrimination: float | None  # 100 × correlation with the rest of the test
    efficiency: float | None  # 100 × covariance / maximum covariance possible
    top: dict[int, int] = field(default_factory=dict)  # option → times chosen, top third
    bottom: dict[int, int] = field(default_factory=dict)
    flags: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class TestStats:
    attempts: int
    mean: float | None
    sd: float | None
    alpha: float | None
    standard_error: float | None


@dataclass(frozen=True)
class Responses:
    """Every question served in the counted attempts, as columns of equal length."""

    attempt: np.ndarray  # attempt index 0..A-1 (not the id)
    position: np.ndarray
    version: np.ndarray  # question version id
    earned: np.ndarray  # float
    mark: np.ndarray  # float: the mark available
    chosen: np.ndarray  # int64 bit mask of the options chosen (bit i = option i)
    attempts: int  # A

    @classmethod
    def from_attempts(cls, attempts: Sequence[AttemptItems]) -> Responses:
        rows = [(i, it) for i, a in enumerate(attempts) for it in a.items]
        return cls(
            attempt=np.fromiter((i for i, _ in rows), np.int64, len(rows)),
            position=np.fromiter((it.position for _, it in rows), np.int64, len(rows)),
            version=np.fromiter((it.version_id for _, it in rows), np.int64, len(rows)),
            earned=np.fromiter((it.earned for _, it in rows), np.float64, len(rows)),
            mark=np.fromiter((it.mark for _, it in rows), np.float64, len(rows)),
            chosen=np.fromiter((mask(it.chosen) for _, it in rows), np.int64, len(rows)),
            attempts=len(attempts),
        )


def analyse(
    attempts: Sequence[AttemptItems], keyed: dict[int, set[int]]
) -> tuple[list[ItemStats], TestStats]:
    """Statistics of every question version served, and of the test.

    `keyed` maps a version to its options carrying credit (for the wrong-key flag).
    """
    return analyse_columns(Responses.from_attempts(attempts), keyed)


def _grouped(groups: np.ndarray, values: np.ndarray, size: int) -> np.ndarray:
    return np.bincount(groups, weights=values, minlength=size)


def analyse_columns(r: Responses, keyed: dict[int, set[int]]) -> tuple[list[ItemStats], TestStats]:
    n_att = r.attempts
    totals = _grouped(r.attempt, r.earned, n_att)
    # Top and bottom third by total score (ties kept in attempt order, a stable sort).
    order = np.argsort(totals, kind="stable")
    third = n_att // 3
    band = np.zeros(n_att, np.int8)  # -1 bottom third, 1 top third
    if third:
        band[order[:third]] = -1
        band[order[n_att - third :]] = 1
    versions, item = np.unique(r.version, return_inverse=True)
    k = len(versions)
    x = r.earned
    rest = totals[r.attempt] - x
    n = np.bincount(item, minlength=k).astype(np.float64)
    mean_x = _grouped(item, x, k) / np.maximum(n, 1)
    mean_r = _grouped(item, rest, k) / np.maximum(n, 1)
    dx, dr = x - mean_x[item], rest - mean_r[item]
    denom = np.maximum(n - 1, 1)
    var_x = _grouped(item, dx * dx, k) / denom
    var_r = _grouped(item, dr * dr, k) / denom
    cov = _grouped(item, dx * dr, k) / denom
    # The largest covariance possible pairs the item's marks and the rests both sorted.
    by_x = np.lexsort((x, item))
    by_r = np.lexsort((rest, item))
    cov_max = _grouped(item[by_x], dx[by_x] * dr[by_r], k) / denom
    top_mark = np.zeros(k)
    np.maximum.at(top_mark, item, r.mark)
    top_mark[top_mark == 0] = 1.0
    counts = _options(item, r.chosen, band[r.attempt], k)
    stats = []
    for j, vid in enumerate(versions.tolist()):
        s = ItemStats(int(vid), int(n[j]), 100 * float(mean_x[j]) / top_mark[j], None, None, None)
        s.top, s.bottom = counts[j]
        if s.n > 1:
            s.sd = 100 * math.sqrt(var_x[j]) / top_mark[j]
            if var_x[j] > 0 and var_r[j] > 0:
                s.discrimination = 100 * float(cov[j]) / math.sqrt(var_x[j] * var_r[j])
                s.efficiency = 100 * float(cov[j] / cov_max[j]) if cov_max[j] > 0 else None
        _flag(s, keyed.get(s.version_id, set()))
        stats.append(s)
    stats.sort(key=lambda s: (-len(s.flags), s.version_id))
    return stats, _test(r, totals)


def _options(item, chosen, band, k) -> list[tuple[dict[int, int], dict[int, int]]]:
    """Per item: how often each option was chosen by the top third and the bottom third."""
    out: list[tuple[dict[int, int], dict[int, int]]] = [({}, {}) for _ in range(k)]
    if not len(chosen) or not chosen.any():
        return out
    for o in range(int(chosen.max()).bit_length()):
        picked = (chosen >> o) & 1 == 1
        for which, side in ((0, 1), (1, -1)):
            c = np.bincount(item[picked & (band == side)], minlength=k)
            for j in np.flatnonzero(c):
                out[j][which][o] = int(c[j])
    return out


def _flag(s: ItemStats, right: set[int]) -> None:
    if s.discrimination is not None and s.discrimination < 0:
        s.flags.append("negative_discrimination")
    if s.efficiency is not None and s.efficiency < DE_THRESHOLD:
        s.flags.append("low_efficiency")
    if right and s.top:
        best_right = max((s.top.get(o, 0) for o in right), default=0)
        if any(c > best_right for o, c in s.top.items() if o not in right):
            s.flags.append("wrong_option_preferred_by_top")


def _test(r: Responses, totals: np.ndarray) -> TestStats:
    n = r.attempts
    if n < 2:
        return TestStats(n, float(totals.mean()) if n else None, None, None, None)
    var_total = float(totals.var(ddof=1))
    positions, slot = np.unique(r.position, return_inverse=True)
    k = len(positions)
    count = np.bincount(slot, minlength=k)
    alpha = None
    if k > 1 and (count == n).all() and var_total > 0:
        mean = _grouped(slot, r.earned, k) / n
        d = r.earned - mean[slot]
        item_var = _grouped(slot, d * d, k) / (n - 1)
        alpha = k / (k - 1) * (1 - float(item_var.sum()) / var_total)
    sd = math.sqrt(var_total)
    se = sd * math.sqrt(1 - alpha) if alpha is not None and alpha <= 1 else None
    return TestStats(n, float(totals.mean()), sd, alpha, se)
