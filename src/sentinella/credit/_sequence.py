"""The two rules that depend on which earlier ratings counted, as one sequential pass.

Taobao's counting rules 2) and 1) (quoted in docs/legal-credit.md):

- the same item between the same buyer and seller within 14 days: several positives count
  +1 once and several negatives −1 once. Each sign keeps its own window, anchored on the last
  rating of that sign that counted: a rating more than ``window`` days after it counts and opens
  a new window (a purchase every 10 days counts on days 0, 20, 40, ...).
- per buyer–seller pair and calendar month the counted net stays within ±``cap``: a rating that
  would leave the band is not scored (a running sum, so a negative makes room again).

Whether a rating counts under one rule depends on what counted before it under both, so the
rows of a pair are walked once in time order. The rows come sorted by pair and time from the
engine; per pair, items are small integers (their rank within the pair), so the last counted
day of each (item, sign) lives in two scratch arrays reset at each pair: O(rows) in all, one
compiled loop.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from sentinella._compile import compile_kernel

_NONE = -(1 << 40)  # "no counted rating yet": further back than any window


def _walk(
    start: NDArray[np.bool_],
    item: NDArray[np.int64],
    sign: NDArray[np.int64],
    day: NDArray[np.int64],
    month: NDArray[np.int64],
    window: int,
    cap: int,
    last_positive: NDArray[np.int64],
    last_negative: NDArray[np.int64],
    duplicate: NDArray[np.bool_],
    capped: NDArray[np.bool_],
) -> None:
    n = start.shape[0]
    first = 0
    total = 0
    current = 0
    for i in range(n):
        if start[i] or i == 0:
            for j in range(first, i):  # forget the previous pair's items
                if item[j] >= 0:
                    last_positive[item[j]] = _NONE
                    last_negative[item[j]] = _NONE
            first = i
            total = 0
            current = month[i]
        elif month[i] != current:
            total = 0
            current = month[i]
        s = sign[i]
        k = item[i]
        if k >= 0:
            if s > 0 and day[i] - last_positive[k] <= window:
                duplicate[i] = True
                continue
            if s < 0 and day[i] - last_negative[k] <= window:
                duplicate[i] = True
                continue
        proposed = total + s
        if proposed > cap or proposed < -cap:
            capped[i] = True
            continue
        total = proposed
        if k >= 0:
            if s > 0:
                last_positive[k] = day[i]
            elif s < 0:
                last_negative[k] = day[i]


_walk_compiled = compile_kernel(_walk)


def count_sequence(
    start: NDArray[np.bool_],
    item: NDArray[np.int64],
    sign: NDArray[np.int64],
    day: NDArray[np.int64],
    month: NDArray[np.int64],
    *,
    window: int,
    cap: int,
) -> tuple[NDArray[np.bool_], NDArray[np.bool_]]:
    """Which ratings are duplicates (same item and sign within ``window`` days of the last one
    that counted) and which are capped (would take the pair-month's net outside ±``cap``).

    Rows are sorted by pair, then time; ``start`` marks each pair's first row; ``item`` is the
    item's rank within its pair (−1: unknown item, never a duplicate); ``sign`` is +1/0/−1;
    ``day`` and ``month`` are the local day and month of the trade's creation.
    """
    n = int(start.shape[0])
    duplicate = np.zeros(n, dtype=np.bool_)
    capped = np.zeros(n, dtype=np.bool_)
    if n == 0:
        return duplicate, capped
    items = np.asarray(item, dtype=np.int64)
    width = int(items.max()) + 1 if items.size else 0
    last_positive = np.full(max(width, 1), _NONE, dtype=np.int64)
    last_negative = np.full(max(width, 1), _NONE, dtype=np.int64)
    _walk_compiled(
        np.asarray(start, dtype=np.bool_),
        items,
        np.asarray(sign, dtype=np.int64),
        np.asarray(day, dtype=np.int64),
        np.asarray(month, dtype=np.int64),
        int(window),
        int(cap),
        last_positive,
        last_negative,
        duplicate,
        capped,
    )
    return duplicate, capped
