"""The item statistics written out loop by loop, straight from the formulas (as quizapp
computed them before the vectorised version): the oracle the fast implementation is checked
against on generated data."""

from __future__ import annotations

import math
from collections.abc import Sequence

from quizapp.contests.statistics import DE_THRESHOLD, AttemptItems, ItemStats, TestStats


def _mean(xs: Sequence[float]) -> float:
    return sum(xs) / len(xs)


def _var(xs: Sequence[float]) -> float:
    """Sample variance (n − 1), as Moodle uses."""
    m = _mean(xs)
    return sum((x - m) ** 2 for x in xs) / (len(xs) - 1)


def _cov(xs: Sequence[float], ys: Sequence[float]) -> float:
    mx, my = _mean(xs), _mean(ys)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / (len(xs) - 1)


def analyse(
    attempts: Sequence[AttemptItems], keyed: dict[int, set[int]]
) -> tuple[list[ItemStats], TestStats]:
    """Statistics of every question version served, and of the test.

    `keyed` maps a version to its options carrying credit (for the wrong-key flag).
    """
    totals = [a.total for a in attempts]
    order = sorted(range(len(attempts)), key=lambda i: totals[i])
    third = len(attempts) // 3
    bottom_ids = set(order[:third])
    top_ids = set(order[len(order) - third :]) if third else set()
    per_item: dict[int, tuple[list[float], list[float], list[float]]] = {}
    stats: dict[int, ItemStats] = {}
    for idx, a in enumerate(attempts):
        total = totals[idx]
        for it in a.items:
            xs, rests, marks = per_item.setdefault(it.version_id, ([], [], []))
            xs.append(it.earned)
            rests.append(total - it.earned)
            marks.append(it.mark)
            s = stats.get(it.version_id)
            if s is None:
                s = stats[it.version_id] = ItemStats(it.version_id, 0, None, None, None, None)
            if idx in top_ids:
                for o in it.chosen:
                    s.top[o] = s.top.get(o, 0) + 1
            elif idx in bottom_ids:
                for o in it.chosen:
                    s.bottom[o] = s.bottom.get(o, 0) + 1
    for vid, (xs, rests, marks) in per_item.items():
        s = stats[vid]
        s.n = len(xs)
        top_mark = max(marks) or 1.0
        s.facility = 100 * _mean(xs) / top_mark
        if s.n > 1:
            s.sd = 100 * math.sqrt(_var(xs)) / top_mark
            vx, vr = _var(xs), _var(rests)
            cov = _cov(xs, rests)
            if vx > 0 and vr > 0:
                s.discrimination = 100 * cov / math.sqrt(vx * vr)
                cov_max = _cov(sorted(xs), sorted(rests))
                s.efficiency = 100 * cov / cov_max if cov_max > 0 else None
        if s.discrimination is not None and s.discrimination < 0:
            s.flags.append("negative_discrimination")
        if s.efficiency is not None and s.efficiency < DE_THRESHOLD:
            s.flags.append("low_efficiency")
        right = keyed.get(vid, set())
        if right and s.top:
            best_right = max((s.top.get(o, 0) for o in right), default=0)
            if any(c > best_right for o, c in s.top.items() if o not in right):
                s.flags.append("wrong_option_preferred_by_top")
    return sorted(stats.values(), key=lambda s: (-len(s.flags), s.version_id)), _test(
        attempts, totals
    )


def _test(attempts: Sequence[AttemptItems], totals: list[float]) -> TestStats:
    n = len(attempts)
    if n < 2:
        return TestStats(n, _mean(totals) if totals else None, None, None, None)
    var_total = _var(totals)
    slots: dict[int, list[float]] = {}
    for a in attempts:
        for it in a.items:
            slots.setdefault(it.position, []).append(it.earned)
    k = len(slots)
    alpha = None
    full = [xs for xs in slots.values() if len(xs) == n]
    if k > 1 and len(full) == k and var_total > 0:
        alpha = k / (k - 1) * (1 - sum(_var(xs) for xs in full) / var_total)
    sd = math.sqrt(var_total)
    se = sd * math.sqrt(1 - alpha) if alpha is not None and alpha <= 1 else None
    return TestStats(n, _mean(totals), sd, alpha, se)
