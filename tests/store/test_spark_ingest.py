"""Ingesting on Spark gives what ingesting into the store gives: rows, order, quarantine, report.

The case is split into part files with rows repeated across files (the same values: duplicates;
other values: conflicts, quarantined with their row numbers) and a short row in a middle file,
so what only the put-together step decides is exercised, then imported twice (the second run
must add nothing). Everything is compared with a DuckDB ingest of the same folder. Then the
analyses read the Parquet tables (``--engine spark``) and must give DuckDB's results.
"""

from __future__ import annotations

import csv
import random
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pytest
from typer.testing import CliRunner

from sentinella.cli import app
from sentinella.contract import TABLES
from sentinella.engine import SparkBackend
from sentinella.errors import ConfigError
from sentinella.store import IngestReport, Store, StoreError, ingest_case, ingest_case_on_spark
from sentinella.synth import generate_world
from support import EXAMPLES

pytestmark = pytest.mark.spark
BOOKKEEPING = {
    "ingest_quarantine": "table_name, file, row_number, column_name, value, reason, record, raw, kind",
    "ingest_notices": "table_name, row_key, column_name, value, reason",
    "ingest_runs": "table_name, files, rows_read, imported, duplicate, conflict, rejected, status, error",
}
SPLIT = ("members", "orders", "reviews")


def _split_case(world: Path, out: Path, seed: int = 3) -> None:
    """The world's CSV files, three of them as part files with repeats across files."""
    rng = random.Random(seed)
    out.mkdir()
    for file in sorted(world.glob("*.csv")):
        if file.stem not in SPLIT:
            shutil.copy(file, out / file.name)
            continue
        with file.open(newline="", encoding="utf-8") as handle:
            header, *body = list(csv.reader(handle))
        third = len(body) // 3
        parts = [body[:third], body[third : 2 * third], body[2 * third :]]
        repeats = [list(row) for row in rng.sample(parts[0], 6)]  # the same values: duplicates
        for row in rng.sample(parts[0], 5):  # another last column: conflicts
            repeats.append([*row[:-1], row[-1] + "x"])
        parts[2] += repeats
        parts[1].insert(3, parts[1][3][:2])  # too few fields: rejected
        (out / file.stem).mkdir()
        for index, part in enumerate(parts):
            with (out / file.stem / f"part-{index}.csv").open("w", newline="", encoding="utf-8") as handle:
                writer = csv.writer(handle)
                writer.writerow(header)
                writer.writerows(part)


@dataclass
class Ingested:
    """The same case ingested twice into a store (DuckDB) and on Spark."""

    case: Path
    duckdb_store: Path
    spark_store: Path
    tables: Path
    duckdb_reports: list[IngestReport]
    spark_reports: list[IngestReport]


@pytest.fixture(scope="module")
def spark(spark_session: Any) -> SparkBackend:
    return SparkBackend(spark_session)


@pytest.fixture(scope="module")
def ingested(tmp_path_factory: pytest.TempPathFactory, spark: SparkBackend) -> Iterator[Ingested]:
    root = tmp_path_factory.mktemp("spark-ingest")
    generate_world(root / "world", members=400, seed=11, fmt="csv", media=False, dirty_rate=0.05)
    _split_case(root / "world", root / "case")
    result = Ingested(root / "case", root / "d.duckdb", root / "s.duckdb", root / "tables", [], [])
    with Store.open(result.duckdb_store) as store:
        result.duckdb_reports = [ingest_case(store, result.case) for _ in range(2)]
    with Store.open(result.spark_store) as store:
        result.spark_reports = [
            ingest_case_on_spark(store, result.case, result.tables, spark=spark) for _ in range(2)
        ]
    yield result


def _comparable(report: IngestReport) -> dict[str, Any]:
    found = report.to_dict()
    del found["run_id"], found["seconds"]
    return found


def test_reports_are_the_stores(ingested: Ingested) -> None:
    first, again = ingested.spark_reports
    for ours, theirs in zip(ingested.spark_reports, ingested.duckdb_reports, strict=True):
        assert _comparable(ours) == _comparable(theirs)
    orders = {t.table: t for t in first.tables}["orders"]
    middle, last = orders.per_file[1:]
    assert middle.rejected >= 1  # the short row
    assert last.duplicate >= 6 and last.conflict >= 5  # the repeats of the first part
    assert again.tables and not any(t.imported for t in again.tables)
    assert all(t.duplicate + t.conflict + t.rejected == t.records for t in again.tables)


def test_tables_hold_the_stores_rows_in_its_order(ingested: Ingested) -> None:
    connection = duckdb.connect(str(ingested.duckdb_store), read_only=True)
    for name, spec in TABLES.items():
        columns = ", ".join(f'"{c}"' for c in spec.column_names)
        theirs = connection.sql(f"SELECT rowid, {columns} FROM {name} ORDER BY rowid").fetchall()
        ours = connection.sql(
            f"SELECT _row_id, {columns} FROM read_parquet('{ingested.tables / name}/*.parquet') "
            "ORDER BY _row_id"
        ).fetchall()
        assert ours == theirs, name
    assert connection.sql("SELECT count(*) FROM orders").fetchall()[0][0] > 1000


