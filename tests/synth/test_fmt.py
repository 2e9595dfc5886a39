"""The vectorised formatters agree with Python's own formatting."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from sentinella.synth import _fmt as F


@given(
    st.lists(st.integers(min_value=0, max_value=10**10 - 1), max_size=50),
    st.integers(min_value=1, max_value=10),
    st.sampled_from(["", "M", "+86 1"]),
    st.sampled_from(["", "X"]),
)
def test_fixed_matches_python(numbers: list[int], width: int, prefix: str, suffix: str) -> None:
    numbers = [n % 10**width for n in numbers]
    got = F.fixed(prefix, np.array(numbers, dtype=np.int64), width, suffix).to_pylist()
    assert got == [f"{prefix}{n:0{width}d}{suffix}" for n in numbers]


def test_scramble_is_a_bijection_and_identifiers_are_unique() -> None:
    keys = np.arange(300_000)
    assert len(np.unique(F.scramble(keys, 10, 1))) == len(keys)
    assert len(set(F.addresses(keys).to_pylist())) == len(keys)
    assert len(set(F.devices(keys).to_pylist())) == len(keys)


def test_money_is_exact_and_nulls_are_cheap() -> None:
    from decimal import Decimal

    assert F.money(np.array([1, -25_000, 123_456_789])).to_pylist() == [
        Decimal("0.0001"),
        Decimal("-2.5000"),
        Decimal("12345.6789"),
    ]
    arr = F.opt_ids("M", np.array([3, -1, 5]), 9)
    arr.validate(full=True)
    assert arr.to_pylist() == ["M000000003", None, "M000000005"]
