"""API keys: created with a role, shown once, stored as a salted HMAC-SHA256, revocable.

A key reads ``sk_<key_id>_<secret>``. The store keeps the key ID, the role, a random salt and
HMAC-SHA256(salt, secret); the secret itself is never stored, so a copy of the store does not
leak working keys. Revoking sets ``revoked_at``; rows are never deleted.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from typing import Any

import duckdb

from sentinella import audit

from ._errors import ApiKeyError

ROLES = ("public", "analyst", "ingest", "admin")
"""public: no more than no key; analyst: the analyst routes and analysis jobs; ingest: ingest
batches and analysis jobs; admin: what an analyst may, and key management (create, list, revoke)
while the server runs (an admin could make itself an analyst's key anyway)."""
KEYS_TABLE = "api_keys"
KEYS_DDL = f"""CREATE TABLE IF NOT EXISTS {KEYS_TABLE} (
    key_id VARCHAR PRIMARY KEY, role VARCHAR NOT NULL, salt VARCHAR NOT NULL, digest VARCHAR NOT NULL,
    label VARCHAR, created_by VARCHAR NOT NULL, created_at TIMESTAMPTZ NOT NULL, revoked_at TIMESTAMPTZ)"""


@dataclass(frozen=True)
class ApiKey:
    key_id: str
    role: str
    label: str | None
    created_by: str
    created_at: str
    revoked_at: str | None


def ensure_keys(connection: duckdb.DuckDBPyConnection) -> None:
    audit.ensure_audit(connection)
    connection.execute(KEYS_DDL)


def _digest(salt: str, secret: str) -> str:
    return hmac.new(bytes.fromhex(salt), secret.encode("utf-8"), hashlib.sha256).hexdigest()


def create_key(
    connection: duckdb.DuckDBPyConnection, *, role: str, actor: str, label: str | None = None
) -> tuple[str, ApiKey]:
    """A new key of ``role``; returns (the key to hand out, its record). The key is shown once."""
    if role not in ROLES:
        raise ApiKeyError(f"role: must be one of {', '.join(ROLES)}, not {role!r}")
    ensure_keys(connection)
    key_id, secret, salt = secrets.token_hex(6), secrets.token_urlsafe(24), secrets.token_hex(16)
    at = audit.now()
    connection.execute("BEGIN TRANSACTION")
    try:
        connection.execute(
            f"INSERT INTO {KEYS_TABLE} VALUES (?, ?, ?, ?, ?, ?, ?, NULL)",
            [key_id, role, salt, _digest(salt, secret), label, actor, at],
        )
        audit.record(
            connection,
            actor=actor,
            action="key.create",
            target_kind="api_key",
            target_id=key_id,
            after=role,
            at=at,
        )
    except BaseException:
        connection.execute("ROLLBACK")
        raise
    connection.execute("COMMIT")
    return f"sk_{key_id}_{secret}", ApiKey(key_id, role, label, actor, at.isoformat(), None)


def revoke_key(connection: duckdb.DuckDBPyConnection, key_id: str, *, actor: str) -> None:
    ensure_keys(connection)
    rows = connection.execute(f"SELECT revoked_at FROM {KEYS_TABLE} WHERE key_id = ?", [key_id]).fetchall()
    if not rows:
        raise ApiKeyError(f"key_id: no key {key_id!r}")
    if rows[0][0] is not None:
        raise ApiKeyError(f"key_id: {key_id} was already revoked at {rows[0][0].isoformat()}")
    at = audit.now()
    connection.execute("BEGIN TRANSACTION")
    try:
        connection.execute(f"UPDATE {KEYS_TABLE} SET revoked_at = ? WHERE key_id = ?", [at, key_id])
        audit.record(
            connection,
            actor=actor,
            action="key.revoke",
            target_kind="api_key",
            target_id=key_id,
            field="revoked_at",
            after=at.isoformat(),
            at=at,
        )
    except BaseException:
        connection.execute("ROLLBACK")
        raise
    connection.execute("COMMIT")


def list_keys(connection: duckdb.DuckDBPyConnection) -> list[ApiKey]:
    if not connection.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = ?", [KEYS_TABLE]
    ).fetchall()[0][0]:
        return []
    rows = connection.execute(
        f"SELECT key_id, role, label, created_by, created_at, revoked_at FROM {KEYS_TABLE} "
        "ORDER BY created_at"
    ).fetchall()
    return [
        ApiKey(k, r, lb, by, at.isoformat(), None if rv is None else rv.isoformat())
        for k, r, lb, by, at, rv in rows
    ]


def verify_key(connection: duckdb.DuckDBPyConnection, presented: str) -> dict[str, Any] | None:
    """The key's ID and role when ``presented`` is a live key; None otherwise (never says why)."""
    parts = presented.split("_", 2)
    if len(parts) != 3 or parts[0] != "sk" or not parts[1] or not parts[2] or len(presented) > 200:
        return None
    rows = connection.execute(
        f"SELECT role, salt, digest FROM {KEYS_TABLE} WHERE key_id = ? AND revoked_at IS NULL", [parts[1]]
    ).fetchall()
    if not rows:
        return None
    role, salt, digest = rows[0]
    if not hmac.compare_digest(_digest(salt, parts[2]), digest):
        return None
    return {"key_id": parts[1], "role": role}
