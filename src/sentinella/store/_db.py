"""Small DuckDB helpers: every result is drained, as DuckDB 2 requires before the next call."""

from __future__ import annotations

import contextlib
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


def rollback_quietly(connection: duckdb.DuckDBPyConnection) -> None:
    """Roll back if a transaction is still open.

    DuckDB ends the transaction itself when COMMIT fails (a full disk, a read-only folder), so
    a ROLLBACK then raises "no transaction is active" and would hide the real error.
    """
    with contextlib.suppress(duckdb.Error):
        connection.execute("ROLLBACK")
