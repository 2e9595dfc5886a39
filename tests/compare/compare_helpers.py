"""Small hand-written listings for the comparison tests, and a pairwise F1 against truth."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from sentinella.compare import Matches, match_listings


def match(
    titles: list[str | None], gtins: list[str | None] | None = None, prices: list[float] | None = None
) -> Matches:
    n = len(titles)
    price = np.array(prices if prices is not None else [100.0] * n, dtype=np.float64)
    return match_listings(pa.array(titles, pa.string()), pa.array(gtins or [None] * n, pa.string()), price)


def together(matches: Matches, a: int, b: int) -> bool:
    return bool(matches.product[a] == matches.product[b])


def pairwise_f1(predicted: npt.NDArray[np.int64], truth: npt.NDArray[np.int64]) -> tuple[float, float, float]:
    """Precision, recall and F1 over all pairs of listings put in one product."""

    def pairs(labels: npt.NDArray[np.int64]) -> int:
        _, counts = np.unique(labels, return_counts=True)
        return int((counts * (counts - 1) // 2).sum())

    both = pairs(predicted.astype(np.int64) * (int(truth.max()) + 1) + truth)
    found, planted = pairs(predicted), pairs(truth)
    precision = both / found if found else 1.0
    recall = both / planted if planted else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1
