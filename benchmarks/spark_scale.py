"""Pyramid forensics and merchant credit on Spark (local mode) beside DuckDB, on the same store.

    python benchmarks/spark_scale.py                          # 100k and 1M members
    python benchmarks/spark_scale.py --sizes 1000000 10000000 --analyses pyramid credit
    python benchmarks/spark_scale.py --sizes 100000000 --engines spark --stores /tmp/stores

The store gets a members table of a random recruitment forest (string IDs, as in
benchmarks/pyramid.py) and, for credit (and for pyramid with ``--orders``), one shop per 100
members, two orders per member over a year and a review on 70% of them (ratings and DSRs
varied, some refunds), all made in SQL.
Each analysis runs in a fresh process per engine: DuckDB on the store itself (the peer), Spark in
local mode with the store's tables exported to Parquet first (export timed apart). Reported: wall
time, peak resident memory (DuckDB's process; on Spark the Python driver and the JVM apart) and
how each grows with size. Spark here runs the same SQL steps and the same numba kernels on arrays
collected to the driver; on one machine it pays its scheduling and serialisation for nothing,
which is what the ratio shows.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from sentinella.store import Store

_CHILD = """
import json, resource, sys, time, pathlib
engine, db, analysis, parquet, forest = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5]
from sentinella.store import Store
import datetime as dt
from sentinella.pyramid import run_pyramid
from sentinella.credit import INPUT_TABLES as CREDIT_INPUTS, run_credit
as_of = dt.date(2025, 6, 30)
run = {
    "pyramid": lambda b: run_pyramid(b, forest=forest),
    "credit": lambda b: run_credit(b, as_of=as_of, flagged_orders=()),
}[analysis]
inputs = {"pyramid": ["members"], "credit": list(CREDIT_INPUTS)}[analysis]
out = {}
with Store.open(db) as store:
    if engine == "duckdb":
        t = time.perf_counter(); run(store.backend); out["seconds"] = time.perf_counter() - t
    else:
        from sentinella.engine import SparkBackend
        t = time.perf_counter(); spark = SparkBackend(); out["session_s"] = time.perf_counter() - t
        t = time.perf_counter()
        spark.load_store(store.backend, pathlib.Path(parquet), inputs)
        out["export_s"] = time.perf_counter() - t
        t = time.perf_counter(); run(spark); out["seconds"] = time.perf_counter() - t
        jvm = spark.spark.sparkContext._gateway.proc.pid  # spark-submit execs the JVM in place
        status = pathlib.Path(f"/proc/{jvm}/status").read_text()
        out["jvm_peak_mb"] = int(status.split("VmHWM:")[1].split()[0]) / 1024
        spark.spark.stop()
