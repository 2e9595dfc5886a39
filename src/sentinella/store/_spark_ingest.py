"""Ingest a case folder on Spark: the store's own checks, file by file on the executors.

For cases whose tables are too big for the machine that holds the store. Each file is checked
by exactly the code :func:`ingest_case` runs (read, type, quarantine, duplicates within the
file), in a throwaway DuckDB database on an executor; a task per file, so a table split into
part files (``orders/part-0001.csv``, ...) is checked in parallel. Spark SQL then does what
needs every file at once: a key already taken by an earlier file or an earlier run is a
duplicate (same values) or a conflict (quarantined, the first row kept), as in the store.

Where things go:
- the rows: Parquet under the *tables folder*, one folder per table, each row with its
  ``_row_id`` (the order the store would have given it: files in the case's order, rows in
  the file's), appended run after run;
- everything else, as with a DuckDB ingest, in the store file: the run log, the quarantine with
  row numbers and reasons, the dangling-reference notices, the identity salt's fingerprint, and
  where the tables folder is. Analyses on that store run with ``--engine spark`` and read
  the tables from there.

A table's new rows are written in one Spark job (its commit protocol: all part files or none).
The executors must be able to read the case folder and write the tables folder (a shared
file system on a cluster).
"""

from __future__ import annotations

import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb
import numpy as np
import pyarrow as pa

from sentinella.contract import TABLES, TableSpec
from sentinella.engine import ROW_ID, EngineSettings, SparkDialect

from ._checks import CheckOptions, quote_identifier
from ._ingest import (
    IngestReport,
    Progress,
    TableReport,
    _adjustment_notes,
    _check_references,
    _log_run,
    _missing_column_warnings,
    _record_timezone,
    _run_id,
    check_encoding,
    check_options,
    check_timezone,
    find_table_files,
)
from ._load import SAMPLE_PROBLEMS, FileReport, check_staged, load_checked
from ._problems import Problem, SourceError, first_line
from ._readers import STAGERS, ReadContext
from ._sources import SourceFile
from ._store import INPUT_TABLES_META, QUARANTINE_TABLE, Store, StoreError

if TYPE_CHECKING:  # pragma: no cover - typing only
    from sentinella.engine import SparkBackend

_FILE, _POS, _ROW_NUMBER, _CLEARED = "_file", "_pos", "_row_number", "_cleared"
_TASK_MEMORY = "2GB"  # each executor task's DuckDB; it spills to its scratch folder beyond


@dataclass(frozen=True)
class _FileTask:
    """One file to check on an executor, and where to leave its rows and problems."""

    source: SourceFile
    index: int  # the file's place among its table's files
    rows_out: str
    problems_out: str
    options: CheckOptions
    run_id: str
    encoding: str | None


