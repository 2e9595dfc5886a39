"""The engine seam: what every backend must do, and what they share.

A backend implements a handful of primitives (run SQL, fetch Arrow, register a table or a
Parquet file, say whether a table exists); naming, pipelines and error wrapping live here so
the analyses never see which engine runs them.
"""

from __future__ import annotations

import abc
import contextlib
import itertools
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pyarrow as pa

from sentinella.errors import SentinellaError

from ._dialect import Dialect
from ._pipeline import CTEPipeline


class EngineError(SentinellaError, RuntimeError):
    """A SQL step failed; the message names the step so a user can report it."""


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


class Backend(abc.ABC):
    dialect: Dialect

    def __init__(self) -> None:
        self._counter = itertools.count()

    # -- what each engine implements -------------------------------------------------------
    @abc.abstractmethod
    def _execute(self, sql: str, params: Sequence[object] = ()) -> None: ...

    @abc.abstractmethod
    def _query_arrow(self, sql: str, params: Sequence[object] = ()) -> pa.Table: ...

    @abc.abstractmethod
    def register_arrow(self, name: str, table: pa.Table | pa.RecordBatchReader) -> None:
        """Make an in-memory Arrow table (or a one-pass stream of batches) queryable as ``name``."""

    @abc.abstractmethod
    def unregister(self, name: str) -> None:
        """Forget a registered Arrow table, releasing its memory."""

    @abc.abstractmethod
    def register_parquet(self, name: str, path: Path | str) -> None:
        """Make a Parquet file (or glob) queryable under ``name`` without loading it."""

    @abc.abstractmethod
    def table_exists(self, name: str) -> bool: ...

    @abc.abstractmethod
    def columns(self, name: str) -> list[str]:
        """The column names of a table or view (empty when there is none)."""

    @abc.abstractmethod
    def is_view(self, name: str) -> bool:
        """Whether ``name`` is a view (a stored query) rather than a table."""

    @abc.abstractmethod
    def append(self, name: str, table: pa.Table) -> None:
        """Add rows to an existing table, matching columns by name; columns the table lacks
        are added first (a store written by an older version gains them)."""

    # -- shared behaviour ------------------------------------------------------------------
    def execute(self, sql: str, params: Sequence[object] = (), *, step: str = "sql") -> None:
        """Run a statement; values travel as ``params`` bound to its ``?`` placeholders."""
        try:
            self._execute(self.dialect.translate(sql), params)
        except Exception as error:  # engines raise their own types; give one to callers
            raise EngineError(f"step {step!r} failed: {error}") from error

    def query(self, sql: str, params: Sequence[object] = (), *, step: str = "query") -> pa.Table:
        try:
            return self._query_arrow(self.dialect.translate(sql), params)
        except Exception as error:
            raise EngineError(f"step {step!r} failed: {error}") from error

    def scalar(self, sql: str, params: Sequence[object] = (), *, step: str = "scalar") -> object:
        table = self.query(sql, params, step=step)
        if table.num_rows == 0:
            return None
        return table.column(0)[0].as_py()

    def rows(self, sql: str, params: Sequence[object] = (), *, step: str = "rows") -> list[dict[str, Any]]:
        """A (small) result as a list of dicts, for reports and summaries."""
        return list(self.query(sql, params, step=step).to_pylist())

    @contextmanager
    def transaction(self, step: str = "transaction") -> Iterator[None]:
        """All or nothing: readers never see half an analysis's results.

        A failed COMMIT (a full disk, a read-only folder) is reported once as an
        :class:`EngineError`; the engine has already discarded the transaction, so nothing is
        rolled back twice and the store keeps its previous contents.
        """
        self.execute("BEGIN TRANSACTION", step=step)
        try:
            yield
        except BaseException:
            self.rollback_quietly()
            raise
        try:
            self._execute("COMMIT")
        except Exception as error:
            self.rollback_quietly()
            raise EngineError(
                f"step {step!r}: the results could not be saved and nothing was changed: {_first_line(error)}"
            ) from error

    def rollback_quietly(self) -> None:
        """Roll back if a transaction is still open; the error that led here is the one to report."""
        # no transaction left (a failed COMMIT ends it) or a broken connection: nothing to undo
        with contextlib.suppress(Exception):
            self._execute("ROLLBACK")

    def write_table(
        self, name: str, table: pa.Table | pa.RecordBatchReader, *, temporary: bool = False
    ) -> None:
        """Create or replace a result table (or a ``temporary`` one) from Arrow: a table, or a
        stream of batches that is built as it is read (for results too big to hold twice)."""
        if isinstance(table, pa.RecordBatchReader):
            batches: pa.Table | pa.RecordBatchReader = table
        else:
            # Many record batches, not one: engines scan Arrow in parallel, a batch per thread.
            batches = pa.Table.from_batches(table.to_batches(max_chunksize=1 << 17), table.schema)
        view = self.unique_name(f"arrow_{name}")
        self.register_arrow(view, batches)
        try:
            kind = "TEMP TABLE" if temporary else "TABLE"
            self.execute(f"CREATE OR REPLACE {kind} {name} AS SELECT * FROM {view}", step=f"write {name}")
        finally:
            self.unregister(view)

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
        """Run ``kernel`` over the rows of ``sql`` and keep what it returns as table ``output``.

        The kernel sees whole groups of ``by`` (several groups a call, each group's rows
        together and in ``order``) and returns rows of ``schema``: a sequential walk per group
        (credit's 14-day rule) then runs wherever the rows are. Here it is one call on all the
        rows; the Spark backend calls it once per partition, on the executors."""
        keys = ", ".join([*by, *order])
        try:
            rows = self._query_arrow(self.dialect.translate(f"SELECT * FROM ({sql}) ORDER BY {keys}"))
            result = kernel(rows)
        except Exception as error:
            raise EngineError(f"step {step!r} failed: {error}") from error
        self.write_table(output, result.cast(schema), temporary=True)

    def create_view(self, name: str, sql: str, *, step: str = "view") -> None:
        """Create or replace view ``name``. A store an analysis wrote through ``--engine spark``
        holds its views as tables (copied back as data), and a view cannot replace a table:
        that table is dropped first."""
        if self.table_exists(name) and not self.is_view(name):
            self.execute(f"DROP TABLE {name}", step=step)
        self.execute(f"CREATE OR REPLACE VIEW {name} AS {sql}", step=step)

    def update(
        self,
        table: str,
        source: str,
        key: str,
        assignments: Mapping[str, str],
        where: str = "TRUE",
        *,
        step: str = "update",
    ) -> None:
        """Set columns of ``table`` from the row of ``source`` (aliased ``m``) with the same
        ``key``, where ``where`` holds; expressions name the table's own columns as
        ``table.column``. This form rebuilds the table with a left join (engines whose tables
        are immutable, as Spark's views); engines with UPDATE override it."""
        matched = f"m.{key} IS NOT NULL AND ({where})"
        select = ", ".join(
            f"CASE WHEN {matched} THEN {assignments[column]} ELSE {table}.{column} END AS {column}"
            if column in assignments
            else f"{table}.{column}"
            for column in self.columns(table)
        )
        self.execute(
            f"CREATE OR REPLACE TEMP TABLE {table} AS SELECT {select} FROM {table} "
            f"LEFT JOIN {source} m ON {table}.{key} = m.{key}",
            step=step,
        )

    def has_rows(self, name: str) -> bool:
        """Whether a table exists and holds at least one row (without counting them all)."""
        return self.table_exists(name) and bool(
            self.scalar(f"SELECT count(*) > 0 FROM (SELECT 1 FROM {name} LIMIT 1)", step=f"rows of {name}")
        )

    def unique_name(self, prefix: str) -> str:
        return f"__{prefix}_{next(self._counter)}"

    def run_pipeline(self, pipeline: CTEPipeline, output: str, *, temporary: bool = True) -> str:
        """Materialise a pipeline as table ``output``, cutting at materialised steps."""
        kind = "TEMP TABLE" if temporary else "TABLE"
        parts = pipeline.split_at_materialised()
        for index, part in enumerate(parts):
            last = index == len(parts) - 1
            name = output if last else part.output_name
            self.execute(f"DROP TABLE IF EXISTS {name}", step=name)
            self.execute(f"CREATE {kind} {name} AS\n{part.render()}", step=name)
        return output
