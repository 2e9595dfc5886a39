"""FRAUDAR (Hooi et al., KDD 2016): dense bipartite blocks that camouflage cannot hide.

Each edge weighs ``1 / log(d + c)`` where ``d`` is its column's degree, so edges into popular
columns (a best-selling listing, a busy hour) count little: a fraudster who adds camouflage
edges to honest columns does not dilute the block, and an honest crowd around one popular column
does not look dense. Greedy peeling keeps the densest intermediate subgraph; several blocks are
found in sequence by deleting each block's edges and peeling again.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from . import _jit


@dataclass(frozen=True)
class Block:
    """One dense block: row and column indices (sorted) and its density f(S) / |S|."""

    rows: NDArray[np.int64]
    cols: NDArray[np.int64]
    density: float
    edges: int


def column_weights(cols: NDArray[np.int64], n_cols: int, c: float = 5.0) -> NDArray[np.float64]:
    """FRAUDAR's column weighting: popular columns are cheap to reach, so they weigh little."""
    degree = np.bincount(cols, minlength=n_cols).astype(np.float64)
    return np.asarray(1.0 / np.log(degree[cols] + c), dtype=np.float64)


def fraudar(
    rows: NDArray[np.int64],
    cols: NDArray[np.int64],
    n_rows: int,
    n_cols: int,
    *,
    blocks: int = 1,
    weights: NDArray[np.float64] | None = None,
    min_density: float = 0.0,
) -> list[Block]:
    """Up to ``blocks`` dense blocks of the bipartite graph given as edge lists."""
    rows = np.ascontiguousarray(rows, dtype=np.int64)
    cols = np.ascontiguousarray(cols, dtype=np.int64)
    if rows.shape != cols.shape:
        raise ValueError("rows and cols must have the same length")
    if rows.size and (rows.min() < 0 or rows.max() >= n_rows or cols.min() < 0 or cols.max() >= n_cols):
        raise ValueError("edge endpoints out of range")
    w = column_weights(cols, n_cols) if weights is None else np.ascontiguousarray(weights, dtype=np.float64)
    n_nodes = n_rows + n_cols
    indptr, adj_edge, adj_node = _jit.csr(n_nodes, n_rows, rows, cols)
    alive = np.ones(rows.shape[0], dtype=np.bool_)
    found: list[Block] = []
    for _ in range(blocks):
        if not alive.any():
            break
        order, n_active, best_t, density = _jit.peel(n_nodes, indptr, adj_edge, adj_node, w, alive)
        if n_active == 0 or density <= min_density:
            break
        members = np.sort(order[best_t:n_active])
        in_block = np.zeros(n_nodes, dtype=np.bool_)
        in_block[members] = True
        before = int(alive.sum())
        _jit.kill_block(indptr, adj_edge, adj_node, in_block, members, alive)
        block_rows = members[members < n_rows]
        block_cols = members[members >= n_rows] - n_rows
        found.append(Block(block_rows, block_cols, float(density), before - int(alive.sum())))
    return found