@dataclass
class _FileResult:
    """What a task sends back: the file's counts and what a reader should be told."""

    table: str
    index: int
    counts: FileReport
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def ingest_case_on_spark(
    store: Store,
    case_dir: Path,
    tables_folder: Path,
    *,
    spark: SparkBackend,
    identity_salt: str | None = None,
    max_text_bytes: int | None = None,
    encoding: str | None = None,
    progress: Progress | None = None,
    timezone: str | None = None,
) -> IngestReport:
    """Import ``case_dir`` with Spark: rows into Parquet under ``tables_folder``, the record of
    the run (quarantine, run log, notices) into ``store``. The same checks, counts and report as
    :func:`ingest_case`; raises :class:`StoreError` when the store already keeps its tables
    itself or in another folder."""
    if timezone is not None:
        check_timezone(timezone)
    started = time.perf_counter()
    codec = None if encoding is None else check_encoding(encoding)
    tables_folder = tables_folder.resolve()
    _claim_tables_folder(store, tables_folder)
    report = IngestReport(run_id=_run_id(), case_dir=str(case_dir), timezone=timezone)
    found = find_table_files(case_dir, report)
    if found is None:
        return report
    options = check_options(store, identity_salt, timezone, max_text_bytes)
    _create_empty_tables(tables_folder)
    _register_tables(spark, tables_folder)
    if "members" not in found.by_table and not spark.has_rows("members"):
        report.errors.append(f"{case_dir}: no members file; members is the one required table")
    names = [name for name in TABLES if name in found.by_table]
    if progress:
        progress("checking files", 0, len(names))
    with tempfile.TemporaryDirectory(prefix="sentinella-spark-ingest-", dir=tables_folder) as staging:
        tasks = [
            _FileTask(
                source,
                index,
                str(Path(staging) / "rows" / name / f"{index:06d}.parquet"),
                str(Path(staging) / "problems" / name / f"{index:06d}.parquet"),
                options,
                report.run_id,
                codec,
            )
            for name in names
            for index, source in enumerate(found.by_table[name])
        ]
        results = _check_files(spark, tasks)
        for position, name in enumerate(names):
            if progress:
                progress(name, position, len(names))
            table_report = _merge_table(
                spark,
                store,
                TABLES[name],
                [r for r in results if r.table == name],
                tables_folder,
                staging,
                report,
            )
            table_report.notes.extend(_adjustment_notes(table_report, timezone))
            report.tables.append(table_report)
            _log_run(store, report, table_report, started)
    if progress:
        progress("references", len(names), len(names))
    _register_tables(spark, tables_folder)
    report.notices = _check_references(store, report.run_id, tables=spark)
    report.warnings.extend(_missing_column_warnings(spark))
    _record_timezone(store, report)
    report.seconds = time.perf_counter() - started
    return report


def _claim_tables_folder(store: Store, tables_folder: Path) -> None:
    """One store, one place for its tables: the store's own or this folder, never both."""
    held = store.get_meta(INPUT_TABLES_META)
    if held is None:
        filled = [name for name in TABLES if store.row_count(name)]
        if filled:
            raise StoreError(
                f"{store.path} keeps its input tables itself ({', '.join(filled)} have rows): "
                "ingest on Spark into a new store"
            )
        if tables_folder.exists() and any(tables_folder.iterdir()):
            if not all((tables_folder / name).is_dir() for name in TABLES):
                raise StoreError(
                    f"{tables_folder} is not empty and holds no Sentinella tables: choose a new folder"
                )
            raise StoreError(f"{tables_folder} holds the tables of another store: give that store's --db")
        tables_folder.mkdir(parents=True, exist_ok=True)
        store.set_meta(INPUT_TABLES_META, str(tables_folder))
    elif Path(held) != tables_folder:
        raise StoreError(f"{store.path} keeps its input tables in {held}, not {tables_folder}")


def _create_empty_tables(tables_folder: Path) -> None:
    """Every contract table exists from the first run (empty: one Parquet file of no rows), so
    the analyses and the reference checks find each table with its contract's columns."""
    missing = [name for name in TABLES if not (tables_folder / name).is_dir()]
    if not missing:
        return
    connection = duckdb.connect()
    try:
        for name in missing:
            connection.execute(TABLES[name].create_sql())
            (tables_folder / name).mkdir(parents=True)
            target = str(tables_folder / name / "empty.parquet").replace("'", "''")
            connection.execute(
                f"COPY (SELECT CAST(NULL AS BIGINT) AS {ROW_ID}, * FROM {name} LIMIT 0) "
                f"TO '{target}' (FORMAT parquet)"
            )
    finally:
        connection.close()


def _register_tables(spark: SparkBackend, tables_folder: Path) -> None:
    """The tables as plain views over their Parquet: the ingest reads each once or twice, so
    they are not copied into the session the way an analysis's inputs are."""
    for name in TABLES:
        spark.spark.read.parquet(str(tables_folder / name)).createOrReplaceTempView(name)


# -- on the executors ----------------------------------------------------------------------------


def _check_files(spark: SparkBackend, tasks: list[_FileTask]) -> list[_FileResult]:
    """Every file checked by its own task; the results come back in the tasks' order."""
    if not tasks:
        return []
    context = spark.spark.sparkContext
    return list(context.parallelize(tasks, len(tasks)).map(_check_file).collect())


