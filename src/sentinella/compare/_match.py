"""Listings → products: tokenise, block, score pairs, cluster with guards (no I/O here)."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from sentinella._timing import lap

from ._kernels import blocking_keys, candidate_pairs, cluster, idf_weights, pair_features
from ._model import Scorer, default_scorer
from ._text import Tokens, normalise, normalise_gtin, tokenise


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


@dataclass
class Candidates:
    """Blocked candidate pairs and their features (before any scorer is applied)."""

    tokens: Tokens
    gtin: npt.NDArray[np.int64]
    pairs: npt.NDArray[np.int64]
    features: npt.NDArray[np.float64]
    timings: dict[str, float]


def candidates(
    titles: pa.Array | pa.ChunkedArray,
    gtins: pa.Array | pa.ChunkedArray,
    price_cny: npt.NDArray[np.float64],
    *,
    embeddings: npt.NDArray[np.float32] | None = None,
    window: int = 4,
) -> Candidates:
    """Tokenise, block and compute the pair features (also what the default weights are fitted on)."""
    timings: dict[str, float] = {}
    clock = time.perf_counter()
    text = normalise(titles)
    tokens = tokenise(titles)
    gtin = gtin_codes(gtins)
    n = tokens.n
    clock = lap(timings, "tokenise", clock)
    keys, owners = blocking_keys(tokens, gtin)
    rank = np.empty(n, dtype=np.int64)
    order = pc.sort_indices(
        pa.table({"code": tokens.primary_code, "text": text}),
        sort_keys=[("code", "ascending"), ("text", "ascending")],
    ).to_numpy()
    rank[order] = np.arange(n)
    weak = (np.diff(tokens.code_indptr) == 0) & (gtin < 0)
    pairs = candidate_pairs(keys, owners, rank, weak, window=window)
    clock = lap(timings, "blocking", clock)
    features = pair_features(pairs, tokens, gtin, price_cny, embeddings, idf_weights(tokens))
    lap(timings, "features", clock)
    return Candidates(tokens, gtin, pairs, features, timings)


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
    model = scorer or default_scorer(embeddings=embeddings is not None)
    found = candidates(titles, gtins, price_cny, embeddings=embeddings, window=window)
    timings = dict(found.timings)
    clock = time.perf_counter()
    scores = model.score(found.features)
    clock = lap(timings, "scoring", clock)
    n = found.tokens.n
    product, confidence, refused = cluster(n, found.pairs, scores, found.tokens, found.gtin, model.threshold)
    lap(timings, "clustering", clock)
    return Matches(product, confidence, found.pairs, scores, refused, found.tokens, timings)
