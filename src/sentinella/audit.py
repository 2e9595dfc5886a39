"""The audit trail: who changed or read what, when, with the value before and after.

One append-only table, ``audit_log``, shared by cases (every change), API keys (created,
revoked) and the API (every analyst and ingest call). Rows are only ever inserted; nothing
in Sentinella updates or deletes them. Writes are parameterised: values come from people.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import duckdb

AUDIT_TABLE = "audit_log"
AUDIT_DDL = (
    "CREATE SEQUENCE IF NOT EXISTS audit_log_seq START 1",
    f"""CREATE TABLE IF NOT EXISTS {AUDIT_TABLE} (
        event_id BIGINT PRIMARY KEY DEFAULT nextval('audit_log_seq'), occurred_at TIMESTAMPTZ NOT NULL,
        actor VARCHAR NOT NULL, action VARCHAR NOT NULL, target_kind VARCHAR, target_id VARCHAR,
        field VARCHAR, before VARCHAR, after VARCHAR, detail VARCHAR)""",
)


def ensure_audit(connection: duckdb.DuckDBPyConnection) -> None:
    for ddl in AUDIT_DDL:
        connection.execute(ddl)


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def record(
    connection: duckdb.DuckDBPyConnection,
    *,
    actor: str,
    action: str,
    target_kind: str | None = None,
    target_id: str | None = None,
    field: str | None = None,
    before: Any = None,
    after: Any = None,
    detail: str | None = None,
    at: dt.datetime | None = None,
) -> None:
    """Append one event (inside the caller's transaction, when there is one)."""
    connection.execute(
        f"INSERT INTO {AUDIT_TABLE} "
        "(occurred_at, actor, action, target_kind, target_id, field, before, after, detail) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            at or now(),
            actor,
            action,
            target_kind,
            target_id,
            field,
            None if before is None else str(before),
            None if after is None else str(after),
            detail,
        ],
    )


def events(
    connection: duckdb.DuckDBPyConnection, *, target_kind: str | None = None, target_id: str | None = None
) -> list[dict[str, Any]]:
    """Events in the order they happened, optionally for one target."""
    if not _exists(connection):
        return []
    where, params = [], []
    if target_kind is not None:
        where.append("target_kind = ?")
        params.append(target_kind)
    if target_id is not None:
        where.append("target_id = ?")
        params.append(target_id)
    clause = f"WHERE {' AND '.join(where)}" if where else ""
    cursor = connection.execute(f"SELECT * FROM {AUDIT_TABLE} {clause} ORDER BY event_id", params)
    names = [d[0] for d in cursor.description or []]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _exists(connection: duckdb.DuckDBPyConnection) -> bool:
    rows = connection.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = ?", [AUDIT_TABLE]
    ).fetchall()
    return bool(rows[0][0])