def _check_file(task: _FileTask) -> _FileResult:
    """The store's checks on one file, in a DuckDB database of its own (runs on an executor).

    Leaves the rows to load (with their place in the file, row number, and whether a bad
    optional value was cleared) and the file's problems as Parquet; returns the counts.
    """
    spec = TABLES[task.source.table]
    result = _FileResult(spec.name, task.index, FileReport(file=task.source.display))
    with tempfile.TemporaryDirectory(prefix="sentinella-file-") as scratch:
        store = Store.open(
            Path(scratch) / "file.duckdb", settings=EngineSettings(memory_limit=_TASK_MEMORY, threads=1)
        )
        try:
            connection = store.connection
            connection.execute(f"ALTER TABLE {spec.name} ADD COLUMN _rec BIGINT")
            context = ReadContext(scratch=Path(scratch), encoding=task.encoding)
            try:
                staged = STAGERS[task.source.fmt](
                    connection, task.source, spec, f"{spec.name}_{task.index}", context
                )
                result.warnings.extend(staged.warnings)
                checked = check_staged(connection, spec, staged, task.options)
                counts = load_checked(connection, spec, checked, task.run_id, keep_record_numbers=True)
            except SourceError as error:
                result.errors.append(str(error))
                return result
            except duckdb.Error as error:
                result.errors.append(f"{task.source.display}: could not be read: {first_line(error)}")
                return result
            if counts.records != counts.accounted:
                result.errors.append(
                    f"{counts.file}: {counts.records:,} records but {counts.accounted:,} accounted for"
                )
                return result
            result.counts = counts
            if staged.extra_columns:
                result.notes.append(
                    f"{task.source.display}: ignored columns not in the contract: "
                    + ", ".join(staged.extra_columns)
                )
            _write_rows(connection, spec, task, staged.row_numbers)
            _write_problems(connection, task)
        finally:
            store.close()
    return result


def _write_rows(
    connection: duckdb.DuckDBPyConnection, spec: TableSpec, task: _FileTask, row_numbers: Any
) -> None:
    recs = connection.execute(f"SELECT _rec FROM {spec.name} ORDER BY rowid").fetchnumpy()["_rec"]
    places = pa.table(
        {
            "_rec": pa.array(np.asarray(recs, dtype=np.int64)),
            _ROW_NUMBER: pa.array(np.asarray(row_numbers(np.asarray(recs, dtype=np.int64)), dtype=np.int64)),
        }
    )
    connection.register("_places", places)
    Path(task.rows_out).parent.mkdir(parents=True, exist_ok=True)
    columns = ", ".join(f"t.{quote_identifier(c)}" for c in spec.column_names)
    display = task.source.display.replace("'", "''")
    target = task.rows_out.replace("'", "''")
    # _cleared: the row's optional values stored empty (the file's count is of values)
    connection.execute(
        f"COPY (SELECT CAST({task.index} AS INTEGER) AS {_FILE}, t.rowid AS {_POS}, p.{_ROW_NUMBER}, "
        f"coalesce(c.n, 0) AS {_CLEARED}, {columns} FROM {spec.name} t POSITIONAL JOIN _places p "
        f"LEFT JOIN (SELECT row_number, count(*) AS n FROM {QUARANTINE_TABLE} WHERE kind = 'field' "
        f"AND file = '{display}' GROUP BY row_number) c ON c.row_number = p.{_ROW_NUMBER} "
        f"ORDER BY t.rowid) TO '{target}' (FORMAT parquet)"
    )
    connection.unregister("_places")


def _write_problems(connection: duckdb.DuckDBPyConnection, task: _FileTask) -> None:
    Path(task.problems_out).parent.mkdir(parents=True, exist_ok=True)
    target = task.problems_out.replace("'", "''")
    connection.execute(f"COPY (SELECT * FROM {QUARANTINE_TABLE}) TO '{target}' (FORMAT parquet)")


# -- on the driver: the files put together -------------------------------------------------------


