"""Fast kernels against the slow reference on random sponsor arrays with cycles and orphans."""

from __future__ import annotations

import pyramid_reference as ref
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sentinella.pyramid import _jit
from sentinella.pyramid.kernels import (
    Engine,
    downline_by_distance,
    forest_metrics,
    merge_accounts,
    subtree_sum,
    validate_sponsors,
)

ENGINES = [
    "numpy",
    pytest.param("numba", marks=pytest.mark.skipif(not _jit.HAVE_NUMBA, reason="no numba")),
]


@st.composite
def sponsor_arrays(draw: st.DrawFn) -> tuple[list[int], list[int]]:
    """Any sponsor array at all: -1 (root or unknown sponsor), self-loops, cycles, chains."""
    n = draw(st.integers(min_value=1, max_value=40))
    parent = draw(st.lists(st.integers(min_value=-1, max_value=n - 1), min_size=n, max_size=n))
    join = draw(st.lists(st.integers(min_value=0, max_value=5), min_size=n, max_size=n))
    return parent, join


@st.composite
def forests(draw: st.DrawFn) -> list[int]:
    """Acyclic forests with shuffled codes, biased towards deep chains."""
    n = draw(st.integers(min_value=1, max_value=60))
    span = draw(st.integers(min_value=1, max_value=n))
    ordered = [-1] + [draw(st.integers(min_value=max(-1, i - span), max_value=i - 1)) for i in range(1, n)]
    perm = draw(st.permutations(range(n)))
    parent = [-1] * n
    for i, p in enumerate(ordered):
        parent[perm[i]] = -1 if p == -1 else perm[p]
    return parent


@pytest.mark.parametrize("engine", ENGINES)
@settings(max_examples=150, deadline=None)
@given(sponsor_arrays())
def test_validation_matches_reference(engine: Engine, case: tuple[list[int], list[int]]) -> None:
    parent, join = case
    fast = validate_sponsors(parent, join_order=join, engine=engine)
    slow = ref.validate(parent, join)
    assert fast.parent.tolist() == slow["parent"]
    assert fast.cycle_id.tolist() == slow["cycle_id"]
    assert fast.into_cycle.tolist() == slow["into_cycle"]
    assert fast.cut.tolist() == slow["cut"]
    assert fast.self_sponsored.tolist() == slow["self_sponsored"]
    _assert_metrics_match(fast.parent.tolist(), engine)


@pytest.mark.parametrize("engine", ENGINES)
@settings(max_examples=150, deadline=None)
@given(forests())
def test_metrics_match_reference_on_forests(engine: Engine, parent: list[int]) -> None:
    _assert_metrics_match(parent, engine)
    k = 3
    assert downline_by_distance(parent, k).tolist() == ref.by_distance(parent, k)


def _assert_metrics_match(parent: list[int], engine: Engine) -> None:
    n = len(parent)
    values = [(i * 7919) % 13 - 4 for i in range(n)]
    fast = forest_metrics(parent, values={"v": values}, engine=engine)
    slow = ref.metrics(parent, values)
    assert fast.level.tolist() == slow["level"]
    assert fast.root.tolist() == slow["root"]
    assert fast.direct_recruits.tolist() == slow["direct_recruits"]
    assert fast.downline.tolist() == slow["downline"]
    assert fast.depth_below.tolist() == slow["depth_below"]
    assert fast.sums["v"].tolist() == slow["sums"]
    assert subtree_sum(parent, values, engine=engine).tolist() == slow["sums"]


@pytest.mark.parametrize("engine", ENGINES)
@settings(max_examples=150, deadline=None)
@given(
    st.integers(min_value=1, max_value=25).flatmap(
        lambda n: st.lists(
            st.lists(st.integers(min_value=-1, max_value=6), min_size=n, max_size=n),
            min_size=1,
            max_size=4,
        )
    )
)
def test_person_merging_matches_reference(engine: Engine, columns: list[list[int]]) -> None:
    identifiers = {f"kind{i}": col for i, col in enumerate(columns)}
    fast = merge_accounts(identifiers, engine=engine)
    group, mask = ref.persons(identifiers)
    assert fast.person.tolist() == group
    assert fast.link_mask.tolist() == mask
