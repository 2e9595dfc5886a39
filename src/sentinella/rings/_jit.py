"""FRAUDAR's greedy peeling as one sequential loop, compiled with numba when it is installed.

Peeling removes the node whose removal costs the least suspiciousness, one node at a time; every
removal lowers its neighbours' priorities. An indexed binary heap (three integer arrays, keys
compared as ``(priority, node)``) gives each step O(log |V|), so a pass costs O(|E| log |V|).
Without numba the same functions run as plain Python: correct, only slower.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

from sentinella._compile import HAVE_NUMBA as HAVE_NUMBA  # the engine switch reads it here
from sentinella._compile import compile_kernel as _compile


def _csr(
    n_nodes: int, n_rows: int, rows: NDArray[Any], cols: NDArray[Any]
) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.int64]]:
    """Adjacency of the bipartite graph (rows first, then columns), edges in input order."""
    m = rows.shape[0]
    indptr = np.zeros(n_nodes + 1, dtype=np.int64)
    for e in range(m):
        indptr[rows[e] + 1] += 1
        indptr[n_rows + cols[e] + 1] += 1
    for v in range(n_nodes):
        indptr[v + 1] += indptr[v]
    fill = indptr[:-1].copy()
    adj_edge = np.empty(2 * m, dtype=np.int64)
    adj_node = np.empty(2 * m, dtype=np.int64)
    for e in range(m):
        r = rows[e]
        c = n_rows + cols[e]
        adj_edge[fill[r]] = e
        adj_node[fill[r]] = c
        fill[r] += 1
        adj_edge[fill[c]] = e
        adj_node[fill[c]] = r
        fill[c] += 1
    return indptr, adj_edge, adj_node


def _sift_up(heap: NDArray[np.int64], pos: NDArray[np.int64], key: NDArray[np.float64], i: int) -> None:
    node = heap[i]
    while i > 0:
        parent = (i - 1) >> 1
        other = heap[parent]
        if key[node] < key[other] or (key[node] == key[other] and node < other):
            heap[i] = other
            pos[other] = i
            i = parent
        else:
            break
    heap[i] = node
    pos[node] = i


def _sift_down(
    heap: NDArray[np.int64], pos: NDArray[np.int64], key: NDArray[np.float64], i: int, size: int
) -> None:
    node = heap[i]
    while True:
        child = 2 * i + 1
        if child >= size:
            break
        right = child + 1
        if right < size:
            a = heap[right]
            b = heap[child]
            if key[a] < key[b] or (key[a] == key[b] and a < b):
                child = right
        other = heap[child]
        if key[other] < key[node] or (key[other] == key[node] and other < node):
            heap[i] = other
            pos[other] = i
            i = child
        else:
            break
    heap[i] = node
    pos[node] = i


def _peel(
    n_nodes: int,
    indptr: NDArray[np.int64],
    adj_edge: NDArray[np.int64],
    adj_node: NDArray[np.int64],
    weight: NDArray[np.float64],
    alive: NDArray[np.bool_],
) -> tuple[NDArray[np.int64], int, int, float]:
    """One greedy pass over the alive edges.

    Returns the removal order of the nodes touching an alive edge, how many of them there are,
    how many were removed before the densest moment, and that density (f / |S|).
    """
    key = np.zeros(n_nodes, dtype=np.float64)
    active = np.zeros(n_nodes, dtype=np.bool_)
    for v in range(n_nodes):
        for k in range(indptr[v], indptr[v + 1]):
            e = adj_edge[k]
            if alive[e]:
                key[v] += weight[e]
                active[v] = True
    total = 0.0
    for e in range(weight.shape[0]):
        if alive[e]:
            total += weight[e]
    heap = np.empty(n_nodes, dtype=np.int64)
    pos = np.full(n_nodes, -1, dtype=np.int64)
    size = 0
    for v in range(n_nodes):
        if active[v]:
            heap[size] = v
            pos[v] = size
            size += 1
    n_active = size
    for i in range((size >> 1) - 1, -1, -1):
        _sift_down(heap, pos, key, i, size)
    order = np.empty(n_active, dtype=np.int64)
    removed = np.zeros(n_nodes, dtype=np.bool_)
    best = total / n_active if n_active > 0 else 0.0
    best_t = 0
    remaining = n_active
    for t in range(n_active):
        u = heap[0]
        size -= 1
        if size > 0:
            heap[0] = heap[size]
            pos[heap[0]] = 0
            _sift_down(heap, pos, key, 0, size)
        pos[u] = -1
        removed[u] = True
        order[t] = u
        total -= key[u]
        for k in range(indptr[u], indptr[u + 1]):
            e = adj_edge[k]
            if alive[e]:
                v = adj_node[k]
                if not removed[v]:
                    key[v] -= weight[e]
                    _sift_up(heap, pos, key, pos[v])
        remaining -= 1
        if remaining > 0 and total / remaining > best:
            best = total / remaining
            best_t = t + 1
    return order, n_active, best_t, best


def _kill_block(
    indptr: NDArray[np.int64],
    adj_edge: NDArray[np.int64],
    adj_node: NDArray[np.int64],
    in_block: NDArray[np.bool_],
    members: NDArray[np.int64],
    alive: NDArray[np.bool_],
) -> None:
    """Remove a found block's internal edges so the next pass finds the next block."""
    for i in range(members.shape[0]):
        u = members[i]
        for k in range(indptr[u], indptr[u + 1]):
            if in_block[adj_node[k]]:
                alive[adj_edge[k]] = False