def _merge_table(
    spark: SparkBackend,
    store: Store,
    spec: TableSpec,
    results: list[_FileResult],
    tables_folder: Path,
    staging: str,
    run: IngestReport,
) -> TableReport:
    """A table's checked files against each other and the rows already held; then one write."""
    results = sorted(results, key=lambda r: r.index)
    report = TableReport(table=spec.name, files=[r.counts.file for r in results])
    for result in results:
        report.warnings.extend(result.warnings)
        report.errors.extend(result.errors)
    if report.errors:
        report.notes.append("nothing imported for this table: a file could not be read")
        return report
    session = spark.spark
    session.conf.set("spark.sql.parquet.outputTimestampType", "TIMESTAMP_MICROS")
    incoming = session.read.parquet(str(Path(staging) / "rows" / spec.name))
    incoming.createOrReplaceTempView("__ingest_incoming")
    keys = ", ".join(_spark_name(k) for k in spec.key)
    columns = ", ".join(_spark_name(c) for c in spec.column_names)
    # the rows held already come first (file -1), then the files in order, rows in file order
    ranked = session.sql(
        f"SELECT *, row_number() OVER (PARTITION BY {keys} ORDER BY {_FILE}, {_POS}) AS _nth FROM ("
        f"SELECT -1 AS {_FILE}, {ROW_ID} AS {_POS}, CAST(NULL AS BIGINT) AS {_ROW_NUMBER}, "
        f"CAST(0 AS BIGINT) AS {_CLEARED}, {columns} FROM {spec.name} UNION ALL "
        f"SELECT {_FILE}, {_POS}, {_ROW_NUMBER}, {_CLEARED}, {columns} FROM __ingest_incoming)"
    ).localCheckpoint(eager=True)
    ranked.createOrReplaceTempView("__ingest_ranked")
    skipped = session.sql(_skipped_sql(spec)).localCheckpoint(eager=True)
    skipped.createOrReplaceTempView("__ingest_skipped")
    per_file = {
        int(row[_FILE]): (int(row["duplicate"]), int(row["conflict"]), int(row["cleared"]))
        for row in session.sql(
            f"SELECT {_FILE}, count_if(differs = '') AS duplicate, count_if(differs <> '') AS conflict, "
            f"sum({_CLEARED}) AS cleared FROM __ingest_skipped GROUP BY {_FILE}"
        ).collect()
    }
    conflicts = session.sql(_conflicts_sql(spec, run.run_id, [r.counts.file for r in results])).toArrow()
    for result in results:
        counts = result.counts
        duplicate, conflict, cleared = per_file.get(result.index, (0, 0, 0))
        counts.duplicate += duplicate
        counts.conflict += conflict
        counts.imported -= duplicate + conflict
        counts.fields_cleared -= cleared
        mine = conflicts.filter(pa.compute.equal(conflicts["file"], counts.file))
        counts.problems = _sample(counts.problems, mine)
        report.add(counts)
        report.per_file.append(counts)
        report.notes.extend(result.notes)
    _write_new_rows(spark, spec, report, tables_folder)
    _quarantine(store, Path(staging) / "problems" / spec.name, conflicts)
    for view in ("__ingest_incoming", "__ingest_ranked", "__ingest_skipped"):
        session.catalog.dropTempView(view)
    return report


def _skipped_sql(spec: TableSpec) -> str:
    """Later rows of a key already taken, with the columns on which they differ from the first."""
    match = " AND ".join(f"later.{_spark_name(k)} <=> first.{_spark_name(k)}" for k in spec.key)
    parts = ", ".join(
        f"CASE WHEN NOT (later.{_spark_name(c)} <=> first.{_spark_name(c)}) THEN '{c}' END"
        for c in spec.column_names
        if c not in spec.key
    )
    differs = f"concat_ws(', ', {parts})" if parts else "''"
    key_value = " || '/' || ".join(f"coalesce(later.{_spark_name(k)}, '')" for k in spec.key)
    return (
        f"SELECT later.{_FILE}, later.{_ROW_NUMBER}, later.{_CLEARED}, {differs} AS differs, "
        f"{key_value} AS key_value FROM __ingest_ranked later "
        f"JOIN (SELECT * FROM __ingest_ranked WHERE _nth = 1) first ON {match} WHERE later._nth > 1"
    )


