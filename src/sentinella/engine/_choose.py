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
) -> Iterator[Backend]:
    """The backend to run an analysis on: the store's own (DuckDB), or Spark.

    With Spark, the store's ``inputs`` are exported to Parquet (with their row ids) in
    ``SENTINELLA_SPARK_DIR`` (a folder every executor can read, for a cluster; default a
    temporary folder, enough for local mode), the analysis runs there, and its ``results`` are
    written back into the store when it has finished. Results an earlier run left in the Spark
    session are dropped first, so only this run's rows are copied (a ``*_runs`` table gains one).
    """
    if engine == "duckdb":
        yield store
        return
    if engine != "spark":
        raise ConfigError(f"--engine {engine!r}: choose one of {', '.join(ENGINES)}")
    from ._spark import SparkBackend, copy_results

    shared = os.environ.get("SENTINELLA_SPARK_DIR", "")
    with tempfile.TemporaryDirectory(prefix="sentinella-spark-", dir=shared or None) as folder:
        spark = SparkBackend(master=spark_master)
        for name in results:  # an earlier run in this session (one handed in) is not this run's
            spark.execute(f"DROP TABLE IF EXISTS {name}", step=f"clear {name}")
        spark.load_store(store, Path(folder), inputs)
        yield spark
        copy_results(spark, store, results)
