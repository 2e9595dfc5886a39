"""Hand-checked small forests: every kernel figure asserted against numbers worked out by hand."""

from __future__ import annotations

import numpy as np
import pytest

from sentinella.pyramid.kernels import (
    Engine,
    SponsorCycleError,
    analyse_forest,
    downline_by_distance,
    forest_metrics,
    subtree_sum,
    validate_sponsors,
)

#   0            6
#   ├── 1
#   │   ├── 3
#   │   │   └── 5
#   │   └── 4
#   └── 2
TREE = [-1, 0, 0, 1, 1, 3, -1]
SALES = [1, 2, 4, 8, 16, 32, 64]


def test_every_metric_of_a_small_forest(kernel_engine: Engine) -> None:
    m = forest_metrics(TREE, values={"sales": SALES, "fee": np.full(7, 0.5)}, engine=kernel_engine)
    assert m.root.tolist() == [0, 0, 0, 0, 0, 0, 6]
    assert m.level.tolist() == [1, 2, 2, 3, 3, 4, 1]
    assert m.direct_recruits.tolist() == [2, 2, 0, 1, 0, 0, 0]
    assert m.downline.tolist() == [5, 3, 0, 1, 0, 0, 0]
    assert m.depth_below.tolist() == [3, 2, 0, 1, 0, 0, 0]
    assert m.legal_headcount.tolist() == [6, 4, 1, 2, 1, 1, 1]
    assert m.legal_levels.tolist() == [4, 3, 1, 2, 1, 1, 1]
    assert m.sums["sales"].tolist() == [63, 58, 4, 40, 16, 32, 64]
    assert m.sums["sales"].dtype == np.int64
    assert m.sums["fee"].tolist() == [3.0, 2.0, 0.5, 1.0, 0.5, 0.5, 0.5]


def test_codes_in_any_order_give_the_same_figures(kernel_engine: Engine) -> None:
    # TREE with codes reversed (member c becomes 6 - c): sponsors now have larger codes
    flipped = [-1 if TREE[6 - c] == -1 else 6 - TREE[6 - c] for c in range(7)]
    assert flipped == [-1, 3, 5, 5, 6, 6, -1]
    m = forest_metrics(flipped, values={"sales": SALES[::-1]}, engine=kernel_engine)
    assert m.root.tolist() == [0, 6, 6, 6, 6, 6, 6]
    assert m.level.tolist() == [1, 4, 3, 3, 2, 2, 1]
    assert m.downline.tolist()[::-1] == [5, 3, 0, 1, 0, 0, 0]
    assert m.depth_below.tolist()[::-1] == [3, 2, 0, 1, 0, 0, 0]
    assert m.sums["sales"].tolist()[::-1] == [63, 58, 4, 40, 16, 32, 64]


def test_subtree_sum_with_and_without_the_member(kernel_engine: Engine) -> None:
    assert subtree_sum(TREE, SALES, engine=kernel_engine).tolist() == [63, 58, 4, 40, 16, 32, 64]
    assert subtree_sum(TREE, SALES, include_self=False, engine=kernel_engine).tolist() == [
        62,
        56,
        0,
        32,
        0,
        0,
        0,
    ]
    two_columns = np.column_stack([SALES, np.ones(7)])
    assert subtree_sum(TREE, two_columns, engine=kernel_engine)[:, 1].tolist() == [6, 4, 1, 2, 1, 1, 1]


def test_descendants_at_each_distance(kernel_engine: Engine) -> None:
    counts = downline_by_distance(TREE, 4)
    assert counts.tolist() == [
        [2, 2, 1, 0],
        [2, 1, 0, 0],
        [0, 0, 0, 0],
        [1, 0, 0, 0],
        [0, 0, 0, 0],
        [0, 0, 0, 0],
        [0, 0, 0, 0],
    ]
    money = downline_by_distance(TREE, 2, values=SALES)
    assert money[0].tolist() == [6, 24]
    assert money[1].tolist() == [24, 32]


#  0 -> 1 -> 2 -> 0   a cycle of three; 4 -> 2 and 5 -> 4 hang off it
#  3 -> 3             self-sponsorship; 10 -> 3 hangs off it
#  6 <- 7             an ordinary tree
#  8 <-> 9            a cycle of two
CYCLIC = [1, 2, 0, 3, 2, 4, -1, 6, 9, 8, 3]
JOINED = [5, 3, 9, 0, 1, 1, 0, 0, 7, 2, 0]