def _conflicts_sql(spec: TableSpec, run_id: str, files: list[str]) -> str:
    """Conflicts as quarantine rows, worded as :func:`ingest_case` words them."""
    names = "map(" + ", ".join(f"{i}, {_spark_string(f)}" for i, f in enumerate(files)) + ")"
    reason = ", ".join(
        [
            _spark_string(", ".join(spec.key) + " '"),
            "key_value",
            _spark_string("' is already imported with different values (differs in: "),
            "differs",
            _spark_string("); the imported row is kept"),
        ]
    )
    return (
        f"SELECT {_spark_string(run_id)} AS run_id, {_spark_string(spec.name)} AS table_name, "
        f"{names}[{_FILE}] AS file, {_ROW_NUMBER} AS row_number, "
        f"{_spark_string(spec.key[0])} AS column_name, key_value AS value, concat({reason}) AS reason, "
        "CAST(NULL AS STRING) AS record, CAST(NULL AS BINARY) AS raw, 'conflict' AS kind "
        f"FROM __ingest_skipped WHERE differs <> '' ORDER BY {_FILE}, {_ROW_NUMBER}"
    )


def _spark_name(name: str) -> str:
    return SparkDialect().quote(name)


def _spark_string(text: str) -> str:
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _sample(problems: list[Problem], conflicts: pa.Table) -> list[Problem]:
    """The file's sample of problems with its cross-file conflicts, in the store's order."""
    added = [
        Problem(
            str(r["file"]),
            int(r["row_number"]),
            r["column_name"],
            r["value"],
            str(r["reason"]),
            kind="conflict",
        )
        for r in conflicts.slice(0, SAMPLE_PROBLEMS).to_pylist()
    ]
    merged = sorted(problems + added, key=lambda p: (p.row, p.column is not None, p.column or ""))
    return merged[:SAMPLE_PROBLEMS]


def _write_new_rows(spark: SparkBackend, spec: TableSpec, report: TableReport, tables_folder: Path) -> None:
    """The first row of every new key, numbered after the rows held, in one Spark job."""
    if not report.imported:
        return
    session = spark.spark
    held = int(session.sql(f"SELECT coalesce(max({ROW_ID}) + 1, 0) FROM {spec.name}").collect()[0][0])
    offsets, total = [], held
    for index, counts in enumerate(report.per_file):
        offsets.append(f"({index}, CAST({total} AS BIGINT))")
        total += counts.imported
    columns = ", ".join(_spark_name(c) for c in spec.column_names)
    rows = session.sql(
        f"SELECT CAST(o.start + row_number() OVER (PARTITION BY r.{_FILE} ORDER BY r.{_POS}) - 1 AS BIGINT) "
        f"AS {ROW_ID}, "
        f"{columns} FROM __ingest_ranked r JOIN (VALUES {', '.join(offsets)}) AS o(file, start) "
        f"ON o.file = r.{_FILE} WHERE r._nth = 1 AND r.{_FILE} >= 0"
    )
    rows.write.mode("append").parquet(str(tables_folder / spec.name))


def _quarantine(store: Store, problems_folder: Path, conflicts: pa.Table) -> None:
    """The files' problems and the cross-file conflicts into the store's quarantine, at once."""
    connection = store.connection
    parts = sorted(problems_folder.glob("*.parquet"))
    columns = "run_id, table_name, file, row_number, column_name, value, reason, record, raw, kind"
    connection.execute("BEGIN TRANSACTION")
    try:
        if parts:
            listed = ", ".join("'" + str(p).replace("'", "''") + "'" for p in parts)
            connection.execute(
                f"INSERT INTO {QUARANTINE_TABLE} ({columns}) SELECT {columns} FROM read_parquet([{listed}])"
            )
        if conflicts.num_rows:
            connection.register("_conflicts", conflicts)
            connection.execute(f"INSERT INTO {QUARANTINE_TABLE} ({columns}) SELECT {columns} FROM _conflicts")
            connection.unregister("_conflicts")
        connection.execute("COMMIT")
    except BaseException:
        connection.execute("ROLLBACK")
        raise
