"""DuckDB: the embedded default engine."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pyarrow as pa

from sentinella.errors import ConfigError

from ._backend import Backend
from ._dialect import ROW_ID, DuckDBDialect, literal


def _default_memory_limit() -> str:
    """60% of physical memory: leaves room for numpy kernels that run beside DuckDB."""
    try:
        total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError):
        return "4GB"
    return f"{max(1, int(total * 0.6 / 2**30))}GB"


_MEMORY = re.compile(r"\s*(\d+(?:\.\d+)?)\s*(KB|MB|GB|TB|KiB|MiB|GiB|TiB|%)\s*", re.IGNORECASE)
_UNIT_BYTES = {
    "kb": 1e3, "mb": 1e6, "gb": 1e9, "tb": 1e12,
    "kib": 2**10, "mib": 2**20, "gib": 2**30, "tib": 2**40,
}  # fmt: skip
MIN_MEMORY_BYTES = 100 * 10**6  # below this DuckDB fails its first allocations
MAX_THREADS = 1024


def check_memory_limit(value: str, source: str = "--memory-limit") -> str:
    """``value`` if DuckDB can run with it (e.g. ``8GB``, ``512MiB``, ``60%``); else ConfigError."""
    match = _MEMORY.fullmatch(value)
    if match is None:
        raise ConfigError(f"{source} {value!r} is not a memory size: write e.g. 8GB, 512MB or 60%")
    number, unit = float(match.group(1)), match.group(2).lower()
    if unit == "%":
        if not 0 < number <= 100:
            raise ConfigError(f"{source} {value!r}: a share of memory must be above 0% and at most 100%")
    elif number * _UNIT_BYTES[unit] < MIN_MEMORY_BYTES:
        raise ConfigError(f"{source} {value!r} is too small: give at least 100MB")
    return value.strip()


def check_threads(value: int, source: str = "--threads") -> int:
    """``value`` if it is 0 (all cores) or a sensible thread count; else ConfigError."""
    if not 0 <= value <= MAX_THREADS:
        raise ConfigError(f"{source} {value} must be between 1 and {MAX_THREADS} (0: all cores)")
    return value


@dataclass(frozen=True)
class EngineSettings:
    """Resource limits, set explicitly so a run behaves the same on every machine.

    Read from ``SENTINELLA_MEMORY_LIMIT`` / ``SENTINELLA_THREADS`` when not given. Values are
    checked when the settings are made (and the environment's when resolved), before any store
    is opened, so a typo never leaves a half-made store behind.
    """

    memory_limit: str = ""
    threads: int = 0

    def __post_init__(self) -> None:
        if self.memory_limit:
            check_memory_limit(self.memory_limit)
        check_threads(self.threads)

    def resolved(self) -> EngineSettings:
        memory = self.memory_limit or os.environ.get("SENTINELLA_MEMORY_LIMIT", "")
        if memory and not self.memory_limit:
            check_memory_limit(memory, "SENTINELLA_MEMORY_LIMIT")
        threads = self.threads
        if not threads:
            text = os.environ.get("SENTINELLA_THREADS", "").strip() or "0"
            try:
                number = int(text)
            except ValueError:
                raise ConfigError(f"SENTINELLA_THREADS {text!r} is not a whole number") from None
            threads = check_threads(number, "SENTINELLA_THREADS")
        return EngineSettings(
            memory_limit=memory or _default_memory_limit(),
            threads=threads or (os.cpu_count() or 1),
        )


class DuckDBBackend(Backend):
    dialect = DuckDBDialect()

    def __init__(self, connection: duckdb.DuckDBPyConnection, settings: EngineSettings) -> None:
        super().__init__()
        self._connection = connection
        self.settings = settings.resolved()
        connection.execute("SET memory_limit = ?", [self.settings.memory_limit])
        connection.execute(f"SET threads = {int(self.settings.threads)}")
        connection.execute("SET TimeZone = 'UTC'")

    @classmethod
    def in_memory(cls, settings: EngineSettings | None = None) -> DuckDBBackend:
        return cls(duckdb.connect(":memory:"), settings or EngineSettings())

    def cursor(self) -> DuckDBBackend:
        """A second backend on the same database, for another thread (one per thread)."""
        return DuckDBBackend(self._connection.cursor(), self.settings)

    def _execute(self, sql: str, params: Sequence[object] = ()) -> None:
        try:
            self._connection.execute(sql, list(params) or None)
        except duckdb.InterruptException as error:  # Ctrl-C inside a query: stop the whole run
            raise KeyboardInterrupt from error

    def _query_arrow(self, sql: str, params: Sequence[object] = ()) -> pa.Table:
        try:
            return self._connection.sql(sql, params=list(params) or None).to_arrow_table()
        except duckdb.InterruptException as error:
            raise KeyboardInterrupt from error

    def register_arrow(self, name: str, table: pa.Table | pa.RecordBatchReader) -> None:
        self._connection.register(name, table)

    def unregister(self, name: str) -> None:
        self._connection.unregister(name)

    def register_parquet(self, name: str, path: Path | str) -> None:
        relation = self._connection.read_parquet(str(path))
        relation.create_view(name, replace=True)

    def table_exists(self, name: str) -> bool:
        found = self._connection.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_name = ?", [name]
        ).fetchall()
        return bool(found and found[0][0])

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
        sets = ", ".join(f"{column} = {expression}" for column, expression in assignments.items())
        self.execute(
            f"UPDATE {table} SET {sets} FROM {source} m WHERE {table}.{key} = m.{key} AND ({where})",
            step=step,
        )

    def export_parquet(self, name: str, path: Path) -> None:
        """Write table ``name`` to a Parquet file with its row ids as ``_row_id`` (for Spark).

        A view has no row ids: its rows are numbered as they come (nothing keys on a view's)."""
        row_id = "row_number() OVER () - 1" if self.is_view(name) else "rowid"
        self.execute(
            f"COPY (SELECT {row_id} AS {ROW_ID}, * FROM {self.dialect.quote(name)}) "
            f"TO {literal(str(path))} (FORMAT parquet)",
            step=f"export {name}",
        )

    def columns(self, name: str) -> list[str]:
        found = self._connection.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = ? "
            "ORDER BY ordinal_position",
            [name],
        ).fetchall()
        return [str(row[0]) for row in found]

    def is_view(self, name: str) -> bool:
        found = self._connection.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_name = ? AND table_type = 'VIEW'",
            [name],
        ).fetchall()
        return bool(found and found[0][0])

    def append(self, name: str, table: pa.Table) -> None:
        present = set(self.columns(name))
        view = self.unique_name(f"append_{name}")
        self.register_arrow(view, table)
        try:
            for field in table.schema:
                if field.name not in present:
                    column = self.dialect.quote(field.name)
                    kind = self._connection.sql(f"SELECT {column} FROM {view}").types[0]
                    self.execute(
                        f"ALTER TABLE {name} ADD COLUMN {column} {kind}",
                        step=f"{name}: new column",
                    )
            self.execute(f"INSERT INTO {name} BY NAME SELECT * FROM {view}", step=f"append to {name}")
        finally:
            self.unregister(view)
