"""Coding string IDs: every lookup gets the position of the equal key, exactly."""

from __future__ import annotations

import itertools

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sentinella.idcodes import code_ids


def reference(keys: list[str | None], lookups: list[str | None]) -> list[int]:
    first: dict[str, int] = {}
    for position, key in enumerate(keys):
        if key is not None:
            first.setdefault(key, position)
    return [-1 if value is None else first.get(value, -1) for value in lookups]


def chunked(values: list[str | None], cuts: int, large: bool) -> pa.ChunkedArray:
    kind = pa.large_string() if large else pa.string()
    bounds = sorted({0, len(values), *(min(len(values), c) for c in range(0, len(values), max(cuts, 1)))})
    return pa.chunked_array(
        [pa.array(values[a:b], kind) for a, b in itertools.pairwise(bounds)] or [pa.array([], kind)],
        kind,
    )


ids = st.one_of(st.none(), st.text(max_size=6), st.sampled_from(["M1", "M10", "m1", "", "Müller", "会员1"]))


@settings(max_examples=200, deadline=None)
@given(
    keys=st.lists(ids, max_size=60),
    lookups=st.lists(ids, max_size=60),
    cuts=st.integers(1, 7),
    large=st.booleans(),
)
def test_matches_a_dictionary_lookup(
    keys: list[str | None], lookups: list[str | None], cuts: int, large: bool
) -> None:
    got = code_ids(chunked(keys, cuts, large), chunked(lookups, cuts + 2, not large))
    assert got.tolist() == reference(keys, lookups)


def test_lookups_may_be_keys_themselves() -> None:
    keys = pa.array([f"M{i:09d}" for i in range(50_000)])
    sponsors = pa.array([None] + [f"M{(i * 7919) % i:09d}" for i in range(1, 50_000)] + ["M999999999"])
    got = code_ids(keys, sponsors)
    assert got[0] == -1 and got[-1] == -1
    assert np.array_equal(got[1:-1], (np.arange(1, 50_000) * 7919) % np.arange(1, 50_000))


def test_sliced_arrays_are_read_from_their_offset() -> None:
    keys = pa.array(["x", "a", "b", "c"]).slice(1)
    assert code_ids(keys, pa.array(["c", "x", "a"]).slice(0)).tolist() == [2, -1, 0]


def test_non_strings_are_refused() -> None:
    with pytest.raises(TypeError, match="IDs must be strings"):
        code_ids(pa.array([1, 2]), pa.array(["1"]))


def test_a_shared_tag_falls_back_to_the_exact_walk() -> None:
    # Two keys whose first hashes share the 32-bit tag and the slot: the probe's first candidate
    # for the second key is the first key, which the check must reject and the walk correct.
    from sentinella import idcodes

    tag = np.uint64(0xABCDEF01) << np.uint64(32)
    first = np.array([tag | np.uint64(0x10), tag | np.uint64(0x20)], dtype=np.uint64)
    second = np.array([1, 2], dtype=np.uint64)
    for parts in (1, 2):
        table, shift = idcodes._new_table(2, parts)
        for part in range(parts):
            idcodes._build_compiled(first, second, np.ones(2, np.bool_), table, part, shift)
        out = np.full(3, -1, dtype=np.int64)
        look_first = np.array([first[1], first[0], tag | np.uint64(0x30)], dtype=np.uint64)
        look_second = np.array([2, 1, 3], dtype=np.uint64)
        idcodes._probe_compiled(
            table, shift, first, second, look_first, look_second, np.ones(3, np.bool_), out
        )
        assert out.tolist() == [1, 0, -1]


def test_no_keys_codes_nothing() -> None:
    assert code_ids(pa.array([], pa.string()), pa.array(["a", None])).tolist() == [-1, -1]
    assert code_ids(pa.array(["a"]), pa.chunked_array([], pa.string())).tolist() == []


def test_ids_sharing_both_hashes_are_still_told_apart(monkeypatch: pytest.MonkeyPatch) -> None:
    """Forced collisions: every ID of a length gets the same two hashes, so the table alone would
    code "M2" as "M1"; the byte check must find each lookup's own key (or none)."""
    from sentinella import idcodes

    def by_length_only(offsets: np.ndarray, data: np.ndarray, first: np.ndarray, second: np.ndarray) -> None:
        lengths = np.diff(offsets.astype(np.int64)).astype(np.uint64)
        first[:] = lengths * np.uint64(0x9E3779B97F4A7C15)
        second[:] = np.uint64(7)

    monkeypatch.setattr(idcodes, "_fingerprints_compiled", by_length_only)
    keys = ["M1", "M2", "M3", "M10", None, "M2", "X"]
    lookups = ["M3", "M2", "M1", "M4", "M10", "M11", None, "X", "Y", "M2"]
    for cuts in (1, 3, 10):
        got = code_ids(chunked(keys, cuts, False), chunked(lookups, cuts + 1, True))
        assert got.tolist() == reference(keys, lookups) == [2, 1, 0, -1, 3, -1, -1, 6, -1, 1]