def _peel_groups(
    starts: NDArray[np.int64],
    rows: NDArray[np.int64],
    cols: NDArray[np.int64],
    weight: NDArray[np.float64],
    n_rows: NDArray[np.int64],
    n_cols: NDArray[np.int64],
    blocks: int,
    min_rows: int,
    row_density: NDArray[np.float64],
) -> None:
    """FRAUDAR in every group (one shop's sub-graph) at once: no Python call per shop.

    ``rows``/``cols`` are local to their group (edges sorted by group, ``starts`` bounds them);
    ``row_density`` (indexed by global row offset, group by group) gets the density of the
    densest block with at least ``min_rows`` rows each row belongs to.
    """
    row_base = 0
    for g in range(starts.shape[0] - 1):
        lo = starts[g]
        hi = starts[g + 1]
        nr = n_rows[g]
        nc = n_cols[g]
        if nr >= min_rows and hi > lo:
            n_nodes = nr + nc
            r = rows[lo:hi]
            c = cols[lo:hi]
            w = weight[lo:hi]
            indptr, adj_edge, adj_node = _csr(n_nodes, nr, r, c)
            alive = np.ones(hi - lo, dtype=np.bool_)
            for _ in range(blocks):
                order, n_active, best_t, density = _peel(n_nodes, indptr, adj_edge, adj_node, w, alive)
                if n_active == 0 or density <= 0.0:
                    break
                members = order[best_t:n_active]
                in_block = np.zeros(n_nodes, dtype=np.bool_)
                count = 0
                for i in range(members.shape[0]):
                    in_block[members[i]] = True
                    if members[i] < nr:
                        count += 1
                if count >= min_rows:
                    for i in range(members.shape[0]):
                        v = members[i]
                        if v < nr and row_density[row_base + v] < density:
                            row_density[row_base + v] = density
                _kill_block(indptr, adj_edge, adj_node, in_block, members, alive)
        row_base += nr


# compiled functions call each other by these module names, so they are rebound in place
_csr = _compile(_csr)
_sift_up = _compile(_sift_up)
_sift_down = _compile(_sift_down)
_peel = _compile(_peel)
_kill_block = _compile(_kill_block)
_peel_groups = _compile(_peel_groups)
csr = _csr
peel = _peel
kill_block = _kill_block
peel_groups = _peel_groups
