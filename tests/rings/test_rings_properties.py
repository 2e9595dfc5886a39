"""Property tests for the rings kernels."""

from __future__ import annotations

import numpy as np
from fraudar_reference import reference_fraudar
from hypothesis import given, settings
from hypothesis import strategies as st
from signals_reference import distinct_partners

from sentinella.rings import column_weights, fraudar
from sentinella.rings._signals import unique_rows

edge_lists = st.integers(1, 25).flatmap(
    lambda nr: st.integers(1, 25).flatmap(
        lambda nc: st.tuples(
            st.just(nr),
            st.just(nc),
            st.lists(
                st.tuples(st.integers(0, nr - 1), st.integers(0, nc - 1)),
                min_size=1,
                max_size=120,
                unique=True,
            ),
        )
    )
)


@settings(max_examples=150, deadline=None)
@given(edge_lists)
def test_kernel_equals_reference(graph: tuple[int, int, list[tuple[int, int]]]) -> None:
    n_rows, n_cols, edges = graph
    rows = np.array([r for r, _ in edges])
    cols = np.array([c for _, c in edges])
    blocks = fraudar(rows, cols, n_rows, n_cols, blocks=2)
    got = [(b.rows.tolist(), b.cols.tolist(), b.density) for b in blocks]
    assert got == reference_fraudar(edges, n_rows, n_cols, blocks=2)


@settings(max_examples=150, deadline=None)
@given(edge_lists)
def test_block_density_is_its_weight_over_its_size(graph: tuple[int, int, list[tuple[int, int]]]) -> None:
    n_rows, n_cols, edges = graph
    rows = np.array([r for r, _ in edges])
    cols = np.array([c for _, c in edges])
    w = column_weights(cols, n_cols)
    whole = w.sum() / (len(set(rows.tolist())) + len(set(cols.tolist())))
    (block, *_) = fraudar(rows, cols, n_rows, n_cols, blocks=1)
    inside = np.isin(rows, block.rows) & np.isin(cols, block.cols)
    assert block.edges == int(inside.sum())
    assert np.isclose(block.density, w[inside].sum() / (block.rows.size + block.cols.size))
    # the densest peeled subgraph is at least as dense as the whole graph (it is a candidate)
    assert block.density >= whole - 1e-12


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 5), st.integers(-3, 3), st.integers(0, 4)), min_size=1, max_size=60))
def test_unique_rows_matches_numpy(rows: list[tuple[int, int, int]]) -> None:
    a, b, c = (np.array(x, dtype=np.int64) for x in zip(*rows, strict=True))
    (ua, ub, uc), inverse = unique_rows(a, b, c)
    want, want_inv = np.unique(np.stack([a, b, c]), axis=1, return_inverse=True)
    assert np.array_equal(np.stack([ua, ub, uc]), want)
    assert np.array_equal(inverse, want_inv.reshape(-1))


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.integers(-1, 4), st.integers(0, 5)), min_size=1, max_size=60))
def test_distinct_partners_by_brute_force(rows: list[tuple[int, int]]) -> None:
    ctx, pair = (np.array(x, dtype=np.int64) for x in zip(*rows, strict=True))
    member = pair % 4  # a (buyer, shop) pair belongs to one account; accounts have several pairs
    got = distinct_partners(ctx, member, pair, 6)
    for p in range(6):
        best = 0
        for k in {int(c) for c, q in zip(ctx, pair, strict=True) if q == p and c >= 0}:
            others = {int(m) for c, m in zip(ctx, member, strict=True) if c == k} - {p % 4}
            best = max(best, len(others))
        assert got[p] == best
