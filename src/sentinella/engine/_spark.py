"""Apache Spark: the same SQL steps on a cluster (or in local mode), for cases that outgrow one machine.

PySpark is an extra (``pip install "sentinella[spark]"``) imported only when a Spark backend is
made. Tables are Spark temporary views: a ``CREATE TABLE ... AS`` step is run and then
*checkpointed* (materialised, its lineage cut), which is what keeps iterative work from growing
one ever longer plan; ``INSERT`` unions and checkpoints again. Spark has no transactions over
views, so ``BEGIN``/``COMMIT``/``ROLLBACK`` do nothing here: a failed analysis can leave some of
its result views replaced (they live only as long as the session; the store is written when the
analysis has finished, see :func:`copy_results`).

Input tables come from Parquet. Spark has no row identity, so each input table gets the column
``_row_id`` (``ROW_ID``), dense from 0: taken from the DuckDB store's row ids when the store
exports them (:meth:`DuckDBBackend.export_parquet`), so codes and ties are the same on both
engines; computed in file order otherwise.
"""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa
import pyarrow.parquet as pq
import sqlglot
from sqlglot import exp

from sentinella.errors import ConfigError

from ._backend import Backend, EngineError
from ._dialect import ROW_ID, SparkDialect, SparkSQL

if TYPE_CHECKING:  # pragma: no cover - typing only
    from ._duckdb import DuckDBBackend

SparkSession = Any  # pyspark.sql.SparkSession, without importing pyspark


_VIEWS: dict[int, set[str]] = {}
COLLECT_THROUGH_FILES_ABOVE = 256 << 20
"""Results Spark estimates above this many bytes reach Python through Parquet files (local mode)."""
REGISTER_THROUGH_FILES_ABOVE = 256 << 20
"""Arrow tables of this many bytes or more (and every stream of batches) reach Spark through a Parquet
file the driver writes (local mode)."""


def _pyspark() -> Any:
    try:
        import pyspark.sql
    except ImportError as error:
        raise ConfigError(
            'the Spark engine needs PySpark: pip install "sentinella[spark]" (and Java 17 or later)'
        ) from error
    return pyspark.sql


def local_session(
    *, master: str = "local[2]", driver_memory: str = "", shuffle_partitions: int = 4
) -> SparkSession:
    """A Spark session for one machine: few shuffle partitions (small data), no web UI, UTC.

    ``driver_memory``: default ``SENTINELLA_SPARK_DRIVER_MEMORY``, else 2g. The kernels run on
    arrays collected to the driver, which at 10M members need more than 2g (docs/scale.md)."""
    sql = _pyspark()
    driver_memory = driver_memory or os.environ.get("SENTINELLA_SPARK_DRIVER_MEMORY", "") or "2g"
    os.environ.setdefault("PYARROW_IGNORE_TIMEZONE", "1")
    # Python workers (kernels run with map_groups) use this interpreter and its packages
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    builder = (
        sql.SparkSession.builder.master(master)
        .appName("sentinella")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.driver.memory", driver_memory)
        # the kernels' arrays are collected by design: the driver's memory is the limit, not
        # Spark's default 1g cap on collected results (100M members' IDs are some GB)
        .config("spark.driver.maxResultSize", driver_memory)
        .config("spark.sql.shuffle.partitions", str(shuffle_partitions))
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        .config("spark.sql.ansi.enabled", "false")
    )
    session = builder.getOrCreate()
    session.sparkContext.setLogLevel("ERROR")
    return session


