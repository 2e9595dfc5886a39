"""Pure array kernels of product matching: candidate pairs, pair features, guarded clustering.

Nothing here is quadratic in the number of listings:

- :func:`candidate_pairs` — each blocking key (a GTIN, a model number, a listing's rarest words)
  groups listings; inside a group, each listing is paired with its next ``window`` neighbours in
  a sorted order (sorted neighbourhood), and in small groups a listing with neither model number
  nor GTIN is paired with every member (it has no strong key to be found by otherwise);
- :func:`pair_features` — per pair, from the CSR token arrays (numba);
- :func:`cluster` — union-find over the pairs in descending score, refusing any merge that would
  put two GTINs, two model numbers or two quantities of one unit (other capacity) in one product:
  the guard against chaining A~B~C into one product when A and C are plainly different.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

from sentinella._compile import compile_kernel

from ._text import Tokens

FEATURES: tuple[str, ...] = (
    "gtin_same",
    "gtin_conflict",
    "code_shared",
    "code_conflict",
    "code_one_side",
    "idf_cosine",
    "qty_shared",
    "qty_conflict",
    "price_log_ratio",
    "embedding_cosine",
    "idf_containment",
    "number_shared",
    "number_conflict",
)
"""The pair features, in column order (``embedding_cosine`` is 0 without the embedding model)."""


def candidate_pairs(
    keys: npt.NDArray[np.int64],
    owners: npt.NDArray[np.int64],
    sort_rank: npt.NDArray[np.int64],
    weak: npt.NDArray[np.bool_],
    *,
    window: int = 4,
    full_block: int = 48,
) -> npt.NDArray[np.int64]:
    """Unique pairs (a < b) of listings that share a blocking key, as an (m, 2) array.

    ``keys[i]`` is the block of entry i, ``owners[i]`` its listing; ``sort_rank`` orders listings
    inside a block (similar listings adjacent); ``weak`` marks listings without model number or
    GTIN, which in blocks of at most ``full_block`` entries meet every member.
    """
    if len(keys) == 0:
        return np.zeros((0, 2), dtype=np.int64)
    order = np.lexsort((sort_rank[owners], keys))
    k, o = keys[order], owners[order]
    parts: list[npt.NDArray[np.int64]] = []
    for d in range(1, window + 1):
        same = k[d:] == k[:-d]
        parts.append(np.stack([o[:-d][same], o[d:][same]], axis=1))
    # Small blocks: every weak member against every member.
    starts = np.flatnonzero(np.r_[True, k[1:] != k[:-1]])
    sizes = np.diff(np.r_[starts, len(k)])
    block_of = np.repeat(np.arange(len(starts)), sizes)
    small = (sizes[block_of] <= full_block) & (sizes[block_of] > window + 1) & weak[o]
    rows = np.flatnonzero(small)
    if len(rows):
        reps = sizes[block_of[rows]]
        left = np.repeat(o[rows], reps)
        first = starts[block_of[rows]]
        offsets = np.arange(int(reps.sum())) - np.repeat(np.cumsum(reps) - reps, reps)
        right = o[np.repeat(first, reps) + offsets]
        parts.append(np.stack([left, right], axis=1))
    pairs = np.concatenate(parts)
    pairs = pairs[pairs[:, 0] != pairs[:, 1]]
    lo, hi = np.minimum(pairs[:, 0], pairs[:, 1]), np.maximum(pairs[:, 0], pairs[:, 1])
    n = int(owners.max()) + 1
    code = np.unique(lo * n + hi)
    return np.stack([code // n, code % n], axis=1)


def blocking_keys(
    tokens: Tokens, gtin_code: npt.NDArray[np.int64], rare_words: int = 2
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """(key, listing) entries: GTIN, every model number, and each listing's rarest shared words.

    Keys of different kinds never collide: GTIN codes are offset past the vocabulary.
    """
    n = tokens.n
    vocab = len(tokens.df)
    keys: list[npt.NDArray[np.int64]] = []
    owners: list[npt.NDArray[np.int64]] = []
    has = gtin_code >= 0
    keys.append(gtin_code[has] + vocab)
    owners.append(np.flatnonzero(has).astype(np.int64))
    code_owner = np.repeat(np.arange(n, dtype=np.int64), np.diff(tokens.code_indptr))
    keys.append(tokens.code_ids)
    owners.append(code_owner)
    # Rarest words (document frequency at least 2: a word no one else uses finds no one).
    owner = np.repeat(np.arange(n, dtype=np.int64), np.diff(tokens.indptr))
    df = tokens.df[tokens.ids]
    usable = df >= 2
    order = np.lexsort((tokens.ids[usable], df[usable], owner[usable]))
    o, t = owner[usable][order], tokens.ids[usable][order]
    if len(o):
        rank = np.arange(len(o)) - np.r_[0, np.flatnonzero(o[1:] != o[:-1]) + 1].repeat(
            np.diff(np.r_[0, np.flatnonzero(o[1:] != o[:-1]) + 1, len(o)])
        )
        pick = rank < rare_words
        keys.append(t[pick])
        owners.append(o[pick])
    return np.concatenate(keys), np.concatenate(owners)


@compile_kernel
def _intersect(
    indptr: npt.NDArray[np.int64], ids: npt.NDArray[np.int64], a: int, b: int
) -> int:  # pragma: no cover - compiled
    i, j = indptr[a], indptr[b]
    ei, ej = indptr[a + 1], indptr[b + 1]
    shared = 0
    while i < ei and j < ej:
        if ids[i] == ids[j]:
            shared += 1
            i += 1
            j += 1
        elif ids[i] < ids[j]:
            i += 1
        else:
            j += 1
    return shared


@compile_kernel
def _qty_compare(
    indptr: npt.NDArray[np.int64],
    unit: npt.NDArray[np.int64],
    value: npt.NDArray[np.float64],
    a: int,
    b: int,
) -> tuple[int, int]:  # pragma: no cover - compiled
    """(shared, conflict): a unit both state with an equal value / only with different values."""
    shared = 0
    conflict = 0
    for i in range(indptr[a], indptr[a + 1]):
        seen = False
        equal = False
        for j in range(indptr[b], indptr[b + 1]):
            if unit[j] == unit[i]:
                seen = True
                if abs(value[j] - value[i]) <= 1e-9 * max(1.0, abs(value[i])):
                    equal = True
        if equal:
            shared += 1
        elif seen:
            conflict += 1
    return shared, conflict


@compile_kernel
def _features(
    pairs: npt.NDArray[np.int64],
    indptr: npt.NDArray[np.int64],
    ids: npt.NDArray[np.int64],
    idf: npt.NDArray[np.float64],
    norm: npt.NDArray[np.float64],
    code_indptr: npt.NDArray[np.int64],
    code_ids: npt.NDArray[np.int64],
    qty_indptr: npt.NDArray[np.int64],
    qty_unit: npt.NDArray[np.int64],
    qty_value: npt.NDArray[np.float64],
    gtin: npt.NDArray[np.int64],
    log_price: npt.NDArray[np.float64],
    is_number: npt.NDArray[np.bool_],
    out: npt.NDArray[np.float64],
) -> None:  # pragma: no cover - compiled
    for p in range(pairs.shape[0]):
        a, b = pairs[p, 0], pairs[p, 1]
        if gtin[a] >= 0 and gtin[b] >= 0:
            if gtin[a] == gtin[b]:
                out[p, 0] = 1.0
            else:
                out[p, 1] = 1.0
        ca = code_indptr[a + 1] - code_indptr[a]
        cb = code_indptr[b + 1] - code_indptr[b]
        if ca > 0 and cb > 0:
            if _intersect(code_indptr, code_ids, a, b) > 0:
                out[p, 2] = 1.0
            else:
                out[p, 3] = 1.0
        elif ca > 0 or cb > 0:
            out[p, 4] = 1.0
        # IDF-weighted cosine of the binary token sets.
        i, j = indptr[a], indptr[b]
        ei, ej = indptr[a + 1], indptr[b + 1]
        dot = 0.0
        numbers_a = 0
        numbers_b = 0
        numbers_shared = 0
        while i < ei and j < ej:
            if ids[i] == ids[j]:
                w = idf[ids[i]]
                dot += w * w
                if is_number[ids[i]]:
                    numbers_a += 1
                    numbers_b += 1
                    numbers_shared += 1
                i += 1
                j += 1
            elif ids[i] < ids[j]:
                if is_number[ids[i]]:
                    numbers_a += 1
                i += 1
            else:
                if is_number[ids[j]]:
                    numbers_b += 1
                j += 1
        while i < ei:
            if is_number[ids[i]]:
                numbers_a += 1
            i += 1
        while j < ej:
            if is_number[ids[j]]:
                numbers_b += 1
            j += 1
        if norm[a] > 0 and norm[b] > 0:
            out[p, 5] = dot / (norm[a] * norm[b])
            out[p, 10] = dot / min(norm[a] * norm[a], norm[b] * norm[b])
        out[p, 11] = 1.0 if numbers_shared > 0 else 0.0
        out[p, 12] = 1.0 if numbers_a > 0 and numbers_b > 0 and numbers_shared == 0 else 0.0
        shared, conflict = _qty_compare(qty_indptr, qty_unit, qty_value, a, b)
        out[p, 6] = 1.0 if shared > 0 else 0.0
        out[p, 7] = 1.0 if conflict > 0 else 0.0
        if not (math.isnan(log_price[a]) or math.isnan(log_price[b])):
            out[p, 8] = min(abs(log_price[a] - log_price[b]), 3.0)


def number_tokens(tokens: Tokens) -> npt.NDArray[np.bool_]:
    """Which token ids are plain numbers ("24", "2007", "7.0"): versions, sizes, stages."""
    import pyarrow.compute as pc

    found = pc.match_substring_regex(tokens.vocabulary, r"^w:\d+(\.\d+)?$")
    return np.asarray(found.to_numpy(zero_copy_only=False), dtype=np.bool_)


def idf_weights(tokens: Tokens) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Each token's IDF and each listing's norm (for the cosine)."""
    idf = np.log((tokens.n + 1.0) / (tokens.df + 1.0)) + 1.0
    squares = idf[tokens.ids] ** 2
    sums = np.zeros(tokens.n, dtype=np.float64)
    np.add.at(sums, np.repeat(np.arange(tokens.n), np.diff(tokens.indptr)), squares)
    return idf, np.sqrt(sums)