out["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps(out))
"""


def build_store(path: Path, size: int) -> None:
    with Store.open(path) as store:
        store.backend.execute(
            "INSERT INTO members (member_id, sponsor_id, joined_at) "
            "SELECT 'M' || lpad(CAST(i AS VARCHAR), 9, '0'), "
            "CASE WHEN i = 0 THEN NULL "
            "ELSE 'M' || lpad(CAST(CAST(hash(i) % i AS BIGINT) AS VARCHAR), 9, '0') END, "
            "TIMESTAMPTZ '2020-01-01 00:00:00+00' + to_seconds(i % 100000000) "
            "FROM range(?) t(i)",
            [size],
        )


def add_trade(path: Path, size: int) -> None:
    """Shops, orders and reviews for credit: made in SQL, so 10M members take seconds."""
    shops = max(1, size // 100)
    with Store.open(path) as store:
        run = store.backend.execute
        run(
            "INSERT INTO merchants (merchant_id, member_id) "
            "SELECT 'S' || lpad(CAST(i AS VARCHAR), 9, '0'), 'M' || lpad(CAST(i * 100 AS VARCHAR), 9, '0') "
            "FROM range(?) t(i)",
            [shops],
        )
        run(
            "INSERT INTO orders (order_id, buyer_id, merchant_id, amount, currency, placed_at, status, "
            "completed_at) SELECT 'O' || lpad(CAST(i AS VARCHAR), 10, '0'), "
            "'M' || lpad(CAST(i // 2 AS VARCHAR), 9, '0'), "
            "'S' || lpad(CAST(CAST(hash(i) % ? AS BIGINT) AS VARCHAR), 9, '0'), "
            "20 + CAST(hash(i + 7) % 980 AS BIGINT), 'CNY', "
            "TIMESTAMPTZ '2024-07-01 00:00:00+00' + to_seconds(CAST(hash(i + 3) % 31536000 AS BIGINT)), "
            "CASE WHEN i % 50 = 0 THEN 'refunded' ELSE 'completed' END, "
            "CASE WHEN i % 50 = 0 THEN NULL ELSE TIMESTAMPTZ '2024-07-04 00:00:00+00' "
            "+ to_seconds(CAST(hash(i + 3) % 31536000 AS BIGINT)) END "
            "FROM range(?) t(i)",
            [shops, 2 * size],
        )
        run(
            "INSERT INTO reviews (review_id, order_id, rating, created_at, dsr_described, dsr_service, "
            "dsr_shipping) SELECT 'R' || substr(order_id, 2), order_id, "
            "CASE WHEN hash(order_id) % 10 < 8 THEN 5 WHEN hash(order_id) % 10 = 8 THEN 3 ELSE 1 END, "
            "coalesce(completed_at, placed_at) + INTERVAL 2 DAY, 3 + CAST(hash(order_id) % 3 AS INTEGER), "
            "4 + CAST(hash(order_id) % 2 AS INTEGER), 2 + CAST(hash(order_id) % 4 AS INTEGER) "
            "FROM orders WHERE hash(order_id) % 10 < 7",
        )


def measure(engine: str, db: Path, analysis: str, folder: Path, forest: str) -> dict[str, float] | str:
    """The child's figures, or the last line of its error (a run that fails is a result too)."""
    done = subprocess.run(
        [sys.executable, "-c", _CHILD, engine, str(db), analysis, str(folder / f"parquet-{engine}"), forest],
        capture_output=True,
        text=True,
    )
    if done.returncode:
        lines = [line for line in done.stderr.strip().splitlines() if line.strip()]
        return f"failed (exit {done.returncode}): {lines[-1] if lines else 'no message'}"
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def _figures(engine: str, result: dict[str, float] | str) -> str:
    if isinstance(result, str):
        return f"{engine} {result}"
    if engine == "duckdb":
        return f"duckdb {result['seconds']:7.1f} s {result['peak_mb']:7.0f} MB"
    return (
        f"spark {result['seconds']:7.1f} s, Python {result['peak_mb']:.0f} MB + JVM "
        f"{result['jvm_peak_mb']:.0f} MB (+ session {result['session_s']:.1f} s, "
        f"export {result['export_s']:.1f} s)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--analyses", nargs="+", default=["pyramid"], choices=["pyramid", "credit"])
    parser.add_argument(
        "--stores",
        type=Path,
        default=None,
        help="Keep the stores in this folder and reuse them on the next run (default: a temp dir).",
    )
    parser.add_argument("--engines", nargs="+", default=["duckdb", "spark"], choices=["duckdb", "spark"])
    parser.add_argument(
        "--forest",
        default="auto",
        choices=["auto", "driver", "engine"],
        help="Where pyramid measures the forest (auto: the kernel on the driver).",
    )
    parser.add_argument(
        "--orders",
        action="store_true",
        help="Shops, orders and reviews for pyramid too (credit always has them).",
    )
    args = parser.parse_args()
    print(f"load average before: {os.getloadavg()}  (the machine may be shared)")
    with contextlib.ExitStack() as stack:
        if args.stores is None:
            folder = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        else:
            folder = args.stores
            folder.mkdir(parents=True, exist_ok=True)
        previous: dict[tuple[str, str], tuple[int, float]] = {}
        for size in args.sizes:
            trade = args.orders or "credit" in args.analyses
            db = folder / f"m{size}{'-trade' if trade else ''}.duckdb"
            if not db.exists():  # built under another name first: a half-built store is never reused
                building = db.with_name(f"building-{db.name}")
                building.unlink(missing_ok=True)
                build_store(building, size)
                if trade:
                    add_trade(building, size)
                building.rename(db)
            for analysis in args.analyses:
                results = {
                    engine: measure(engine, db, analysis, folder, args.forest) for engine in args.engines
                }
                parts = [f"{analysis:8} {size:>11,} members"]
                parts += [_figures(engine, result) for engine, result in results.items()]
                duck, spark = results.get("duckdb"), results.get("spark")
                if isinstance(duck, dict) and isinstance(spark, dict):
                    parts.append(f"spark/duckdb {spark['seconds'] / duck['seconds']:.1f}x")
                for engine, result in results.items():
                    if not isinstance(result, dict):
                        continue
                    if (analysis, engine) in previous:
                        before_size, before_s = previous[(analysis, engine)]
                        growth = result["seconds"] / before_s
                        parts.append(f"{engine} x{growth:.1f} for x{size / before_size:.0f} size")
                    previous[(analysis, engine)] = (size, result["seconds"])
                print(" | ".join(parts), flush=True)
    print(f"load average after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
