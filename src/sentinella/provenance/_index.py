"""The near-duplicate index: Hamming distances over packed 64-bit words, compiled and threaded.

A hash is a row of unsigned 64-bit words (PDQ: 4). With several query variants (the 8 dihedral
PDQ hashes, for mirrored or rotated copies) a row's distance is the smallest over the variants.

Two ways to find the rows within a distance, with the same answers:

- ``query`` scans every row once, XOR and popcount per word (rows split over threads; the
  kernels release the GIL). 10M PDQ hashes are 320 MB: one variant is memory-bound; with 8
  variants the scan first sums the two leading words of every variant and reads the other two
  only for rows that this partial distance does not already rule out.
- ``HashIndex`` is a multi-index hash: each hash is cut into 16-bit chunks and, per chunk, the
  rows are sorted by the chunk's value (postings). By the pigeonhole principle, a row within
  ``limit`` bits of a query agrees with it within ``limit // chunks`` bits on at least one chunk,
  so looking up each chunk's value and its neighbours within that radius yields every match
  (plus candidates that are then checked exactly). Its postings take 4 bytes per row and chunk.

Clustering within one case links the pairs that pass the thresholds with a union-find; the
pairs come from all pairs compared (small cases) or from the same chunk postings (large ones).
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
    """``_scan`` for 4-word (PDQ) rows, the words held in registers: the two leading words of
    every variant first (a straight-line loop the compiler vectorises); the other two only when
    that partial distance is within ``limit`` for some variant (for unrelated hashes it is not:
    128 random bits differ in 64 ± 6)."""
    found = 0
    for i in range(start, stop):
        r0, r1 = rows[i, 0], rows[i, 1]
        low = 1 << 30
        for v in range(queries.shape[0]):
            low = min(low, _popcount(r0 ^ queries[v, 0]) + _popcount(r1 ^ queries[v, 1]))
        if low > limit:
            continue
        r2, r3 = rows[i, 2], rows[i, 3]
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
def _link(
    pdq: Any, phash: Any, i: int, j: int, near: int, match: int, ph_near: int, out: Any, found: int
) -> int:
    """Write (i, j, PDQ distance, pHash distance) when the pair passes; returns the new count."""
    r0, r1, r2, r3 = pdq[i, 0, 0], pdq[i, 0, 1], pdq[i, 0, 2], pdq[i, 0, 3]
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
        return found
    p = 1 << 30
    if best > match:
        for v in range(phash.shape[1]):
            d = 0
            for w in range(phash.shape[2]):
                d += _popcount(phash[i, 0, w] ^ phash[j, v, w])
            p = min(p, d)
        if p > ph_near:
            return found
    if found < out.shape[0]:
        out[found, 0] = i
        out[found, 1] = j
        out[found, 2] = best
        out[found, 3] = p
    return found + 1


@compile_kernel
def _pairs(
    pdq: Any, phash: Any, near: int, match: int, ph_near: int, stripe: int, stripes: int, out: Any
) -> int:
    """Pairs i < j (rows striped over threads) with min-over-variants PDQ distance ≤ ``near``;
    out[:, 0:4] = i, j, PDQ distance, centre-pHash distance (min over its mirror)."""
    n = pdq.shape[0]
    found = 0
    for i in range(stripe, n, stripes):
        for j in range(i + 1, n):
            found = _link(pdq, phash, i, j, near, match, ph_near, out, found)
    return found


@compile_kernel
def _chunk(words: Any, c: int) -> int:
    """The c-th 16-bit chunk of a row of 64-bit words, most significant first."""
    return int((words[c // 4] >> np.uint64(48 - 16 * (c % 4))) & np.uint64(0xFFFF))


@compile_kernel
def _index_pairs(
    pdq: Any,
    phash: Any,
    p_order: Any,
    p_offsets: Any,
    p_masks: Any,
    h_order: Any,
    h_offsets: Any,
    h_masks: Any,
    near: int,
    match: int,
    ph_near: int,
    stripe: int,
    stripes: int,
    seen: Any,
    out: Any,
) -> int:
    """``_pairs`` through the chunk postings: for each picture j, the pictures i < j sharing a
    PDQ chunk (of any of j's variants) within the PDQ radius, or a centre-pHash chunk within the
    pHash radius whose distance for that variant passes the PDQ ``match`` (or the pHash
    ``ph_near``), each then checked once (``seen[i] == j``) with the exact rule."""
    n = pdq.shape[0]
    found = 0
    for j in range(stripe, n, stripes):
        for v in range(pdq.shape[1]):
            for c in range(p_order.shape[0]):
                key = _chunk(pdq[j, v], c)
                for m in range(p_masks.shape[0]):
                    k = key ^ p_masks[m]
                    for q in range(p_offsets[c, k], p_offsets[c, k + 1]):
                        i = p_order[c, q]
                        if i >= j or seen[i] == j:
                            continue
                        d = 0
                        for w in range(pdq.shape[2]):
                            d += _popcount(pdq[i, 0, w] ^ pdq[j, v, w])
                        if d <= match:  # else only the pHash rule can link them: its probe does
                            seen[i] = j
                            found = _link(pdq, phash, i, j, near, match, ph_near, out, found)
        for v in range(phash.shape[1]):
            for c in range(h_order.shape[0]):
                key = _chunk(phash[j, v], c)
                for m in range(h_masks.shape[0]):
                    k = key ^ h_masks[m]
                    for q in range(h_offsets[c, k], h_offsets[c, k + 1]):
                        i = h_order[c, q]
                        if i >= j or seen[i] == j:
                            continue
                        d = 0
                        for w in range(phash.shape[2]):
                            d += _popcount(phash[i, 0, w] ^ phash[j, v, w])
                        if d <= ph_near:
                            seen[i] = j
                            found = _link(pdq, phash, i, j, near, match, ph_near, out, found)
    return found


@compile_kernel
def _index_query(
    rows: Any,
    order: Any,
    offsets: Any,
    masks: Any,
    queries: Any,
    limit: int,
    chunk_start: int,
    chunk_step: int,
    out_index: Any,
    out_dist: Any,
) -> int:
    """Rows sharing a chunk (within the radius ``masks`` spans) with some query variant, checked
    against that variant and, when within ``limit``, given their distance to the nearest variant.
    A row can be written more than once (found through several chunks)."""
    words = rows.shape[1]
    found = 0
    for v in range(queries.shape[0]):
        for c in range(chunk_start, order.shape[0], chunk_step):
            key = _chunk(queries[v], c)
            for m in range(masks.shape[0]):
                k = key ^ masks[m]
                for q in range(offsets[c, k], offsets[c, k + 1]):
                    i = order[c, q]
                    d = 0
                    for w in range(words):
                        d += _popcount(rows[i, w] ^ queries[v, w])
                    if d > limit:
                        continue
                    for u in range(queries.shape[0]):
                        e = 0
                        for w in range(words):
                            e += _popcount(rows[i, w] ^ queries[u, w])
                        d = min(d, e)
                    if found < out_index.shape[0]:
                        out_index[found] = i
                        out_dist[found] = d
                    found += 1
    return found


CHUNK = 16
MAX_RADIUS = 2
"""Chunk radius up to which postings are probed (17 keys per chunk at 1, 137 at 2); above it
the candidates would outnumber a scan."""
INDEX_FROM = 20_000
"""Cases with at least this many pictures are clustered through the postings, not all pairs."""


def _masks(radius: int) -> npt.NDArray[np.int64]:
    """Every 16-bit mask with at most ``radius`` bits set."""
    every = np.arange(1 << CHUNK, dtype=np.uint16)
    return np.flatnonzero(np.bitwise_count(every) <= radius).astype(np.int64)


@compile_kernel
def _fill_postings(rows: Any, order: Any, offsets: Any, start: int, step: int) -> None:
    """A counting sort per chunk: offsets from the counts, then each row into its key's run."""
    n = rows.shape[0]
    for c in range(start, order.shape[0], step):
        for i in range(n):
            offsets[c, _chunk(rows[i], c) + 1] += 1
        for k in range(1, offsets.shape[1]):
            offsets[c, k] += offsets[c, k - 1]
        cursor = offsets[c, :-1].copy()
        for i in range(n):
            k = _chunk(rows[i], c)
            order[c, cursor[k]] = i
            cursor[k] += 1


def postings(
    rows: npt.NDArray[np.uint64], *, threads: int = 0
) -> tuple[npt.NDArray[np.int32], npt.NDArray[np.int64]]:
    """Per 16-bit chunk of (n, words) hashes: row numbers sorted by the chunk's value, and where
    each value's run starts (shape (chunks, 65537)); chunks split over threads."""
    rows = np.ascontiguousarray(rows, dtype=np.uint64)
    n, words = rows.shape
    chunks = words * 64 // CHUNK
    order = np.empty((chunks, n), np.int32)
    offsets = np.zeros((chunks, (1 << CHUNK) + 1), np.int64)
    parts = min(_threads(threads), chunks) if n >= 65536 else 1
    if parts == 1:
        _fill_postings(rows, order, offsets, 0, 1)
    else:
        with ThreadPoolExecutor(parts) as pool:
            list(pool.map(lambda k: _fill_postings(rows, order, offsets, k, parts), range(parts)))
    return order, offsets


class HashIndex:
    """Postings over (n, words) hashes for repeated queries (multi-index hashing, exact)."""

    def __init__(self, rows: npt.NDArray[np.uint64], *, threads: int = 0) -> None:
        self.rows = np.ascontiguousarray(rows, dtype=np.uint64)
        if self.rows.ndim != 2 or len(self.rows) >= 2**31:
            raise ValueError("an index holds (n, words) hashes, fewer than 2**31 rows")
        self.order, self.offsets = postings(self.rows, threads=threads)

    def query(
        self, variants: npt.NDArray[np.uint64], limit: int, *, threads: int = 0
    ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
        """The same answer as :func:`query` over the indexed rows: indices within ``limit`` bits
        of any variant and their distances, in row order. Scans instead when the chunk radius
        ``limit // chunks`` is above ``MAX_RADIUS``."""
        variants = np.ascontiguousarray(np.atleast_2d(variants), dtype=np.uint64)
        chunks = self.order.shape[0]
        radius = max(0, limit) // chunks
        if limit < 0 or radius > MAX_RADIUS:
            return query(self.rows, variants, limit, threads=threads)
        masks = _masks(radius)
        parts = min(_threads(threads), chunks)

        def run(k: int) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
            capacity = 1024
            while True:
                index = np.empty(capacity, np.int64)
                dist = np.empty(capacity, np.int64)
                found = _index_query(
                    self.rows, self.order, self.offsets, masks, variants, limit, k, parts, index, dist
                )
                if found <= capacity:
                    return index[:found], dist[:found]
                capacity = found

        if parts == 1:
            index, dist = run(0)
        else:
            with ThreadPoolExecutor(parts) as pool:
                pieces = list(pool.map(run, range(parts)))
            index = np.concatenate([p[0] for p in pieces])
            dist = np.concatenate([p[1] for p in pieces])
        unique, first = np.unique(index, return_index=True)
        return unique, dist[first]


def near_pairs(
    pdq: npt.NDArray[np.uint64],
    phash: npt.NDArray[np.uint64],
    *,
    match: int,
    near: int,
    phash_near: int,
    threads: int = 0,
    method: str = "auto",
) -> npt.NDArray[np.int64]:
    """Candidate pairs (i, j, pdq distance, phash distance) among n pictures: PDQ ≤ ``match``,
    or PDQ ≤ ``near`` with centre pHash ≤ ``phash_near`` (pHash distance 2**30 when not needed).

    ``pdq`` is (n, variants, 4) with the picture as shot in variant 0; ``phash`` (n, 2, words).
    ``method``: ``all_pairs`` compares every pair; ``index`` finds candidates through 16-bit
    chunk postings of PDQ (radius ``match // 16``) and of the pHash (radius ``phash_near //
    chunks``), the same pairs by the pigeonhole principle; ``auto`` takes the index from
    ``INDEX_FROM`` pictures when both radii are at most ``MAX_RADIUS``.
    """
    pdq = np.ascontiguousarray(pdq, dtype=np.uint64)
    phash = np.ascontiguousarray(phash, dtype=np.uint64)
    n = pdq.shape[0]
    p_radius = max(0, match) // (pdq.shape[2] * 64 // CHUNK)
    h_radius = max(0, phash_near) // (phash.shape[2] * 64 // CHUNK)
    indexable = min(match, phash_near) >= 0 and max(p_radius, h_radius) <= MAX_RADIUS
    if method not in ("auto", "all_pairs", "index"):
        raise ValueError(f"unknown method {method!r}")
    use_index = indexable and (method == "index" or (method == "auto" and n >= INDEX_FROM))
    stripes = _threads(threads) if n > 2048 else 1
    if use_index:
        p_order, p_offsets = postings(pdq[:, 0], threads=threads)
        h_order, h_offsets = postings(phash[:, 0], threads=threads)
        p_masks, h_masks = _masks(p_radius), _masks(h_radius)

    def run(stripe: int) -> npt.NDArray[np.int64]:
        capacity = 4096
        while True:
            out = np.empty((capacity, 4), np.int64)
            if use_index:
                seen = np.full(n, -1, np.int64)
                found = _index_pairs(
                    pdq, phash, p_order, p_offsets, p_masks, h_order, h_offsets, h_masks,
                    near, match, phash_near, stripe, stripes, seen, out,
                )  # fmt: skip
            else:
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
