"""Per-attempt question draw and option shuffle, reproducible from a seed (pure)."""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass

from quizapp.i18n import N_


@dataclass(frozen=True)
class PoolQuestion:
    """What the draw needs to know about one question version."""

    version_id: int
    key: str
    category: str | None
    difficulty: str
    options: int = 0  # number of options to shuffle (single, multi); 0 otherwise


@dataclass(frozen=True)
class BlueprintItem:
    """N questions from a category (with its sub-categories) at a difficulty (None: any)."""

    count: int
    categories: frozenset[str] | None = None  # None: the whole bank
    difficulty: str | None = None
    label: str = ""


@dataclass(frozen=True)
class DrawnQuestion:
    version_id: int
    option_order: tuple[int, ...]  # display position → original option index


class DrawError(ValueError):
    """The blueprint cannot be drawn from the pool; `message` is an English msgid."""

    def __init__(self, message: str, **params: object) -> None:
        super().__init__(message % params if params else message)
        self.message, self.params = message, params


def can_draw(q: PoolQuestion, items: Sequence[BlueprintItem]) -> bool:
    """Whether any item of the blueprint may draw the question."""
    return any(_matches(q, item) for item in items)


def _matches(q: PoolQuestion, item: BlueprintItem) -> bool:
    if item.categories is not None and q.category not in item.categories:
        return False
    return item.difficulty is None or q.difficulty == item.difficulty


def draw(
    pool: Sequence[PoolQuestion],
    blueprint: Sequence[BlueprintItem],
    fixed: Sequence[int] = (),
    *,
    seed: int,
    shuffle_questions: bool = True,
    shuffle_options: bool = True,
) -> list[DrawnQuestion]:
    """Fixed questions, then for each blueprint item `count` distinct questions sampled from
    those it matches and not yet chosen. The most constrained items are drawn first, so that
    a broad item ("any 10") never eats the questions a narrow one ("3 hard") needs."""
    rng = random.Random(seed)
    by_id = {q.version_id: q for q in pool}
    chosen: list[PoolQuestion] = []
    for vid in fixed:
        if vid not in by_id:
            raise DrawError(N_("A fixed question is no longer in the bank."))
        chosen.append(by_id[vid])
    taken = {q.version_id for q in chosen}
    ordered = sorted(pool, key=lambda q: (q.key, q.version_id))  # independent of input order
    items = sorted(
        enumerate(blueprint), key=lambda it: (sum(1 for q in ordered if _matches(q, it[1])), it[0])
    )
    for _index, item in items:
        candidates = [q for q in ordered if q.version_id not in taken and _matches(q, item)]
        if len(candidates) < item.count:
            raise DrawError(
                N_("“%(label)s” needs %(count)s questions but only %(available)s are left."),
                label=item.label or "?",
                count=item.count,
                available=len(candidates),
            )
        picked = rng.sample(candidates, item.count)
        chosen.extend(picked)
        taken.update(q.version_id for q in picked)
    if shuffle_questions:
        rng.shuffle(chosen)
    out = []
    for q in chosen:
        order = list(range(q.options))
        if shuffle_options:
            rng.shuffle(order)
        out.append(DrawnQuestion(q.version_id, tuple(order)))
    return out


def check_blueprint(
    pool: Sequence[PoolQuestion],
    blueprint: Sequence[BlueprintItem],
    fixed: Sequence[int] = (),
    tries: int = 25,
) -> None:
    """Raise DrawError when the blueprint cannot be drawn (tried with several seeds, since
    partly overlapping items could succeed for one seed and fail for another)."""
    if not fixed and not any(item.count > 0 for item in blueprint):
        raise DrawError(N_("The round has no questions."))
    for seed in range(tries):
        draw(pool, blueprint, fixed, seed=seed)
