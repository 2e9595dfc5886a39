"""Small DuckDB helpers: every result is drained, as DuckDB 2 requires before the next call."""

from __future__ import annotations

from typing import Any

import duckdb
import pyarrow as pa


def one(
    connection: duckdb.DuckDBPyConnection, sql: str, params: list[Any] | None = None
) -> tuple[Any, ...] | None:
    rows = connection.execute(sql, params or []).fetchall()
    return tuple(rows[0]) if rows else None


def count(connection: duckdb.DuckDBPyConnection, sql: str, params: list[Any] | None = None) -> int:
    row = one(connection, sql, params)
    return int(row[0]) if row and row[0] is not None else 0


def arrow(connection: duckdb.DuckDBPyConnection, sql: str) -> pa.Table:
    return connection.sql(sql).to_arrow_table()