def test_quarantine_notices_and_run_log_are_the_stores(ingested: Ingested) -> None:
    connection = duckdb.connect(str(ingested.duckdb_store), read_only=True)
    connection.execute(f"ATTACH '{ingested.spark_store}' AS spark (READ_ONLY)")
    for table, columns in BOOKKEEPING.items():
        theirs = connection.sql(f"SELECT {columns} FROM {table} ORDER BY ALL").fetchall()
        ours = connection.sql(f"SELECT {columns} FROM spark.{table} ORDER BY ALL").fetchall()
        assert ours == theirs, table
        assert ours, table
    conflicts = connection.sql(
        "SELECT file, row_number FROM spark.ingest_quarantine WHERE kind = 'conflict' "
        "AND table_name = 'orders' AND file = 'orders/part-2.csv'"
    ).fetchall()
    first_run = {t.table: t for t in ingested.spark_reports[0].tables}["orders"].per_file[2].conflict
    assert first_run >= 5 and len(conflicts) == 2 * first_run  # each run quarantines its own


def test_broken_case_fails_the_same_way(tmp_path: Path, spark: SparkBackend) -> None:
    """An unreadable file keeps its whole table out, on Spark as in the store."""
    with Store.open(tmp_path / "d.duckdb") as store:
        theirs = ingest_case(store, EXAMPLES / "broken-case")
    with Store.open(tmp_path / "s.duckdb") as store:
        ours = ingest_case_on_spark(store, EXAMPLES / "broken-case", tmp_path / "tables", spark=spark)
    assert _comparable(ours) == _comparable(theirs)
    assert {t.table: t.status for t in ours.tables}["listings"] == "failed"
    assert ours.exit_code == 1


def test_one_store_one_place_for_its_tables(ingested: Ingested, tmp_path: Path, spark: SparkBackend) -> None:
    with (
        Store.open(ingested.duckdb_store) as store,
        pytest.raises(StoreError, match="keeps its input tables itself"),
    ):
        ingest_case_on_spark(store, ingested.case, tmp_path / "tables", spark=spark)
    with Store.open(ingested.spark_store) as store:
        with pytest.raises(StoreError, match="ingest into it with --engine spark"):
            ingest_case(store, ingested.case)
        with pytest.raises(StoreError, match=r"keeps its input tables in .*, not "):
            ingest_case_on_spark(store, ingested.case, tmp_path / "elsewhere", spark=spark)
    with (
        Store.open(tmp_path / "new.duckdb") as store,
        pytest.raises(StoreError, match="tables of another store"),
    ):
        ingest_case_on_spark(store, ingested.case, ingested.tables, spark=spark)


def test_analyses_read_the_parquet_tables(ingested: Ingested, tmp_path: Path) -> None:
    """``sentinella ingest --engine spark`` then the analyses on Spark: DuckDB's results."""
    runner = CliRunner()
    spark_store, duck_store = tmp_path / "s.duckdb", tmp_path / "d.duckdb"
    shutil.copy(ingested.duckdb_store, duck_store)
    result = runner.invoke(app, ["ingest", str(ingested.case), "--db", str(spark_store), "--engine", "spark"])
    assert result.exit_code == 1, result.output  # the case has bad rows
    assert (tmp_path / "s.duckdb.tables" / "orders").is_dir()
    assert "tables as Parquet in" in " ".join(result.output.split())
    refused = runner.invoke(app, ["pyramid", "--db", str(spark_store)])
    assert refused.exit_code != 0
    assert isinstance(refused.exception, ConfigError) or "--engine spark" in refused.output
    for analysis in ("pyramid", "credit"):
        done = runner.invoke(app, [analysis, "--db", str(spark_store), "--engine", "spark"])
        assert done.exit_code == 0, done.output
        assert runner.invoke(app, [analysis, "--db", str(duck_store)]).exit_code == 0
    connection = duckdb.connect(str(duck_store), read_only=True)
    connection.execute(f"ATTACH '{spark_store}' AS spark (READ_ONLY)")
    for table in (
        "pyramid_members",
        "pyramid_networks",
        "pyramid_findings",
        "credit_merchants",
        "credit_ratings",
    ):
        columns = [
            c
            for (c,) in connection.sql(
                f"SELECT column_name FROM information_schema.columns WHERE table_catalog = 'd' "
                f"AND table_name = '{table}'"
            ).fetchall()
            if c != "run_id"
        ]
        listed = ", ".join(f'"{c}"' for c in columns)
        theirs = connection.sql(f"SELECT {listed} FROM d.{table} ORDER BY ALL").fetchall()
        ours = connection.sql(f"SELECT {listed} FROM spark.{table} ORDER BY ALL").fetchall()
        assert theirs and ours == theirs, table
