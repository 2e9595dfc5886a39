"""Ingest speed: validated import vs DuckDB's bare read of the same files, in one run.

    python benchmarks/ingest.py --rows 10000000
    python benchmarks/ingest.py --rows 2000000 --data DIR --keep --formats csv --repeat 3


Writes N orders as Parquet and as CSV (with a few bad rows), then times, for each format:
  bare:  CREATE TABLE AS SELECT * FROM read_parquet / read_csv (DuckDB's typed auto-detect)
  ours:  sentinella's ingest (staging, every contract check, dedupe, quarantine, load)
Targets (docs/targets.md): >= 1M rows/s from Parquet, >= 300k rows/s from CSV, and validation
costing at most 2x the bare read.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import tempfile
import time
from pathlib import Path

import duckdb

from sentinella.engine import EngineSettings
from sentinella.store import Store, ingest_case

ORDERS_SQL = """
SELECT
    'O' || lpad(CAST(i AS VARCHAR), 10, '0') AS order_id,
    'M' || CAST(hash(i) % 2000000 AS VARCHAR) AS buyer_id,
    'S' || CAST(hash(i * 7) % 50000 AS VARCHAR) AS merchant_id,
    CASE WHEN i % 1000000 = 17 THEN -1.0 ELSE round(1 + (hash(i * 3) % 100000) / 100.0, 2) END
        AS amount,
    'CNY' AS currency,
    TIMESTAMPTZ '2024-01-01 00:00:00+00' + to_seconds(CAST(i % 31536000 AS BIGINT)) AS placed_at,
    CASE WHEN i % 1000000 = 99 THEN 'lost'
         ELSE (['placed', 'paid', 'shipped', 'delivered', 'completed', 'completed', 'refunded',
                'disputed', 'cancelled'])[1 + CAST(i % 9 AS INTEGER)] END AS status,
    'L' || CAST(hash(i * 11) % 500000 AS VARCHAR) AS listing_id,
    CAST(1 + i % 3 AS INTEGER) AS quantity,
    TIMESTAMPTZ '2024-01-05 00:00:00+00' + to_seconds(CAST(i % 31536000 AS BIGINT)) AS completed_at,
    'Road ' || CAST(i % 9973 AS VARCHAR) || ', City' AS ship_to,
    'dev-' || CAST(hash(i * 13) % 3000000 AS VARCHAR) AS device_id,
    'SF' || CAST(i AS VARCHAR) AS tracking_no
FROM range({rows}) t(i)
"""


def write_data(folder: Path, rows: int) -> tuple[Path, Path]:
    """The same orders as Parquet and CSV, each in its own case folder (files an earlier
    ``--keep`` run left for the same row count are used again, so two runs read the same bytes)."""
    parquet_case, csv_case = folder / "parquet-case", folder / "csv-case"
    stamp = folder / "rows.txt"
    if stamp.exists() and stamp.read_text(encoding="utf-8") == str(rows):
        return parquet_case, csv_case
    for case in (parquet_case, csv_case):
        case.mkdir(parents=True, exist_ok=True)
    connection = duckdb.connect()
    connection.execute("SET TimeZone = 'UTC'")
    query = ORDERS_SQL.format(rows=rows)
    connection.execute(f"COPY ({query}) TO '{parquet_case / 'orders.parquet'}' (FORMAT parquet)")
    connection.execute(f"COPY ({query}) TO '{csv_case / 'orders.csv'}' (FORMAT csv, HEADER true)")
    stamp.write_text(str(rows), encoding="utf-8")
    return parquet_case, csv_case


def bare_read(path: Path, reader: str, settings: EngineSettings) -> float:
    with tempfile.TemporaryDirectory() as scratch:
        store = Store.open(Path(scratch) / "bare.duckdb", settings=settings)
        started = time.perf_counter()
        store.connection.execute(f"CREATE TABLE bare AS SELECT * FROM {reader}('{path}')")
        elapsed = time.perf_counter() - started
        store.close()
    return elapsed


def validated(case: Path, settings: EngineSettings) -> tuple[float, int, int, float]:
    """The whole ingest of the orders file, reference checks included, into a store whose
    members (the buyers) are already loaded, as in a daily import."""
    with tempfile.TemporaryDirectory() as scratch:
        store = Store.open(Path(scratch) / "ours.duckdb", settings=settings)
        store.connection.execute(
            "INSERT INTO members (member_id) SELECT 'M' || CAST(i AS VARCHAR) FROM range(2000000) t(i)"
        )
        store.connection.execute("CHECKPOINT")
        started, cpu = time.perf_counter(), time.process_time()
        report = ingest_case(store, case)
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
        orders = next(t for t in report.tables if t.table == "orders")
        store.close()
    return elapsed, orders.imported, orders.rejected, cpu


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--data", type=Path, default=Path(__file__).parent / "_data" / "ingest")
    parser.add_argument("--keep", action="store_true", help="keep the generated files")
    parser.add_argument("--repeat", type=int, default=1, help="best of this many runs of each")
    parser.add_argument("--formats", default="parquet,csv", help="comma-separated: parquet, csv")
    args = parser.parse_args()
    settings = EngineSettings().resolved()
    print(
        f"ingest benchmark: {args.rows:,} orders, DuckDB {duckdb.__version__}, "
        f"{settings.threads} threads, memory limit {settings.memory_limit}, best of {args.repeat}, "
        f"load average {os.getloadavg()[0]:.2f}"
    )
    started = time.perf_counter()
    parquet_case, csv_case = write_data(args.data, args.rows)
    print(
        f"  wrote test files in {time.perf_counter() - started:.1f} s "
        f"(csv {(csv_case / 'orders.csv').stat().st_size / 2**20:,.0f} MB, parquet "
        f"{(parquet_case / 'orders.parquet').stat().st_size / 2**20:,.0f} MB)"
    )
    print(
        f"  {'format':<8} {'peer (bare read)':>18} {'sentinella ingest':>18} {'rows/s':>12} "
        f"{'ratio':>6} {'imported':>11} {'rejected':>9}"
    )
    formats = args.formats.split(",")
    for label, case, file, reader, target in (
        ("parquet", parquet_case, "orders.parquet", "read_parquet", 1_000_000),
        ("csv", csv_case, "orders.csv", "read_csv", 300_000),
    ):
        if label not in formats:
            continue
        bare = min(bare_read(case / file, reader, settings) for _ in range(args.repeat))
        runs = [validated(case, settings) for _ in range(args.repeat)]
        ours, imported, rejected, cpu = min(runs)
        rate = args.rows / ours
        verdict = "ok" if rate >= target and ours <= 2 * bare else "MISSED"
        print(
            f"  {label:<8} {bare:>16.2f} s {ours:>16.2f} s {rate:>12,.0f} {ours / bare:>5.2f}x "
            f"{imported:>11,} {rejected:>9,}  target {target:,} rows/s and <= 2x: {verdict}; "
            f"ingest CPU {cpu:.2f} s (all threads: steadier than wall time on a shared machine)"
        )
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    print(f"  peak RSS {peak:.2f} GB; load average (1, 5, 15 min) {os.getloadavg()}")
    if not args.keep:
        shutil.rmtree(args.data, ignore_errors=True)


if __name__ == "__main__":
    main()
