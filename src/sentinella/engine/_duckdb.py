"""DuckDB: the embedded default engine."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pyarrow as pa

from ._backend import Backend
from ._dialect import DuckDBDialect


def _default_memory_limit() -> str:
    """60% of physical memory: leaves room for numpy kernels that run beside DuckDB."""
    try:
        total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError):
        return "4GB"
    return f"{max(1, int(total * 0.6 / 2**30))}GB"


@dataclass(frozen=True)
class EngineSettings:
    """Resource limits, set explicitly so a run behaves the same on every machine.

    Read from ``SENTINELLA_MEMORY_LIMIT`` / ``SENTINELLA_THREADS`` when not given.
    """

    memory_limit: str = ""
    threads: int = 0

    def resolved(self) -> EngineSettings:
        memory = self.memory_limit or os.environ.get("SENTINELLA_MEMORY_LIMIT", "")
        threads = self.threads or int(os.environ.get("SENTINELLA_THREADS", "0") or 0)
        return EngineSettings(
            memory_limit=memory or _default_memory_limit(),
            threads=threads or (os.cpu_count() or 1),
        )


class DuckDBBackend(Backend):
    dialect = DuckDBDialect()

    def __init__(self, connection: duckdb.DuckDBPyConnection, settings: EngineSettings) -> None:
        super().__init__()
        self.connection = connection
        self.settings = settings.resolved()
        connection.execute(f"SET memory_limit = '{self.settings.memory_limit}'")
        connection.execute(f"SET threads = {int(self.settings.threads)}")
        connection.execute("SET TimeZone = 'UTC'")

    @classmethod
    def in_memory(cls, settings: EngineSettings | None = None) -> DuckDBBackend:
        return cls(duckdb.connect(":memory:"), settings or EngineSettings())

    def _execute(self, sql: str) -> None:
        self.connection.execute(sql)

    def _query_arrow(self, sql: str) -> pa.Table:
        return self.connection.sql(sql).to_arrow_table()

    def register_arrow(self, name: str, table: pa.Table | pa.RecordBatchReader) -> None:
        self.connection.register(name, table)

    def unregister(self, name: str) -> None:
        self.connection.unregister(name)

    def register_parquet(self, name: str, path: Path | str) -> None:
        literal = str(path).replace("'", "''")
        self.connection.execute(
            f"CREATE OR REPLACE TEMP VIEW {self.dialect.quote(name)} AS "
            f"SELECT * FROM read_parquet('{literal}')"
        )

    def table_exists(self, name: str) -> bool:
        found = self.connection.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_name = ?", [name]
        ).fetchall()
        return bool(found and found[0][0])
