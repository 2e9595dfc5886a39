"""The FRAUDAR kernel against the paper's plain heapq peeling, and on graphs with known blocks."""

from __future__ import annotations

import numpy as np
import pytest
from fraudar_reference import reference_fraudar

from sentinella.rings import _jit, column_weights, fraudar


def _random_graph(rng: np.random.Generator) -> tuple[list[tuple[int, int]], int, int]:
    n_rows, n_cols = int(rng.integers(1, 40)), int(rng.integers(1, 40))
    m = int(rng.integers(1, 200))
    pairs = zip(rng.integers(0, n_rows, m).tolist(), rng.integers(0, n_cols, m).tolist(), strict=True)
    edges = sorted(set(pairs))
    return edges, n_rows, n_cols


@pytest.mark.parametrize("seed", range(40))
def test_same_blocks_and_density_as_heapq_reference(seed: int) -> None:
    rng = np.random.default_rng(seed)
    edges, n_rows, n_cols = _random_graph(rng)
    rows = np.array([r for r, _ in edges])
    cols = np.array([c for _, c in edges])
    got = fraudar(rows, cols, n_rows, n_cols, blocks=3)
    ref = reference_fraudar(edges, n_rows, n_cols, blocks=3)
    assert len(got) == len(ref)
    for block, (r_rows, r_cols, r_density) in zip(got, ref, strict=True):
        assert block.rows.tolist() == r_rows
        assert block.cols.tolist() == r_cols
        assert block.density == pytest.approx(r_density, rel=1e-12)


def test_finds_a_planted_block_despite_camouflage() -> None:
    rng = np.random.default_rng(7)
    n_rows, n_cols = 2000, 500
    noise_r = rng.integers(0, n_rows, 8000)
    noise_c = rng.integers(0, n_cols, 8000)
    fraud_rows = np.arange(20)  # 20 accounts x 10 products, fully connected
    fraud_cols = np.arange(10) + 400
    br, bc = np.meshgrid(fraud_rows, fraud_cols, indexing="ij")
    # camouflage: each fraud account also buys 10 random popular products
    camo_r = np.repeat(fraud_rows, 10)
    camo_c = rng.integers(0, 50, camo_r.shape[0])
    rows = np.concatenate([noise_r, br.ravel(), camo_r])
    cols = np.concatenate([noise_c, bc.ravel(), camo_c])
    edges = np.unique(np.stack([rows, cols]), axis=1)
    (block,) = fraudar(edges[0], edges[1], n_rows, n_cols, blocks=1)
    assert set(fraud_rows.tolist()) <= set(block.rows.tolist())
    assert set(fraud_cols.tolist()) <= set(block.cols.tolist())
    assert len(block.rows) <= 25


def test_column_weighting_discounts_popular_columns() -> None:
    cols = np.array([0, 0, 0, 0, 1])
    w = column_weights(cols, 2)
    assert w[0] == pytest.approx(1 / np.log(4 + 5))
    assert w[4] == pytest.approx(1 / np.log(1 + 5))
    assert w[0] < w[4]


def test_several_blocks_do_not_share_edges() -> None:
    a_r, a_c = np.meshgrid(np.arange(10), np.arange(5), indexing="ij")
    b_r, b_c = np.meshgrid(np.arange(10, 16), np.arange(5, 8), indexing="ij")
    rows = np.concatenate([a_r.ravel(), b_r.ravel(), [20]])
    cols = np.concatenate([a_c.ravel(), b_c.ravel(), [9]])
    blocks = fraudar(rows, cols, 21, 10, blocks=3)
    assert blocks[0].rows.tolist() == list(range(10)) and blocks[0].cols.tolist() == list(range(5))
    assert blocks[1].rows.tolist() == list(range(10, 16)) and blocks[1].cols.tolist() == [5, 6, 7]
    assert blocks[0].density > blocks[1].density
    assert sum(b.edges for b in blocks) <= rows.shape[0]


def test_rejects_bad_edges() -> None:
    with pytest.raises(ValueError, match="out of range"):
        fraudar(np.array([0, 3]), np.array([0, 0]), 2, 1)
    with pytest.raises(ValueError, match="same length"):
        fraudar(np.array([0]), np.array([0, 0]), 2, 1)
    assert fraudar(np.zeros(0, np.int64), np.zeros(0, np.int64), 0, 0) == []


@pytest.mark.parametrize("seed", range(5))
def test_per_shop_peeling_matches_one_call_per_shop(seed: int) -> None:
    """The compiled all-shops loop gives what calling the kernel shop by shop gives."""
    rng = np.random.default_rng(seed)
    starts, rows, cols, n_rows, n_cols = [0], [], [], [], []
    expected: list[np.ndarray] = []
    for _ in range(6):
        edges, nr, nc = _random_graph(rng)
        r = np.array([a for a, _ in edges], np.int64)
        c = np.array([b for _, b in edges], np.int64)
        rows.append(r)
        cols.append(c)
        n_rows.append(nr)
        n_cols.append(nc)
        starts.append(starts[-1] + len(edges))
        want = np.zeros(nr)
        if nr >= 3:
            for block in fraudar(r, c, nr, nc, blocks=2):
                if block.rows.shape[0] >= 3:
                    want[block.rows] = np.maximum(want[block.rows], block.density)
        expected.append(want)
    weight = np.concatenate([column_weights(c, nc) for c, nc in zip(cols, n_cols, strict=True)])
    got = np.zeros(sum(n_rows))
    _jit.peel_groups(
        np.array(starts, np.int64),
        np.concatenate(rows),
        np.concatenate(cols),
        weight,
        np.array(n_rows, np.int64),
        np.array(n_cols, np.int64),
        2,
        3,
        got,
    )
    np.testing.assert_allclose(got, np.concatenate(expected), rtol=1e-12)
