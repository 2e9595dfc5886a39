"""Member IDs by code: held on the driver, or left in the engine and fetched for the codes asked.

The kernels work on integer codes (a member's row id); IDs are needed only where a result names
someone: findings, issues, person links, network names. At 100M members the ID column is over a
gigabyte on the driver (and coding sponsors against it takes as much again), which is what kept
a 100M-member case from running on Spark beside its JVM on a 24 GB machine. :class:`EngineIds`
leaves the column in the engine and asks for the IDs of the codes a result names, with one join.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from numpy.typing import ArrayLike, NDArray

from sentinella.engine import Backend


class MemberIds(Protocol):
    """The ``member_id`` of each member code."""

    def take(self, codes: ArrayLike | pa.Array) -> pa.Array:
        """The IDs of ``codes``, in their order (a string array)."""

    def codes_of(self, ids: Sequence[str]) -> dict[str, int]:
        """The code of each of ``ids`` that names a member."""


class HeldIds:
    """The whole ID column, on the driver (small cases, and DuckDB, which shares its memory)."""

    def __init__(self, ids: pa.Array) -> None:
        self.ids = ids

    def take(self, codes: ArrayLike | pa.Array) -> pa.Array:
        return self.ids.take(codes if isinstance(codes, pa.Array) else pa.array(np.asarray(codes)))

    def codes_of(self, ids: Sequence[str]) -> dict[str, int]:
        wanted = pa.array(list(dict.fromkeys(ids)), pa.string())
        found = np.flatnonzero(pc.is_in(self.ids, value_set=wanted).to_numpy(zero_copy_only=False))
        return {str(self.ids[int(code)]): int(code) for code in found}


class EngineIds:
    """IDs left in the engine's ``members`` table, fetched by code when a result names them."""

    def __init__(self, backend: Backend) -> None:
        self.backend = backend

    def take(self, codes: ArrayLike | pa.Array) -> pa.Array:
        wanted = np.asarray(
            codes.to_numpy(zero_copy_only=False) if isinstance(codes, pa.Array) else codes, dtype=np.int64
        )
        if not wanted.size:
            return pa.array([], pa.string())
        distinct, back = np.unique(wanted, return_inverse=True)
        found = self._fetch(distinct)
        return found.take(pa.array(back.astype(np.int64)))

    def _fetch(self, distinct: NDArray[np.int64]) -> pa.Array:
        """The IDs of sorted distinct codes, in that order."""
        d = self.backend.dialect
        staged = self.backend.unique_name("wanted_codes")
        self.backend.register_arrow(staged, pa.table({"code": distinct}))
        try:
            table = self.backend.query(
                f"SELECT w.code, m.member_id FROM {staged} w JOIN members m ON {d.row_id('m')} = w.code "
                "ORDER BY w.code",
                step="pyramid: member IDs by code",
            )
        finally:
            self.backend.unregister(staged)
        got = np.asarray(table.column("code").to_numpy(), dtype=np.int64)
        if not np.array_equal(got, distinct):
            raise LookupError(f"{distinct.size - got.size:,} member codes name no row of members")
        return table.column("member_id").combine_chunks()

    def codes_of(self, ids: Sequence[str]) -> dict[str, int]:
        wanted = list(dict.fromkeys(ids))
        if not wanted:
            return {}
        staged = self.backend.unique_name("wanted_ids")
        self.backend.register_arrow(staged, pa.table({"member_id": pa.array(wanted, pa.string())}))
        try:
            rows = self.backend.query(
                f"SELECT m.member_id, {self.backend.dialect.row_id('m')} AS code FROM {staged} w "
                "JOIN members m ON m.member_id = w.member_id",
                step="pyramid: member codes by ID",
            ).to_pylist()
        finally:
            self.backend.unregister(staged)
        return {str(row["member_id"]): int(row["code"]) for row in rows}
