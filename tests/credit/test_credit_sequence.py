"""The 14-day and monthly-band pass (计分规则 1 and 2) against a step-by-step reference."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from sentinella.credit._sequence import count_sequence


def _reference(
    rows: list[tuple[int, int, int, int, int]], window: int, cap: int
) -> tuple[list[bool], list[bool]]:
    """rows: (pair, item, sign, day, month) in time order within each pair, pairs contiguous."""
    duplicate, capped = [], []
    last: dict[tuple[int, int, int], int] = {}  # (pair, item, sign) -> day of the last that counted
    net: dict[tuple[int, int], int] = {}  # (pair, month) -> counted net
    for pair, item, sign, day, month in rows:
        key = (pair, item, sign)
        if item >= 0 and sign != 0 and key in last and day - last[key] <= window:
            duplicate.append(True)
            capped.append(False)
            continue
        duplicate.append(False)
        proposed = net.get((pair, month), 0) + sign
        if abs(proposed) > cap:
            capped.append(True)
            continue
        capped.append(False)
        net[(pair, month)] = proposed
        if item >= 0 and sign != 0:
            last[key] = day
    return duplicate, capped


_row = st.tuples(st.integers(-1, 3), st.sampled_from([-1, 0, 1]), st.integers(0, 6))


@settings(max_examples=300, deadline=None)
@given(
    pairs=st.lists(st.lists(_row, min_size=1, max_size=25), min_size=1, max_size=6),
    window=st.integers(0, 20),
    cap=st.integers(0, 7),
)
def test_count_sequence_matches_the_reference(
    pairs: list[list[tuple[int, int, int]]], window: int, cap: int
) -> None:
    rows: list[tuple[int, int, int, int, int]] = []
    for p, pair in enumerate(pairs):
        day = 0
        for item, sign, gap in pair:
            day += gap  # time order within the pair; months of 10 days
            rows.append((p, item, sign, day, day // 10))
    start = np.array([i == 0 or rows[i][0] != rows[i - 1][0] for i in range(len(rows))])
    duplicate, capped = count_sequence(
        start,
        np.array([r[1] for r in rows]),
        np.array([r[2] for r in rows]),
        np.array([r[3] for r in rows]),
        np.array([r[4] for r in rows]),
        window=window,
        cap=cap,
    )
    expected = _reference(rows, window, cap)
    assert duplicate.tolist() == expected[0]
    assert capped.tolist() == expected[1]


def test_an_empty_sequence() -> None:
    empty = np.array([], dtype=np.int64)
    duplicate, capped = count_sequence(empty.astype(bool), empty, empty, empty, empty, window=14, cap=6)
    assert duplicate.size == capped.size == 0
