"""Coding string IDs as integers (``sentinella.idcodes.code_ids``), and what its exactness costs.

    python benchmarks/idcodes.py --rows 5000000

Codes a sponsor column (each lookup a random member ID, 1% unknown) against the member IDs, best
of 3, CPU seconds of all threads beside wall time. Peers in the same run: the same table with no
exactness check (the floor), the check done the earlier way (Arrow's ``take`` and ``equal``), and
DuckDB's join of the two columns.
"""

from __future__ import annotations

import argparse
import os
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ingest_checks import best_of_3
from sentinella import idcodes


def _arrow_check(key_offsets: Any, key_data: Any, look_offsets: Any, look_data: Any, out: Any) -> int:
    """The check as it was: rebuild Arrow arrays from the buffers, take the keys, compare."""
    keys = pa.LargeStringArray.from_buffers(
        len(key_offsets) - 1,
        pa.py_buffer(np.ascontiguousarray(key_offsets, np.int64)),
        pa.py_buffer(key_data),
    )
    lookups = pa.LargeStringArray.from_buffers(
        len(look_offsets) - 1,
        pa.py_buffer(np.ascontiguousarray(look_offsets, np.int64)),
        pa.py_buffer(look_data),
    )
    hit = out >= 0
    same = pc.equal(keys.take(pa.array(out[hit])), lookups.filter(pa.array(hit)))
    differ = np.flatnonzero(hit)[~same.to_numpy(zero_copy_only=False)]
    out[differ] = -2
    return int(differ.size)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=5_000_000)
    args = parser.parse_args()
    n = args.rows
    rng = np.random.default_rng(7)
    keys = pa.array([f"M{i:09d}" for i in rng.permutation(n)], pa.string())
    picks = rng.integers(0, n, n)
    lookups = pc.take(keys, pa.array(picks))
    unknown = rng.random(n) < 0.01
    lookups = pc.if_else(pa.array(unknown), pa.scalar("X-unknown"), lookups)
    lookups = pa.chunked_array([lookups.slice(a, 1 << 20) for a in range(0, n, 1 << 20)])
    print(f"code_ids: {n:,} lookups into {n:,} keys, load average {os.getloadavg()[0]:.2f}")

    idcodes.code_ids(keys.slice(0, 1000), lookups.slice(0, 1000))  # compile or load the kernels
    exact = idcodes._verify_compiled
    figures: dict[str, tuple[float, float]] = {}
    reference = None
    for name, check in (
        ("code_ids (compiled check)", exact),
        ("no check (floor)", lambda *_: 0),
        ("Arrow take+equal check", _arrow_check),
    ):
        idcodes._verify_compiled = check
        try:
            cpu, wall, out = best_of_3(lambda: idcodes.code_ids(keys, lookups))
        finally:
            idcodes._verify_compiled = exact
        if reference is None:
            reference = out
        assert np.array_equal(out, reference), name
        figures[name] = (cpu, wall)

    connection = duckdb.connect()
    connection.register("k", pa.table({"id": keys, "code": pa.array(np.arange(n))}))
    connection.register("l", pa.table({"id": lookups, "row": pa.array(np.arange(n))}))
    cpu, wall, _ = best_of_3(
        lambda: connection.sql("SELECT l.row, k.code FROM l LEFT JOIN k USING (id)").to_arrow_table()
    )
    figures["DuckDB LEFT JOIN"] = (cpu, wall)

    own_cpu, own_wall = figures["code_ids (compiled check)"]
    print(f"{'':28} {'CPU s':>7} {'wall s':>7} {'CPU ratio':>10}")
    for name, (cpu, wall) in figures.items():
        print(f"{name:28} {cpu:7.2f} {wall:7.2f} {cpu / own_cpu:9.2f}x")
    floor_cpu = figures["no check (floor)"][0]
    extra = own_cpu - floor_cpu
    print(f"the exactness check costs {extra:.2f} s CPU ({extra / floor_cpu:.0%} over the floor)")
    print(f"code_ids wall {own_wall:.2f} s")


if __name__ == "__main__":
    main()
