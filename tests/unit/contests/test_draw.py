"""The per-attempt draw: seeded, reproducible, faithful to the blueprint, refuses the impossible."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from quizapp.contests.draw import BlueprintItem, DrawError, PoolQuestion, check_blueprint, draw

POOL = [
    PoolQuestion(
        i, f"k{i:03d}", "c1" if i < 20 else "c2", ("easy", "medium", "hard")[i % 3], options=4
    )
    for i in range(40)
]


def test_same_seed_same_draw_and_order_independent_of_pool_order():
    bp = [BlueprintItem(10)]
    a = draw(POOL, bp, seed=42)
    assert a == draw(list(reversed(POOL)), bp, seed=42)
    assert a != draw(POOL, bp, seed=43)
    assert len({d.version_id for d in a}) == 10


def test_blueprint_is_respected():
    bp = [
        BlueprintItem(3, frozenset({"c1"}), "hard", "c1 khó"),
        BlueprintItem(5, frozenset({"c2"}), None, "c2"),
        BlueprintItem(2, None, "easy", "dễ"),
    ]
    by_id = {q.version_id: q for q in POOL}
    for seed in range(30):
        got = [by_id[d.version_id] for d in draw(POOL, bp, seed=seed)]
        assert len(got) == 10 and len({q.version_id for q in got}) == 10
        assert sum(q.category == "c1" and q.difficulty == "hard" for q in got) >= 3
        assert sum(q.category == "c2" for q in got) >= 5
        assert sum(q.difficulty == "easy" for q in got) >= 2


def test_fixed_questions_are_always_in_and_options_shuffle():
    got = draw(POOL, [BlueprintItem(4)], fixed=[7, 8], seed=1)
    assert {7, 8} <= {d.version_id for d in got}
    orders = {d.option_order for d in got}
    assert all(sorted(o) == [0, 1, 2, 3] for o in orders) and len(orders) > 1
    plain = draw(
        POOL,
        [BlueprintItem(4)],
        fixed=[7, 8],
        seed=1,
        shuffle_questions=False,
        shuffle_options=False,
    )
    assert [d.version_id for d in plain][:2] == [7, 8]
    assert all(d.option_order == (0, 1, 2, 3) for d in plain)


def test_impossible_blueprint_is_refused_with_reason():
    with pytest.raises(DrawError) as exc:
        check_blueprint(POOL, [BlueprintItem(8, frozenset({"c1"}), "hard", "Chương I khó")])
    assert exc.value.params == {"label": "Chương I khó", "count": 8, "available": 6}
    with pytest.raises(DrawError):
        check_blueprint(POOL, [])
    with pytest.raises(DrawError):
        check_blueprint(POOL, [BlueprintItem(1)], fixed=[999])


def test_narrow_item_is_served_before_broad_one():
    # 38 of 40 questions for "any", then 2 hard from c1: only possible when the narrow item
    # draws first.
    check_blueprint(POOL, [BlueprintItem(38), BlueprintItem(2, frozenset({"c1"}), "hard")])


@given(st.integers(min_value=0, max_value=2**32), st.integers(min_value=1, max_value=40))
def test_any_seed_draws_distinct_questions(seed, n):
    got = draw(POOL, [BlueprintItem(n)], seed=seed)
    assert len(got) == n == len({d.version_id for d in got})