def pair_features(
    pairs: npt.NDArray[np.int64],
    tokens: Tokens,
    gtin_code: npt.NDArray[np.int64],
    price: npt.NDArray[np.float64],
    embeddings: npt.NDArray[np.float32] | None = None,
    idf: tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]] | None = None,
) -> npt.NDArray[np.float64]:
    """The :data:`FEATURES` of every pair, as an (m, len(FEATURES)) matrix."""
    weights, norm = idf if idf is not None else idf_weights(tokens)
    out = np.zeros((len(pairs), len(FEATURES)), dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        log_price = np.where(price > 0, np.log(price), np.nan)
    _features(
        np.ascontiguousarray(pairs, dtype=np.int64),
        tokens.indptr,
        tokens.ids,
        weights,
        norm,
        tokens.code_indptr,
        tokens.code_ids,
        tokens.qty_indptr,
        tokens.qty_unit,
        tokens.qty_value,
        gtin_code.astype(np.int64),
        log_price.astype(np.float64),
        number_tokens(tokens),
        out,
    )
    if embeddings is not None and len(pairs):
        for start in range(0, len(pairs), 1 << 20):
            chunk = pairs[start : start + (1 << 20)]
            out[start : start + len(chunk), 9] = np.einsum(
                "ij,ij->i", embeddings[chunk[:, 0]], embeddings[chunk[:, 1]]
            )
    return out


@compile_kernel
def _find(parent: npt.NDArray[np.int64], x: int) -> int:  # pragma: no cover - compiled
    root = x
    while parent[root] != root:
        root = parent[root]
    while parent[x] != root:
        parent[x], x = root, parent[x]
    return root


@compile_kernel
def _union_guarded(
    pairs: npt.NDArray[np.int64],
    score: npt.NDArray[np.float64],
    order: npt.NDArray[np.int64],
    threshold: float,
    gtin: npt.NDArray[np.int64],
    code_indptr: npt.NDArray[np.int64],
    code_ids: npt.NDArray[np.int64],
    qty_indptr: npt.NDArray[np.int64],
    qty_unit: npt.NDArray[np.int64],
    qty_value: npt.NDArray[np.float64],
    parent: npt.NDArray[np.int64],
    rep_gtin: npt.NDArray[np.int64],
    rep_code: npt.NDArray[np.int64],
    rep_qty: npt.NDArray[np.int64],
    best: npt.NDArray[np.float64],
    joined: npt.NDArray[np.float64],
) -> int:  # pragma: no cover - compiled
    refused = 0
    for k in range(order.shape[0]):
        p = order[k]
        a, b = pairs[p, 0], pairs[p, 1]
        s = score[p]
        if s > best[a]:
            best[a] = s
        if s > best[b]:
            best[b] = s
        if s < threshold:
            continue
        ra, rb = _find(parent, a), _find(parent, b)
        if ra == rb:
            if s > joined[a]:
                joined[a] = s
            if s > joined[b]:
                joined[b] = s
            continue
        ga, gb = rep_gtin[ra], rep_gtin[rb]
        same_gtin = ga >= 0 and ga == gb
        if ga >= 0 and gb >= 0 and ga != gb:
            refused += 1
            continue
        if not same_gtin:
            xa, xb = rep_code[ra], rep_code[rb]
            if xa >= 0 and xb >= 0 and _intersect(code_indptr, code_ids, xa, xb) == 0:
                refused += 1
                continue
            qa, qb = rep_qty[ra], rep_qty[rb]
            if qa >= 0 and qb >= 0 and _qty_compare(qty_indptr, qty_unit, qty_value, qa, qb)[1] > 0:
                refused += 1
                continue
        parent[rb] = ra
        if rep_gtin[ra] < 0:
            rep_gtin[ra] = gb
        if rep_code[ra] < 0:
            rep_code[ra] = rep_code[rb]
        if rep_qty[ra] < 0:
            rep_qty[ra] = rep_qty[rb]
        if s > joined[a]:
            joined[a] = s
        if s > joined[b]:
            joined[b] = s
    return refused


def cluster(
    n: int,
    pairs: npt.NDArray[np.int64],
    score: npt.NDArray[np.float64],
    tokens: Tokens,
    gtin_code: npt.NDArray[np.int64],
    threshold: float,
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float64], int]:
    """Products as root listing per listing, a confidence per listing, and merges refused.

    Confidence is the score of the strongest accepted pair that ties a listing to its product,
    or, for a listing alone, one minus the score of its most similar candidate.
    """
    parent = np.arange(n, dtype=np.int64)
    rep_gtin = gtin_code.astype(np.int64).copy()
    has_code = np.diff(tokens.code_indptr) > 0
    rep_code = np.where(has_code, np.arange(n), -1).astype(np.int64)
    has_qty = np.diff(tokens.qty_indptr) > 0
    rep_qty = np.where(has_qty, np.arange(n), -1).astype(np.int64)
    best = np.zeros(n, dtype=np.float64)
    joined = np.zeros(n, dtype=np.float64)
    order = np.argsort(-score, kind="stable").astype(np.int64)
    refused = _union_guarded(
        np.ascontiguousarray(pairs, dtype=np.int64),
        score.astype(np.float64),
        order,
        float(threshold),
        gtin_code.astype(np.int64),
        tokens.code_indptr,
        tokens.code_ids,
        tokens.qty_indptr,
        tokens.qty_unit,
        tokens.qty_value,
        parent,
        rep_gtin,
        rep_code,
        rep_qty,
        best,
        joined,
    )
    roots = _roots(parent)
    size = np.bincount(roots, minlength=n)
    confidence = np.where(size[roots] > 1, joined, 1.0 - best)
    return roots, confidence, int(refused)


@compile_kernel
def _roots_loop(parent: npt.NDArray[np.int64]) -> None:  # pragma: no cover - compiled
    for i in range(parent.shape[0]):
        parent[i] = _find(parent, i)


def _roots(parent: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    out = parent.copy()
    _roots_loop(out)
    return out
