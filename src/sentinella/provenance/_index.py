"""The near-duplicate index: Hamming distances over packed 64-bit words, compiled and threaded.

A hash is a row of unsigned 64-bit words (PDQ: 4). A query scans every row once, XOR and
popcount per word, keeping rows within the distance; with several query variants (the 8
dihedral PDQ hashes, for mirrored or rotated copies) a row's distance is the smallest over the
variants. 10M PDQ hashes are 320 MB and one scan is memory-bound, so rows are split over threads
(the kernels release the GIL). Clustering within one case compares all pairs the same way,
rows striped over threads, and links the pairs that pass the thresholds with a union-find.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
import numpy.typing as npt

from sentinella._compile import compile_kernel

_M1 = np.uint64(0x5555555555555555)
_M2 = np.uint64(0x3333333333333333)
_M4 = np.uint64(0x0F0F0F0F0F0F0F0F)
_H01 = np.uint64(0x0101010101010101)


@compile_kernel
def _popcount(x: np.uint64) -> int:
    x = x - ((x >> np.uint64(1)) & _M1)
    x = (x & _M2) + ((x >> np.uint64(2)) & _M2)
    x = (x + (x >> np.uint64(4))) & _M4
    return int((x * _H01) >> np.uint64(56))


@compile_kernel
def _scan(rows: Any, queries: Any, limit: int, start: int, stop: int, out_index: Any, out_dist: Any) -> int:
    """Rows in [start, stop) within ``limit`` of any query variant; returns how many matched (only
    the first ``len(out_index)`` are written). Straight-line loops without early exits: the
    compiler vectorises them, which is faster than stopping early."""
    words = rows.shape[1]
    found = 0
    for i in range(start, stop):
        best = 1 << 30
        for v in range(queries.shape[0]):
            d = 0
            for w in range(words):
                d += _popcount(rows[i, w] ^ queries[v, w])
            best = min(best, d)
        if best <= limit:
            if found < out_index.shape[0]:
                out_index[found] = i
                out_dist[found] = best
            found += 1
    return found


@compile_kernel
def _scan4(rows: Any, queries: Any, limit: int, start: int, stop: int, out_index: Any, out_dist: Any) -> int:
    """``_scan`` for 4-word (PDQ) rows, the words held in registers."""
    found = 0
    for i in range(start, stop):
        r0, r1, r2, r3 = rows[i, 0], rows[i, 1], rows[i, 2], rows[i, 3]
        best = 1 << 30
        for v in range(queries.shape[0]):
            d = (
                _popcount(r0 ^ queries[v, 0])
                + _popcount(r1 ^ queries[v, 1])
                + _popcount(r2 ^ queries[v, 2])
                + _popcount(r3 ^ queries[v, 3])
            )
            best = min(best, d)
        if best <= limit:
            if found < out_index.shape[0]:
                out_index[found] = i
                out_dist[found] = best
            found += 1
    return found


def _threads(threads: int) -> int:
    return max(1, threads or (os.cpu_count() or 1))


def query(
    rows: npt.NDArray[np.uint64], variants: npt.NDArray[np.uint64], limit: int, *, threads: int = 0
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Indices of ``rows`` within ``limit`` bits of any of ``variants`` (both (n, words)), and
    their distances, in row order."""
    rows = np.ascontiguousarray(rows, dtype=np.uint64)
    variants = np.ascontiguousarray(np.atleast_2d(variants), dtype=np.uint64)
    n = rows.shape[0]
    parts = min(_threads(threads), max(1, n // 65536))
    bounds = np.linspace(0, n, parts + 1).astype(np.int64)

    def run(k: int) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
        start, stop = int(bounds[k]), int(bounds[k + 1])
        capacity = 1024
        while True:
            index = np.empty(capacity, np.int64)
            dist = np.empty(capacity, np.int64)
            kernel = _scan4 if rows.shape[1] == 4 else _scan
            found = kernel(rows, variants, limit, start, stop, index, dist)
            if found <= capacity:
                return index[:found], dist[:found]
            capacity = found

    if parts == 1:
        return run(0)
    with ThreadPoolExecutor(parts) as pool:
        pieces = list(pool.map(run, range(parts)))
    return np.concatenate([p[0] for p in pieces]), np.concatenate([p[1] for p in pieces])


@compile_kernel
def _pairs(
    pdq: Any, phash: Any, near: int, match: int, ph_near: int, stripe: int, stripes: int, out: Any
) -> int:
    """Pairs i < j (rows striped over threads) with min-over-variants PDQ distance ≤ ``near``;
    out[:, 0:4] = i, j, PDQ distance, centre-pHash distance (min over its mirror)."""
    n = pdq.shape[0]
    found = 0
    for i in range(stripe, n, stripes):
        r0, r1, r2, r3 = pdq[i, 0, 0], pdq[i, 0, 1], pdq[i, 0, 2], pdq[i, 0, 3]
        for j in range(i + 1, n):
            best = 1 << 30
            for v in range(pdq.shape[1]):
                d = (
                    _popcount(r0 ^ pdq[j, v, 0])
                    + _popcount(r1 ^ pdq[j, v, 1])
                    + _popcount(r2 ^ pdq[j, v, 2])
                    + _popcount(r3 ^ pdq[j, v, 3])
                )
                best = min(best, d)
            if best > near:
                continue
            p = 1 << 30
            if best > match:
                for v in range(phash.shape[1]):
                    d = 0
                    for w in range(phash.shape[2]):
                        d += _popcount(phash[i, 0, w] ^ phash[j, v, w])
                    p = min(p, d)
                if p > ph_near:
                    continue
            if found < out.shape[0]:
                out[found, 0] = i
                out[found, 1] = j
                out[found, 2] = best
                out[found, 3] = p
            found += 1
    return found


def near_pairs(
    pdq: npt.NDArray[np.uint64],
    phash: npt.NDArray[np.uint64],
    *,
    match: int,
    near: int,
    phash_near: int,
    threads: int = 0,
) -> npt.NDArray[np.int64]:
    """Candidate pairs (i, j, pdq distance, phash distance) among n pictures: PDQ ≤ ``match``,
    or PDQ ≤ ``near`` with centre pHash ≤ ``phash_near`` (pHash distance 2**30 when not needed).

    ``pdq`` is (n, variants, 4) with the picture as shot in variant 0; ``phash`` (n, 2, words).
    """
    pdq = np.ascontiguousarray(pdq, dtype=np.uint64)
    phash = np.ascontiguousarray(phash, dtype=np.uint64)
    stripes = _threads(threads) if pdq.shape[0] > 2048 else 1

    def run(stripe: int) -> npt.NDArray[np.int64]:
        capacity = 4096
        while True:
            out = np.empty((capacity, 4), np.int64)
            found = _pairs(pdq, phash, near, match, phash_near, stripe, stripes, out)
            if found <= capacity:
                return out[:found]
            capacity = found

    if stripes == 1:
        return run(0)
    with ThreadPoolExecutor(stripes) as pool:
        return np.concatenate(list(pool.map(run, range(stripes))))


def colour_distance(
    thumbs: npt.NDArray[np.uint8],
    variants: npt.NDArray[np.uint8],
    i: npt.NDArray[np.int64],
    j: npt.NDArray[np.int64],
) -> npt.NDArray[np.float64]:
    """For each pair, the median over thumbnail cells of the largest channel difference, at the
    best of j's dihedral alignments (``variants``: (n, 8, 8, 8, 3))."""
    out = np.empty(len(i), np.float64)
    step = 4096
    for s in range(0, len(i), step):
        a = thumbs[i[s : s + step]].astype(np.int16)[:, None]  # (p, 1, 8, 8, 3)
        b = variants[j[s : s + step]].astype(np.int16)  # (p, 8, 8, 8, 3)
        cell = np.abs(a - b).max(axis=-1).reshape(len(a), 8, -1)
        out[s : s + step] = np.median(cell, axis=-1).min(axis=-1)
    return out


@compile_kernel
def _find(parent: Any, x: int) -> int:
    root = x
    while parent[root] != root:
        root = parent[root]
    while parent[x] != root:
        parent[x], x = root, parent[x]
    return root


@compile_kernel
def _union_all(parent: Any, i: Any, j: Any) -> None:
    for k in range(i.shape[0]):
        a, b = _find(parent, i[k]), _find(parent, j[k])
        if a != b:
            if a < b:
                parent[b] = a
            else:
                parent[a] = b


@compile_kernel
def _roots(parent: Any) -> Any:
    out = np.empty(parent.shape[0], np.int64)
    for x in range(parent.shape[0]):
        out[x] = _find(parent, x)
    return out


def components(n: int, i: npt.NDArray[np.int64], j: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    """Connected components of n nodes linked by pairs (i, j): each node's smallest member."""
    parent = np.arange(n, dtype=np.int64)
    _union_all(parent, np.asarray(i, np.int64), np.asarray(j, np.int64))
    roots: npt.NDArray[np.int64] = _roots(parent)
    return roots
