"""Choosing the engine an analysis runs on, for the CLI's ``--engine``."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from sentinella.errors import ConfigError

from ._backend import Backend
from ._duckdb import DuckDBBackend

ENGINES = ("duckdb", "spark")


@contextmanager
def analysis_backend(
    store: DuckDBBackend,
    engine: str,
    *,
    inputs: Sequence[str],
    results: Sequence[str],
    spark_master: str = "",
    tables_folder: Path | None = None,
) -> Iterator[Backend]:
    """The backend to run an analysis on: the store's own (DuckDB), or Spark.

    With Spark, the store's ``inputs`` are exported to Parquet (with their row ids) in
    ``SENTINELLA_SPARK_DIR`` (a folder every executor can read, for a cluster; default a
    temporary folder, enough for local mode), the analysis runs there, and its ``results`` are
    written back into the store when it has finished. Results an earlier run left in the Spark
    session are dropped first, so only this run's rows are copied (a ``*_runs`` table gains one).

    ``tables_folder`` is where a store ingested on Spark keeps its input tables (Parquet with
    their row ids): they are read from there, and only Spark can run the analysis.
    """
    if engine not in ENGINES:
        raise ConfigError(f"--engine {engine!r}: choose one of {', '.join(ENGINES)}")
    if engine == "duckdb":
        if tables_folder is not None:
            raise ConfigError(
                f"this store was ingested on Spark and keeps its input tables in {tables_folder}: "
                "run the analysis with --engine spark"
            )
        yield store
        return
    from ._spark import SparkBackend, copy_results

    shared = os.environ.get("SENTINELLA_SPARK_DIR", "")
    with tempfile.TemporaryDirectory(prefix="sentinella-spark-", dir=shared or None) as folder:
        spark = SparkBackend(master=spark_master)
        for name in results:  # an earlier run in this session (one handed in) is not this run's
            spark.execute(f"DROP TABLE IF EXISTS {name}", step=f"clear {name}")
        from_folder = [n for n in inputs if tables_folder is not None and (tables_folder / n).is_dir()]
        for name in from_folder:
            assert tables_folder is not None
            spark.register_parquet(name, tables_folder / name)
        spark.load_store(store, Path(folder), [n for n in inputs if n not in from_folder])
        yield spark
        copy_results(spark, store, results)
