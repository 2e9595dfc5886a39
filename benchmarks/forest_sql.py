"""The forest figures in SQL (``forest_in_engine``) beside the numpy/numba kernel on the driver.

A random wide forest: each member's sponsor uniform among earlier members (a random recursive
tree, ~e·ln n levels), 1% roots, a few cycles of length 1..5 with trees below them, codes
shuffled as a dictionary encoding would leave them; an integer and a float value column. Timed:

  kernel:          ``analyse_forest`` on the arrays (numba when installed, else numpy)
  duckdb engine:   ``forest_in_engine(mode="engine")`` over a DuckDB table (SQL path)
  duckdb driver:   ``forest_in_engine(mode="driver")``: collect, kernel, write the table back
  spark engine:    the SQL path on local Spark (``--spark``; at most 100k members here)

Every run's figures are checked against the kernel's before its time is printed.

    .venv/bin/python benchmarks/forest_sql.py                    # 1M members
    .venv/bin/python benchmarks/forest_sql.py --members 2e5 --spark 5e4
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pyarrow as pa

from sentinella.engine import Backend, DuckDBBackend, EngineSettings
from sentinella.pyramid._forest import ForestMetrics, SponsorCheck, analyse_forest
from sentinella.pyramid._forest_sql import forest_in_engine, read_forest

SPARK_CAP = 100_000  # a 2-core machine: Spark beyond this only measures its own overhead


def make_forest(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray, dict[str, np.ndarray]]:
    rng = np.random.default_rng(seed)
    ordered = (rng.random(n) * np.arange(n)).astype(np.int64)
    ordered[rng.random(n) < 0.01] = -1
    ordered[0] = -1
    perm = rng.permutation(n)
    parent = np.full(n, -1, dtype=np.int64)
    has = ordered >= 0
    parent[perm[has]] = perm[ordered[has]]
    # a few cycles among members nobody recruited... they then carry whatever hangs below them
    for length in (1, 2, 3, 5, 5):
        members = rng.choice(n, size=length, replace=False)
        parent[members] = np.roll(members, -1)
    join = rng.integers(0, n // 10 + 1, size=n)
    values = {"sales": rng.integers(0, 10**9, size=n), "fee": rng.random(n)}
    return parent, join, values


def arrow(parent: np.ndarray, join: np.ndarray, values: dict[str, np.ndarray]) -> pa.Table:
    n = parent.shape[0]
    return pa.table({"code": np.arange(n, dtype=np.int64), "parent": parent, "join_order": join, **values})


def same(got: tuple[SponsorCheck, ForestMetrics], want: tuple[SponsorCheck, ForestMetrics]) -> None:
    (gc, gm), (wc, wm) = got, want
    for name in ("parent", "cut", "cycle_id", "into_cycle"):
        assert np.array_equal(getattr(gc, name), getattr(wc, name)), name
    for name in ("root", "level", "direct_recruits", "downline", "depth_below"):
        assert np.array_equal(getattr(gm, name), getattr(wm, name)), name
    assert np.array_equal(gm.sums["sales"], wm.sums["sales"])
    np.testing.assert_allclose(gm.sums["fee"], wm.sums["fee"], rtol=1e-9)


def timed_engine(
    backend: Backend, table: pa.Table, mode: str, want: tuple[SponsorCheck, ForestMetrics]
) -> float:
    backend.register_arrow("bench_arrow", table)
    backend.execute("CREATE OR REPLACE TEMP TABLE bench_src AS SELECT * FROM bench_arrow")
    backend.unregister("bench_arrow")
    started = time.perf_counter()
    run = forest_in_engine(backend, "bench_src", values=("sales", "fee"), prefix="bench", mode=mode)  # type: ignore[arg-type]
    seconds = time.perf_counter() - started
    print(f"    {run.describe()} ({run.levels} levels, {run.rounds} rounds, {run.statements} statements)")
    same(read_forest(backend, run, ("sales", "fee")), want)
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--members", type=float, default=1e6)
    parser.add_argument("--threads", type=int, default=0, help="DuckDB threads (0: all cores)")
    parser.add_argument(
        "--spark", type=float, default=0, help=f"also Spark at this size (at most {SPARK_CAP:,})"
    )
    args = parser.parse_args()
    n = int(args.members)
    parent, join, values = make_forest(n)
    table = arrow(parent, join, values)

    analyse_forest(make_forest(100)[0], join_order=join[:100])  # compile (numba) outside the timing
    started = time.perf_counter()
    want = analyse_forest(parent, join_order=join, values=values)
    kernel = time.perf_counter() - started
    print(f"{n:,} members, {int(want[1].level.max())} levels, {want[0].n_cycles} cycles")
    print(f"  kernel (analyse_forest):       {kernel:8.3f} s")

    duck = DuckDBBackend.in_memory(EngineSettings(threads=args.threads))
    engine = timed_engine(duck, table, "engine", want)
    print(f"  duckdb forest_in_engine SQL:   {engine:8.3f} s   ratio SQL/kernel {engine / kernel:6.1f}x")
    driver = timed_engine(duck, table, "driver", want)
    print(f"  duckdb forest_in_engine driver:{driver:8.3f} s   ratio driver/kernel {driver / kernel:6.1f}x")

    if args.spark:
        from sentinella.engine import SparkBackend, local_session

        m = min(int(args.spark), SPARK_CAP)
        sp, sj, sv = make_forest(m, seed=1)
        small_want = analyse_forest(sp, join_order=sj, values=sv)
        started = time.perf_counter()
        small_kernel = analyse_forest(sp, join_order=sj, values=sv)
        small_kernel_s = time.perf_counter() - started
        del small_kernel
        spark = SparkBackend(local_session(master="local[2]", driver_memory="2g", shuffle_partitions=4))
        seconds = timed_engine(spark, arrow(sp, sj, sv), "engine", small_want)
        print(
            f"  spark forest_in_engine SQL, {m:,} members: {seconds:8.3f} s (kernel {small_kernel_s:.3f} s)"
        )
        spark.spark.stop()


if __name__ == "__main__":
    main()