class SparkBackend(Backend):
    """Runs the analyses' SQL on a :class:`pyspark.sql.SparkSession` (given, or made locally)."""

    dialect = SparkDialect()

    def __init__(
        self,
        spark: SparkSession | None = None,
        *,
        master: str = "",
        collect_through_files_above: int = COLLECT_THROUGH_FILES_ABOVE,
        register_through_files_above: int = REGISTER_THROUGH_FILES_ABOVE,
    ) -> None:
        super().__init__()
        if spark is None:
            spark = local_session(master=master) if master else local_session()
        self.spark = spark
        # Constraint propagation over a UNION of checkpointed steps fails in Spark 4.3 ("key not
        # found: level#2523L" in UnionBase.rewriteConstraints): the forest unions its level
        # tables 64 at a time. It only infers extra filters, so results do not depend on it.
        spark.conf.set("spark.sql.constraintPropagation.enabled", "false")
        # a file the driver wrote is one it can read only when executors share its disk
        local = spark.sparkContext.master.startswith("local")
        self._collect_through_files_above = collect_through_files_above if local else None
        self._register_through_files_above = register_through_files_above if local else None
        self._staged: dict[str, tempfile.TemporaryDirectory[str]] = {}  # views over the driver's files
        _quiet_failed_statements()
        # which temporary views are views proper (not checkpointed tables), per session: two
        # backends on one session (a test's, the CLI's) must agree
        self._views: set[str] = _VIEWS.setdefault(id(spark), set())

    # -- statements ----------------------------------------------------------------------------
    def _execute(self, sql: str, params: Sequence[object] = ()) -> None:
        try:
            for statement in sqlglot.parse(sql, read=SparkSQL):
                if statement is not None:
                    self._statement(statement, params)
        except Exception as error:  # Spark's messages carry the whole plan: keep the first line
            raise RuntimeError(_first_line(error)) from error

    def _statement(self, statement: Any, params: Sequence[object]) -> None:
        args = list(params) or None
        if isinstance(statement, exp.Transaction | exp.Commit | exp.Rollback):
            return  # no transactions over temporary views: see the module's docstring
        if isinstance(statement, exp.Create) and isinstance(statement.expression, exp.Query):
            name = statement.this.name if isinstance(statement.this, exp.Table) else statement.this.this.name
            query = statement.expression.sql(dialect=SparkSQL)
            if str(statement.args.get("kind", "")).upper() == "VIEW":
                self.spark.sql(query, args=args).createOrReplaceTempView(name)
                self._views.add(name)
            else:
                self._materialise(name, self.spark.sql(query, args=args))
            return
        if isinstance(statement, exp.Create) and isinstance(statement.this, exp.Schema):
            name = statement.this.this.name
            columns = ", ".join(
                f"CAST(NULL AS {column.args['kind'].sql(dialect='spark')}) AS {column.name}"
                for column in statement.this.expressions
                if isinstance(column, exp.ColumnDef)
            )
            self._materialise(name, self.spark.sql(f"SELECT {columns} WHERE FALSE"))
            return
        if isinstance(statement, exp.Drop):
            table = statement.find(exp.Table)
            if table is not None:
                self.spark.catalog.dropTempView(table.name)
                self._views.discard(table.name)
            return
        if isinstance(statement, exp.Insert):
            target = statement.this
            name = target.this.name if isinstance(target, exp.Schema) else target.name
            rows = self.spark.sql(statement.expression.sql(dialect=SparkSQL), args=args)
            if isinstance(target, exp.Schema):
                rows = rows.toDF(*[column.name for column in target.expressions])
            else:
                rows = rows.toDF(*self.spark.table(name).columns)
            self._materialise(name, self.spark.table(name).unionByName(rows, allowMissingColumns=True))
            return
        self.spark.sql(statement.sql(dialect=SparkSQL), args=args).collect()

    def map_groups(
        self,
        sql: str,
        *,
        by: Sequence[str],
        order: Sequence[str],
        kernel: Callable[[pa.Table], pa.Table],
        schema: pa.Schema,
        output: str,
        step: str = "kernel",
    ) -> None:
        """On the executors: the rows are shuffled so that each group of ``by`` lands whole in
        one partition, sorted there, and the kernel runs once per partition (``mapInArrow``)."""
        from pyspark.sql.pandas.types import from_arrow_schema

        try:
            frame = self.spark.sql(self.dialect.translate(sql))
            partitions = int(self.spark.conf.get("spark.sql.shuffle.partitions") or 1)
            frame = frame.repartition(max(1, partitions), *by).sortWithinPartitions(*by, *order)
            result = frame.mapInArrow(
                _PerPartition(kernel, schema), from_arrow_schema(schema, prefer_timestamp_ntz=True)
            )
            self._materialise(output, result)
        except Exception as error:
            raise EngineError(f"step {step!r} failed: {_first_line(error)}") from error

    def _materialise(self, name: str, frame: Any) -> None:
        """Compute ``frame`` once and keep it as view ``name``, with its lineage cut."""
        frame.localCheckpoint(eager=True).createOrReplaceTempView(name)
        self._views.discard(name)

    def _query_arrow(self, sql: str, params: Sequence[object] = ()) -> pa.Table:
        try:
            frame = self.spark.sql(sql, args=list(params) or None)
            limit = self._collect_through_files_above
            if limit is not None and _estimated_bytes(frame) > limit:
                return _collect_through_parquet(frame)
            return frame.toArrow()
        except Exception as error:
            raise RuntimeError(_first_line(error)) from error

    # -- tables --------------------------------------------------------------------------------
    def register_arrow(self, name: str, table: pa.Table | pa.RecordBatchReader) -> None:
        limit = self._register_through_files_above
        streamed = isinstance(table, pa.RecordBatchReader)
        if limit is not None and (streamed or table.nbytes >= limit):
            self._register_through_parquet(name, table)
            return
        if isinstance(table, pa.RecordBatchReader):
            table = table.read_all()
        from pyspark.sql.pandas.types import from_arrow_schema

        # the schema given, not inferred: a naive timestamp (a photo's local time) stays one
        # (TIMESTAMP_NTZ) instead of becoming an instant in the session's zone
        schema = from_arrow_schema(table.schema, prefer_timestamp_ntz=True)
        if table.num_rows == 0:  # PySpark cannot build a frame from an Arrow table of no batches
            self.spark.createDataFrame([], schema).createOrReplaceTempView(name)
        else:
            self.spark.createDataFrame(table, schema).createOrReplaceTempView(name)
        self._drop_staged(name)  # the file an earlier view of this name read

    def _register_through_parquet(self, name: str, table: pa.Table | pa.RecordBatchReader) -> None:
        """A view over a Parquet file written batch by batch on the driver's disk.

        ``createDataFrame`` sends the whole table through the JVM's heap: at 100M members the
        pyramid's per-member figures (a stream built as it is read) would be held whole in Python
        and again in the JVM. A file is read by the executors like any input; it lives until the
        view is unregistered (``write_table`` materialises the view first).
        """
        self._drop_staged(name)
        folder = tempfile.TemporaryDirectory(prefix="sentinella-register-", ignore_cleanup_errors=True)
        path = Path(folder.name) / "part-00000.parquet"
        batches = table if isinstance(table, pa.RecordBatchReader) else table.to_reader(max_chunksize=1 << 20)
        with pq.ParquetWriter(path, batches.schema, compression="none", coerce_timestamps="us") as writer:
            for batch in batches:
                writer.write_batch(batch)
        self._staged[name] = folder
        self.spark.read.parquet(str(path)).createOrReplaceTempView(name)

    def _drop_staged(self, name: str) -> None:
        folder = self._staged.pop(name, None)
        if folder is not None:
            folder.cleanup()

    def unregister(self, name: str) -> None:
        self.spark.catalog.dropTempView(name)
        self._drop_staged(name)

    def register_parquet(self, name: str, path: Path | str) -> None:
        frame = self.spark.read.parquet(str(path))
        if ROW_ID not in frame.columns:
            frame = _with_row_ids(self.spark, frame)
        self._materialise(name, frame)

    def table_exists(self, name: str) -> bool:
        return bool(self.spark.catalog.tableExists(name))

    def columns(self, name: str) -> list[str]:
        if not self.table_exists(name):
            return []
        return [str(column) for column in self.spark.table(name).columns]

    def is_view(self, name: str) -> bool:
        return name in self._views

    def append(self, name: str, table: pa.Table) -> None:
        rows = self.spark.createDataFrame(table)
        self._materialise(name, self.spark.table(name).unionByName(rows, allowMissingColumns=True))

    def load_store(self, store: DuckDBBackend, folder: Path, tables: Iterable[str]) -> list[str]:
        """Export the store's ``tables`` (those that exist) to Parquet under ``folder`` with their
        row ids, and register them here; returns the names registered. A table the store lacks
        is dropped from the session too: a view an earlier analysis left there (an optional
        input such as ``ring_order_scores``) belongs to another store."""
        folder.mkdir(parents=True, exist_ok=True)
        loaded = []
        for name in tables:
            if not store.table_exists(name):
                self.unregister(name)
                self._views.discard(name)
                continue
            path = folder / f"{name}.parquet"
            store.export_parquet(name, path)
            self.register_parquet(name, path)
            loaded.append(name)
        return loaded


