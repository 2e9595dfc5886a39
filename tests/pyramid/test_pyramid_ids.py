"""Member IDs by code: the held column and the engine lookup give the same answers."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sentinella.engine import DuckDBBackend
from sentinella.pyramid._ids import EngineIds, HeldIds

IDS = ["M3", "M1", "ä-7", "M2", "", "M10"]


@pytest.fixture(scope="module")
def backend() -> DuckDBBackend:
    duck = DuckDBBackend.in_memory()
    duck.write_table("members", pa.table({"member_id": pa.array(IDS, pa.string())}))
    return duck


@settings(max_examples=40, deadline=None)
@given(codes=st.lists(st.integers(0, len(IDS) - 1), max_size=20))
def test_take_names_each_code_in_order(backend: DuckDBBackend, codes: list[int]) -> None:
    expected = [IDS[c] for c in codes]
    assert HeldIds(pa.array(IDS)).take(np.array(codes, dtype=np.int64)).to_pylist() == expected
    assert EngineIds(backend).take(np.array(codes, dtype=np.int64)).to_pylist() == expected
    assert EngineIds(backend).take(pa.array(codes, pa.int64())).to_pylist() == expected


def test_codes_of_skips_unknown_ids(backend: DuckDBBackend) -> None:
    wanted = ["M2", "nobody", "M3", "M2"]
    assert HeldIds(pa.array(IDS)).codes_of(wanted) == {"M2": 3, "M3": 0}
    assert EngineIds(backend).codes_of(wanted) == {"M2": 3, "M3": 0}
    assert EngineIds(backend).codes_of([]) == {}


def test_a_code_without_a_member_is_an_error(backend: DuckDBBackend) -> None:
    with pytest.raises(LookupError, match="1 member codes name no row"):
        EngineIds(backend).take(np.array([0, 99]))
