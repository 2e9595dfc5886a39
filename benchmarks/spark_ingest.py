"""Ingest on Spark (local mode, a task per file) beside the store's own ingest, same case folder.

    python benchmarks/spark_ingest.py                        # 200k members, 4 part files
    python benchmarks/spark_ingest.py --members 1000000 --parts 8 --data /tmp/ingest-case

Generates a world (CSV), splits its four biggest tables into ``--parts`` part files each
(``orders/part-0.csv``, ...: the shape of a platform's export), then imports the folder with
``ingest_case`` into a fresh DuckDB store (the peer) and with ``ingest_case_on_spark`` into
another store plus its Parquet tables, and checks that both hold the same rows. Reported:
wall time of each (the Spark session's start apart), the ratio, and records per second.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path

import duckdb

from sentinella.contract import TABLES
from sentinella.engine import SparkBackend, local_session
from sentinella.store import Store, ingest_case, ingest_case_on_spark
from sentinella.synth import generate_world

SPLIT = ("members", "orders", "reviews", "payments")


def _split(file: Path, parts: int) -> None:
    """``NAME.csv`` (or the generator's own ``NAME/`` parts, at a million members) into
    ``NAME/part-K.csv`` by lines (the generator writes no line breaks in values)."""
    folder = file.with_suffix("")
    sources = [file] if file.exists() else sorted(folder.glob("*.csv"))
    header, lines = "", []
    for source in sources:
        with source.open(encoding="utf-8") as handle:
            header, *more = handle.readlines()
        lines.extend(more)
        source.unlink()
    folder.mkdir(exist_ok=True)
    size = -(-len(lines) // parts)
    for index in range(parts):
        with (folder / f"part-{index}.csv").open("w", encoding="utf-8") as out:
            out.write(header)
            out.writelines(lines[index * size : (index + 1) * size])


def _case(data: Path, members: int, parts: int) -> Path:
    case = data / f"case-{members}-{parts}"
    if not case.exists():
        building = data / f"building-{members}-{parts}"
        shutil.rmtree(building, ignore_errors=True)
        generate_world(building, members=members, seed=5, fmt="csv", media=False)
        for name in SPLIT:
            _split(building / f"{name}.csv", parts)
        shutil.rmtree(building / "truth", ignore_errors=True)
        building.rename(case)
    return case


def _same_rows(store: Path, tables: Path) -> bool:
    connection = duckdb.connect(str(store), read_only=True)
    for name, spec in TABLES.items():
        columns = ", ".join(f'"{c}"' for c in spec.column_names)
        theirs = connection.sql(f"SELECT count(*), sum(hash(rowid, {columns})) FROM {name}").fetchall()
        ours = connection.sql(
            f"SELECT count(*), sum(hash(_row_id, {columns})) FROM read_parquet('{tables / name}/*.parquet')"
        ).fetchall()
        if ours != theirs:
            print(f"  {name}: DIFFERENT ({ours} vs {theirs})")
            return False
    return True


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--members", type=int, default=200_000)
    parser.add_argument("--parts", type=int, default=4, help="part files per big table")
    parser.add_argument("--data", type=Path, default=Path(tempfile.gettempdir()) / "sentinella-spark-ingest")
    parser.add_argument("--driver-memory", default="4g")
    args = parser.parse_args()
    args.data.mkdir(parents=True, exist_ok=True)
    case = _case(args.data, args.members, args.parts)
    records = sum(
        sum(1 for _ in f.open(encoding="utf-8")) - 1 for f in case.rglob("*.csv")
    )  # header lines off
    print(f"case: {case} ({args.members:,} members, {records:,} records, {args.parts} parts per big table)")
    with tempfile.TemporaryDirectory(dir=args.data) as work:
        folder = Path(work)
        started = time.perf_counter()
        with Store.open(folder / "duckdb.duckdb") as store:
            ingest_case(store, case)
        duck = time.perf_counter() - started
        print(f"duckdb ingest (the peer): {duck:8.1f} s  {records / duck:12,.0f} records/s")
        started = time.perf_counter()
        backend = SparkBackend(local_session(driver_memory=args.driver_memory))
        session = time.perf_counter() - started
        started = time.perf_counter()
        with Store.open(folder / "spark.duckdb") as store:
            ingest_case_on_spark(store, case, folder / "tables", spark=backend)
        spark = time.perf_counter() - started
        print(
            f"spark ingest (local[2]):  {spark:8.1f} s  {records / spark:12,.0f} records/s  "
            f"({spark / duck:.1f}x the peer; session start {session:.1f} s apart)"
        )
        print("same rows, same row ids:", _same_rows(folder / "duckdb.duckdb", folder / "tables"))
        backend.spark.stop()


if __name__ == "__main__":
    main()