class _PerPartition:
    """What ``mapInArrow`` runs on an executor: one partition's batches as one table through the
    kernel (a module-level class, so it pickles by reference with the kernel it holds)."""

    def __init__(self, kernel: Callable[[pa.Table], pa.Table], schema: pa.Schema) -> None:
        self.kernel = kernel
        self.schema = schema

    def __call__(self, batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        received = list(batches)
        if not received:
            return
        yield from self.kernel(pa.Table.from_batches(received)).cast(self.schema).to_batches()


def _quiet_failed_statements() -> None:
    """PySpark logs every failed statement with Spark's whole stack trace (some 150 lines of JSON)
    on stderr; the backend raises the error's first line instead, with the step's name."""
    import logging

    from pyspark.logger import PySparkLogger

    PySparkLogger.getLogger("SQLQueryContextLogger").setLevel(logging.CRITICAL)


def _estimated_bytes(frame: Any) -> int:
    """Spark's estimate of a result's size (an upper bound: scans' file sizes through the plan)."""
    return int(frame._jdf.queryExecution().optimizedPlan().stats().sizeInBytes())


def _collect_through_parquet(frame: Any) -> pa.Table:
    """A big result read back from Parquet the executors wrote, in the frame's order.

    ``toArrow`` gathers every batch in the driver's JVM before Python sees the first: at 100M
    members that is over 13 GB of JVM on top of the Python driver's own copy (the machine
    killed it). Written partition by partition, read with pyarrow, the JVM keeps none of it.
    Part files are numbered in partition order, which is the frame's order when it is sorted.
    """
    from pyspark.sql.pandas.types import to_arrow_schema

    session = frame.sparkSession
    large = session.conf.get("spark.sql.execution.arrow.useLargeVarTypes", "false") == "true"
    schema = to_arrow_schema(
        frame.schema,
        error_on_duplicated_field_names_in_struct=True,
        timezone="UTC",
        prefers_large_types=large,
    )  # the schema toArrow gives
    # instants as microseconds (the default, INT96, is nanoseconds that end in 2262)
    session.conf.set("spark.sql.parquet.outputTimestampType", "TIMESTAMP_MICROS")
    with tempfile.TemporaryDirectory(prefix="sentinella-collect-") as folder:
        frame.write.mode("overwrite").option("compression", "none").parquet(folder)
        parts = sorted(Path(folder).glob("part-*.parquet"))
        if not parts:
            return schema.empty_table()
        table = pa.concat_tables(pq.read_table(part) for part in parts)
    return table.cast(schema)


def _first_line(error: BaseException) -> str:
    """The line that says what went wrong. A Java error reaches Python as "An error occurred while
    calling o78.getResult." with the JVM's own message on a later line (": org.apache...")."""
    lines = [line.strip() for line in str(error).strip().splitlines() if line.strip()]
    if not lines:
        return type(error).__name__
    if lines[0].startswith("An error occurred while calling"):
        cause = next((line for line in lines[1:] if line.startswith(":")), "")
        if cause:
            return f"{lines[0]} {cause.lstrip(': ')}"
    return lines[0]


def _with_row_ids(spark: SparkSession, frame: Any) -> Any:
    """``frame`` with ``_row_id`` dense from 0 in file order, without one-partition windows.

    ``monotonically_increasing_id`` is the partition index in its upper bits and the row's place
    within the partition below; each partition's offset is the rows of those before it.
    """
    functions = _pyspark().functions
    tagged = frame.withColumn("__part", functions.spark_partition_id()).withColumn(
        "__mono", functions.monotonically_increasing_id()
    )
    tagged = tagged.localCheckpoint(eager=True)
    counts = sorted(
        (int(r["__part"]), int(r["n"]))
        for r in tagged.groupBy("__part").agg(functions.count(functions.lit(1)).alias("n")).collect()
    )
    offsets, total = [], 0
    for part, n in counts:
        offsets.append((part, total))
        total += n
    if not offsets:
        return frame.withColumn(ROW_ID, functions.lit(0).cast("bigint")).limit(0)
    offset_frame = spark.createDataFrame(offsets, "__part INT, __offset BIGINT")
    joined = tagged.join(functions.broadcast(offset_frame), "__part")
    row_id = functions.col("__offset") + (
        functions.col("__mono") - functions.shiftleft(functions.col("__part").cast("bigint"), 33)
    )
    return joined.select(row_id.alias(ROW_ID), *frame.columns)


def copy_results(spark: SparkBackend, store: DuckDBBackend, names: Iterable[str]) -> list[str]:
    """Write an analysis's result tables from Spark into the DuckDB store, in one transaction.

    Views (``pyramid_members``) arrive as tables; a ``*_runs`` table gains this run's rows
    instead of being replaced. Returns the names written.
    """
    written = []
    results = {name: spark.query(f"SELECT * FROM {name}") for name in names if spark.table_exists(name)}
    with store.transaction("copy results from Spark"):
        for name, table in results.items():
            if name.endswith("_runs") and store.table_exists(name):
                store.append(name, table)
            else:
                if store.is_view(name):
                    store.execute(f"DROP VIEW {name}", step=f"replace view {name}")
                store.write_table(name, table)
            written.append(name)
    return written