def test_cycles_and_self_sponsorship_are_found_and_cut_at_the_earliest_joiner(kernel_engine: Engine) -> None:
    check = validate_sponsors(CYCLIC, join_order=JOINED, engine=kernel_engine)
    assert check.self_sponsored.tolist() == [i == 3 for i in range(11)]
    assert check.cycle_id.tolist() == [0, 0, 0, 3, -1, -1, -1, -1, 8, 8, -1]
    assert check.into_cycle.tolist() == [-1, -1, -1, -1, 0, 0, -1, -1, -1, -1, 3]
    assert np.flatnonzero(check.cut).tolist() == [1, 3, 9]
    assert check.parent.tolist() == [1, -1, 0, -1, 2, 4, -1, 6, 9, -1, 3]
    assert check.n_cycles == 3
    assert check.cycle_length.tolist() == [3, 3, 3, 1, 0, 0, 0, 0, 2, 2, 0]
    m = forest_metrics(check.parent, engine=kernel_engine)
    assert m.level.tolist() == [2, 1, 3, 1, 4, 5, 1, 2, 2, 1, 2]
    assert m.root.tolist() == [1, 1, 1, 3, 1, 1, 6, 6, 9, 9, 3]


def test_without_join_order_the_smallest_code_on_the_cycle_is_cut(kernel_engine: Engine) -> None:
    check = validate_sponsors(CYCLIC, engine=kernel_engine)
    assert np.flatnonzero(check.cut).tolist() == [0, 3, 8]


def test_ties_in_join_order_fall_back_to_the_smallest_code(kernel_engine: Engine) -> None:
    check = validate_sponsors([2, 0, 1], join_order=[4, 1, 1], engine=kernel_engine)
    assert np.flatnonzero(check.cut).tolist() == [1]


def test_a_clean_forest_passes_validation_unchanged(kernel_engine: Engine) -> None:
    check = validate_sponsors(TREE, orphan=[False] * 6 + [True], engine=kernel_engine)
    assert check.parent.tolist() == TREE
    assert not check.cut.any() and not check.self_sponsored.any()
    assert (check.cycle_id == -1).all() and (check.into_cycle == -1).all()
    assert check.orphan.tolist() == [False] * 6 + [True]
    assert check.n_cycles == 0


def test_metrics_refuse_a_cyclic_sponsor_array_instead_of_looping(kernel_engine: Engine) -> None:
    with pytest.raises(SponsorCycleError):
        forest_metrics(CYCLIC, engine=kernel_engine)
    with pytest.raises(SponsorCycleError):
        subtree_sum([0], [1], engine=kernel_engine)


@pytest.mark.parametrize(
    ("parent", "message"),
    [([-1, 5], "parent codes"), ([-2, 0], "parent codes"), ([[0]], "one-dimensional")],
)
def test_bad_sponsor_codes_are_rejected(parent: object, message: str, kernel_engine: Engine) -> None:
    with pytest.raises(ValueError, match=message):
        validate_sponsors(parent)  # type: ignore[arg-type]


def test_inputs_must_line_up_with_members(kernel_engine: Engine) -> None:
    with pytest.raises(TypeError):
        forest_metrics(np.array([-1.0, 0.0]), engine=kernel_engine)
    with pytest.raises(ValueError, match="one entry per member"):
        forest_metrics(TREE, values={"sales": [1, 2]}, engine=kernel_engine)
    with pytest.raises(ValueError, match="orphan"):
        validate_sponsors([-1, 0], orphan=[False, True], engine=kernel_engine)
    with pytest.raises(ValueError, match="max_distance"):
        downline_by_distance(TREE, 0)


def test_empty_and_single_member_forests(kernel_engine: Engine) -> None:
    empty = forest_metrics(np.zeros(0, dtype=np.int64), engine=kernel_engine)
    assert empty.level.size == 0
    assert validate_sponsors([], engine=kernel_engine).parent.size == 0
    one = forest_metrics([-1], values={"v": [2.5]}, engine=kernel_engine)
    assert one.level.tolist() == [1] and one.legal_headcount.tolist() == [1]
    assert one.sums["v"].tolist() == [2.5]


def test_analyse_forest_validates_and_measures_in_one_call(kernel_engine: Engine) -> None:
    check, m = analyse_forest(CYCLIC, join_order=JOINED, values={"v": np.ones(11)}, engine=kernel_engine)
    assert np.flatnonzero(check.cut).tolist() == [1, 3, 9]
    assert m.level.tolist() == [2, 1, 3, 1, 4, 5, 1, 2, 2, 1, 2]
    assert m.sums["v"].tolist() == [4, 5, 3, 2, 2, 1, 2, 1, 1, 2, 1]
    clean, tree = analyse_forest(TREE, engine=kernel_engine)
    assert not clean.cut.any()
    assert tree.downline.tolist() == [5, 3, 0, 1, 0, 0, 0]


def test_unknown_engine_is_an_error() -> None:
    with pytest.raises(ValueError, match="unknown engine"):
        forest_metrics(TREE, engine="gpu")  # type: ignore[arg-type]
