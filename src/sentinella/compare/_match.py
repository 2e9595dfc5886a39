"""Listings → products: tokenise, block, score pairs, cluster with guards (no I/O here)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from ._kernels import blocking_keys, candidate_pairs, cluster, idf_weights, pair_features
from ._model import Scorer, default_scorer
from ._text import Tokens, normalise_gtin, tokenise


@dataclass
class Matches:
    """Each listing's product (the row index of one member), confidence, and what led there."""

    product: npt.NDArray[np.int64]
    confidence: npt.NDArray[np.float64]
    pairs: npt.NDArray[np.int64]
    scores: npt.NDArray[np.float64]
    refused: int
    tokens: Tokens
    timings: dict[str, float] = field(default_factory=dict)


def gtin_codes(gtins: pa.Array | pa.ChunkedArray) -> npt.NDArray[np.int64]:
    """Normalised GTINs as integer codes (-1 where missing or malformed)."""
    encoded = pc.dictionary_encode(normalise_gtin(gtins))
    return np.asarray(pc.fill_null(encoded.indices, -1).to_numpy(zero_copy_only=False), dtype=np.int64)


def match_listings(
    titles: pa.Array | pa.ChunkedArray,
    gtins: pa.Array | pa.ChunkedArray,
    price_cny: npt.NDArray[np.float64],
    *,
    embeddings: npt.NDArray[np.float32] | None = None,
    scorer: Scorer | None = None,
    window: int = 4,
) -> Matches:
    """Group listings that are the same product; ``price_cny`` may hold NaN for unknown prices."""
    import time

    timings: dict[str, float] = {}
    clock = time.perf_counter()
    model = scorer or default_scorer(embeddings=embeddings is not None)
    tokens = tokenise(titles)
    gtin = gtin_codes(gtins)
    n = tokens.n
    timings["tokenise"] = round(time.perf_counter() - clock, 3)
    clock = time.perf_counter()
    if n == 0:
        empty = np.zeros(0, dtype=np.int64)
        return Matches(empty, np.zeros(0), np.zeros((0, 2), dtype=np.int64), np.zeros(0), 0, tokens, timings)
    keys, owners = blocking_keys(tokens, gtin)
    text = normalise_titles_for_sort(titles)
    rank = np.empty(n, dtype=np.int64)
    order = pc.sort_indices(
        pa.table({"code": tokens.primary_code, "text": text}),
        sort_keys=[("code", "ascending"), ("text", "ascending")],
    ).to_numpy()
    rank[order] = np.arange(n)
    weak = (np.diff(tokens.code_indptr) == 0) & (gtin < 0)
    pairs = candidate_pairs(keys, owners, rank, weak, window=window)
    timings["blocking"] = round(time.perf_counter() - clock, 3)
    clock = time.perf_counter()
    features = pair_features(pairs, tokens, gtin, price_cny, embeddings, idf_weights(tokens))
    scores = model.score(features)
    timings["scoring"] = round(time.perf_counter() - clock, 3)
    clock = time.perf_counter()
    product, confidence, refused = cluster(n, pairs, scores, tokens, gtin, model.threshold)
    timings["clustering"] = round(time.perf_counter() - clock, 3)
    return Matches(product, confidence, pairs, scores, refused, tokens, timings)


def normalise_titles_for_sort(titles: pa.Array | pa.ChunkedArray) -> pa.Array:
    from ._text import normalise

    return normalise(titles)
