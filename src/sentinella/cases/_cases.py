"""The case queue in the store: cases, notes, evidence and the audit trail of every change.

Nothing here deletes a row. A case is closed by moving it to ``actioned`` or ``dismissed``; a
subject has at most one active case (``open`` or ``investigating``) at a time, so opening one
again returns the active case. Every statement is parameterised: IDs, names and notes come
from people.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import duckdb

from sentinella import audit

from ._errors import CaseError, CaseNotFoundError

STATUSES = ("open", "investigating", "actioned", "dismissed")
ACTIVE = ("open", "investigating")
SUBJECT_KINDS = ("member", "merchant")
MAX_TEXT = 10_000  # a note or title longer than this is a mistake, not a note
_SUBJECT_TABLES = {"member": ("members", "member_id"), "merchant": ("merchants", "merchant_id")}

CASES_DDL = (
    """CREATE TABLE IF NOT EXISTS cases (
        case_id VARCHAR PRIMARY KEY, subject_kind VARCHAR NOT NULL, subject_id VARCHAR NOT NULL,
        status VARCHAR NOT NULL, assignee VARCHAR, title VARCHAR, source VARCHAR NOT NULL,
        score DOUBLE, opened_by VARCHAR NOT NULL, opened_at TIMESTAMPTZ NOT NULL,
        updated_at TIMESTAMPTZ NOT NULL, closed_at TIMESTAMPTZ)""",
    """CREATE TABLE IF NOT EXISTS case_notes (
        case_id VARCHAR NOT NULL, note_no INTEGER NOT NULL, author VARCHAR NOT NULL,
        written_at TIMESTAMPTZ NOT NULL, text VARCHAR NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS case_evidence (
        case_id VARCHAR NOT NULL, table_name VARCHAR NOT NULL, key VARCHAR NOT NULL,
        note VARCHAR, added_by VARCHAR NOT NULL, added_at TIMESTAMPTZ NOT NULL)""",
)
CASE_TABLES = ("cases", "case_notes", "case_evidence", audit.AUDIT_TABLE)


@dataclass(frozen=True)
class Case:
    case_id: str
    subject_kind: str
    subject_id: str
    status: str
    assignee: str | None
    title: str | None
    source: str
    score: float | None
    opened_by: str
    opened_at: str
    updated_at: str
    closed_at: str | None

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def ensure_tables(connection: duckdb.DuckDBPyConnection) -> None:
    audit.ensure_audit(connection)
    for ddl in CASES_DDL:
        connection.execute(ddl)


@contextmanager
def _transaction(connection: duckdb.DuckDBPyConnection) -> Iterator[None]:
    connection.execute("BEGIN TRANSACTION")
    try:
        yield
    except BaseException:
        connection.execute("ROLLBACK")
        raise
    connection.execute("COMMIT")


def _text(value: str | None, field: str, *, required: bool = False) -> str | None:
    if value is None or not value.strip():
        if required:
            raise CaseError(f"{field}: must not be empty")
        return None
    if len(value) > MAX_TEXT:
        raise CaseError(f"{field}: longer than {MAX_TEXT:,} characters ({len(value):,})")
    if "\x00" in value:
        raise CaseError(f"{field}: contains a NUL character")
    return value.strip()


def _iso(value: Any) -> str | None:
    return None if value is None else value.isoformat()


def _rows(cursor: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    names = [d[0] for d in cursor.description or []]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _case(row: dict[str, Any]) -> Case:
    for key in ("opened_at", "updated_at", "closed_at"):
        row[key] = _iso(row[key])
    return Case(**row)


def _table_exists(connection: duckdb.DuckDBPyConnection, name: str) -> bool:
    rows = connection.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = ?", [name]
    ).fetchall()
    return bool(rows[0][0])


def get_case(connection: duckdb.DuckDBPyConnection, case_id: str) -> Case:
    if not _table_exists(connection, "cases"):
        raise CaseNotFoundError(f"case_id: no case {case_id!r} (no case has been opened in this store)")
    rows = _rows(connection.execute("SELECT * FROM cases WHERE case_id = ?", [case_id]))
    if not rows:
        raise CaseNotFoundError(f"case_id: no case {case_id!r}")
    return _case(rows[0])


def _next_ids(connection: duckdb.DuckDBPyConnection, count: int) -> list[str]:
    last = connection.execute(
        "SELECT coalesce(max(CAST(substr(case_id, 2) AS BIGINT)), 0) FROM cases"
    ).fetchall()[0][0]
    return [f"C{number:07d}" for number in range(int(last) + 1, int(last) + 1 + count)]


def open_case(
    connection: duckdb.DuckDBPyConnection,
    *,
    subject_kind: str,
    subject_id: str,
    actor: str,
    title: str | None = None,
    assignee: str | None = None,
    source: str = "hand",
    score: float | None = None,
    evidence: list[tuple[str, dict[str, Any]]] | None = None,
) -> tuple[Case, bool]:
    """Open a case on a subject, or return its active one. Returns (case, opened now)."""
    if subject_kind not in SUBJECT_KINDS:
        raise CaseError(f"subject_kind: must be one of {', '.join(SUBJECT_KINDS)}, not {subject_kind!r}")
    subject = _text(subject_id, "subject_id", required=True)
    who = _text(actor, "actor", required=True)
    assert subject is not None and who is not None
    table, key = _SUBJECT_TABLES[subject_kind]
    if _table_exists(connection, table):
        known = connection.execute(f"SELECT count(*) FROM {table} WHERE {key} = ?", [subject]).fetchall()
        if not known[0][0]:
            raise CaseError(f"subject_id: no {subject_kind} {subject!r} in the store")
    ensure_tables(connection)
    with _transaction(connection):
        active = _rows(
            connection.execute(
                "SELECT * FROM cases WHERE subject_kind = ? AND subject_id = ? AND status IN (?, ?)",
                [subject_kind, subject, *ACTIVE],
            )
        )
        if active:
            return _case(active[0]), False
        (case_id,) = _next_ids(connection, 1)
        at = audit.now()
        connection.execute(
            "INSERT INTO cases VALUES (?, ?, ?, 'open', ?, ?, ?, ?, ?, ?, ?, NULL)",
            [
                case_id,
                subject_kind,
                subject,
                _text(assignee, "assignee"),
                _text(title, "title"),
                source,
                score,
                who,
                at,
                at,
            ],
        )
        audit.record(
            connection,
            actor=who,
            action="case.open",
            target_kind="case",
            target_id=case_id,
            field="status",
            after="open",
            detail=f"{subject_kind} {subject} ({source})",
            at=at,
        )
        for table_name, key_values in evidence or []:
            _attach(connection, case_id, table_name, key_values, None, who, at, check=False)
    return get_case(connection, case_id), True


def open_from_risk(
    connection: duckdb.DuckDBPyConnection, *, threshold: float, actor: str, limit: int | None = None
) -> list[Case]:
    """A case for every subject scored at or above ``threshold`` that has no active case.

    The new case carries the score and, as evidence, every reason's table and key. One
    transaction of set-based inserts, so a queue of thousands opens as fast as a few.
    """
    who = _text(actor, "actor", required=True)
    if not _table_exists(connection, "risk_scores"):
        raise CaseError("risk_scores: not in the store; run `sentinella risk` first")
    ensure_tables(connection)
    at = audit.now()
    new = "__cases_from_risk"
    with _transaction(connection):
        last = connection.execute(
            "SELECT coalesce(max(CAST(substr(case_id, 2) AS BIGINT)), 0) FROM cases"
        ).fetchall()[0][0]
        connection.execute(
            f"CREATE OR REPLACE TEMP TABLE {new} AS SELECT printf('C%07d', ? + row_number() OVER "
            "(ORDER BY r.score DESC, r.subject_kind, r.subject_id)) AS case_id, "
            "r.subject_kind, r.subject_id, "
            "r.score, r.reasons FROM risk_scores r WHERE r.score >= ? AND NOT EXISTS (SELECT 1 FROM cases c "
            "WHERE c.subject_kind = r.subject_kind AND c.subject_id = r.subject_id AND c.status IN (?, ?)) "
            "ORDER BY r.score DESC, r.subject_kind, r.subject_id" + (" LIMIT ?" if limit is not None else ""),
            [int(last), threshold, *ACTIVE, *([limit] if limit is not None else [])],
        )
        connection.execute(
            "INSERT INTO cases SELECT case_id, subject_kind, subject_id, 'open', NULL, "
            "printf('risk %.2f: ', score) || replace(coalesce(reasons ->> '$[0].signal', 'risk'), '_', ' '), "
            f"'risk', score, ?, ?, ?, NULL FROM {new}",
            [who, at, at],
        )
        evidence = (
            "SELECT n.case_id, e.ev.evidence.table AS table_name, CAST(e.ev.evidence.key AS VARCHAR) AS key "
            f"FROM {new} n, unnest(from_json(n.reasons, "
            '\'[{"evidence": {"table": "VARCHAR", "key": "JSON"}}]\')) AS e(ev)'
        )
        connection.execute(
            f"INSERT INTO case_evidence SELECT case_id, table_name, key, NULL, ?, ? FROM ({evidence})",
            [who, at],
        )
        connection.execute(
            f"INSERT INTO {audit.AUDIT_TABLE} (occurred_at, actor, action, target_kind, target_id, field, "
            "before, after, detail) "
            "SELECT ?, ?, 'case.open', 'case', case_id, 'status', NULL, 'open', "
            f"subject_kind || ' ' || subject_id || ' (risk)' FROM {new} "
            "UNION ALL SELECT ?, ?, 'case.evidence', 'case', case_id, 'evidence', NULL, "
            f"table_name || ' ' || key, NULL FROM ({evidence})",
            [at, who, at, who],
        )
        rows = _rows(
            connection.execute(f"SELECT c.* FROM cases c JOIN {new} n USING (case_id) ORDER BY c.case_id")
        )
        connection.execute(f"DROP TABLE {new}")
    return [_case(row) for row in rows]


def update_case(
    connection: duckdb.DuckDBPyConnection,
    case_id: str,
    *,
    actor: str,
    status: str | None = None,
    assignee: str | None = None,
    title: str | None = None,
) -> Case:
    """Change status, assignee or title; each change is one audit event with before and after."""
    who = _text(actor, "actor", required=True)
    assert who is not None
    if status is not None and status not in STATUSES:
        raise CaseError(f"status: must be one of {', '.join(STATUSES)}, not {status!r}")
    before = get_case(connection, case_id)
    changes: dict[str, Any] = {}
    if status is not None and status != before.status:
        changes["status"] = status
    if assignee is not None and (_text(assignee, "assignee") or None) != before.assignee:
        changes["assignee"] = _text(assignee, "assignee")
    if title is not None and _text(title, "title") != before.title:
        changes["title"] = _text(title, "title")
    if not changes:
        return before
    at = audit.now()
    with _transaction(connection):
        if "status" in changes and changes["status"] in ACTIVE and before.status not in ACTIVE:
            other = connection.execute(
                "SELECT case_id FROM cases WHERE subject_kind = ? AND subject_id = ? AND status IN (?, ?) "
                "AND case_id <> ?",
                [before.subject_kind, before.subject_id, *ACTIVE, case_id],
            ).fetchall()
            if other:
                raise CaseError(
                    f"status: {before.subject_kind} {before.subject_id} already has an active "
                    f"case {other[0][0]}"
                )
        closed_at = (
            at
            if changes.get("status") in ("actioned", "dismissed")
            else (None if "status" in changes else before.closed_at)
        )
        sets = ", ".join(f"{column} = ?" for column in changes)
        connection.execute(
            f"UPDATE cases SET {sets}, updated_at = ?, closed_at = ? WHERE case_id = ?",
            [*changes.values(), at, closed_at, case_id],
        )
        for column, value in changes.items():
            audit.record(
                connection,
                actor=who,
                action="case.update",
                target_kind="case",
                target_id=case_id,
                field=column,
                before=getattr(before, column),
                after=value,
                at=at,
            )
    return get_case(connection, case_id)


def add_note(connection: duckdb.DuckDBPyConnection, case_id: str, *, actor: str, text: str) -> int:
    who = _text(actor, "actor", required=True)
    body = _text(text, "text", required=True)
    get_case(connection, case_id)
    at = audit.now()
    with _transaction(connection):
        number = connection.execute(
            "SELECT coalesce(max(note_no), 0) + 1 FROM case_notes WHERE case_id = ?", [case_id]
        ).fetchall()[0][0]
        connection.execute("INSERT INTO case_notes VALUES (?, ?, ?, ?, ?)", [case_id, number, who, at, body])
        connection.execute("UPDATE cases SET updated_at = ? WHERE case_id = ?", [at, case_id])
        audit.record(
            connection,
            actor=who or "",
            action="case.note",
            target_kind="case",
            target_id=case_id,
            field="note",
            after=body,
            at=at,
        )
    return int(number)


def _attach(
    connection: duckdb.DuckDBPyConnection,
    case_id: str,
    table: str,
    key: dict[str, Any],
    note: str | None,
    actor: str,
    at: Any,
    *,
    check: bool,
) -> None:
    if check:
        columns = {
            row[0]
            for row in connection.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_name = ?", [table]
            ).fetchall()
        }
        if not columns:
            raise CaseError(f"table: no table {table!r} in the store")
        if not key:
            raise CaseError("key: give at least one column = value")
        unknown = sorted(set(key) - columns)
        if unknown:
            raise CaseError(f"key: {table} has no column {unknown[0]!r}")
        # identifiers checked against the catalogue above; values are parameters
        where = " AND ".join(f'"{column}" = ?' for column in key)
        found = connection.execute(f'SELECT count(*) FROM "{table}" WHERE {where}', list(key.values()))
        if not found.fetchall()[0][0]:
            raise CaseError(f"key: no row of {table} has {json.dumps(key)}")
    text = json.dumps(key, sort_keys=True)
    connection.execute(
        "INSERT INTO case_evidence VALUES (?, ?, ?, ?, ?, ?)", [case_id, table, text, note, actor, at]
    )
    audit.record(
        connection,
        actor=actor,
        action="case.evidence",
        target_kind="case",
        target_id=case_id,
        field="evidence",
        after=f"{table} {text}",
        detail=note,
        at=at,
    )


def attach_evidence(
    connection: duckdb.DuckDBPyConnection,
    case_id: str,
    *,
    actor: str,
    table: str,
    key: dict[str, Any],
    note: str | None = None,
) -> None:
    """Attach a row of any store table by its key; the row must exist."""
    who = _text(actor, "actor", required=True)
    assert who is not None
    get_case(connection, case_id)
    with _transaction(connection):
        _attach(connection, case_id, table, key, _text(note, "note"), who, audit.now(), check=True)
        connection.execute("UPDATE cases SET updated_at = ? WHERE case_id = ?", [audit.now(), case_id])


def list_cases(
    connection: duckdb.DuckDBPyConnection,
    *,
    status: str | None = None,
    assignee: str | None = None,
    subject_id: str | None = None,
    limit: int = 100,
    offset: int = 0,
) -> list[Case]:
    if status is not None and status not in STATUSES:
        raise CaseError(f"status: must be one of {', '.join(STATUSES)}, not {status!r}")
    if not _table_exists(connection, "cases"):
        return []
    where, params = ["TRUE"], []
    for column, value in (("status", status), ("assignee", assignee), ("subject_id", subject_id)):
        if value is not None:
            where.append(f"{column} = ?")
            params.append(value)
    rows = _rows(
        connection.execute(
            f"SELECT * FROM cases WHERE {' AND '.join(where)} "
            "ORDER BY coalesce(score, 0) DESC, case_id LIMIT ? OFFSET ?",
            [*params, limit, offset],
        )
    )
    return [_case(row) for row in rows]


def case_detail(connection: duckdb.DuckDBPyConnection, case_id: str) -> dict[str, Any]:
    """A case with its notes, evidence and audit trail, oldest first."""
    case = get_case(connection, case_id)
    notes = _rows(
        connection.execute(
            "SELECT note_no, author, written_at, text FROM case_notes WHERE case_id = ? ORDER BY note_no",
            [case_id],
        )
    )
    evidence = _rows(
        connection.execute(
            "SELECT table_name, key, note, added_by, added_at FROM case_evidence WHERE case_id = ? "
            "ORDER BY added_at, table_name, key",
            [case_id],
        )
    )
    for row in evidence:
        row["key"] = json.loads(row["key"])
    trail = audit.events(connection, target_kind="case", target_id=case_id)
    for row in (*notes, *evidence, *trail):
        for key, value in row.items():
            if hasattr(value, "isoformat"):
                row[key] = value.isoformat()
    return {**case.as_dict(), "notes": notes, "evidence": evidence, "audit": trail}
