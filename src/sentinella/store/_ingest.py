"""Import a case folder into the store: validate, quarantine, deduplicate, load.

Per file: stage the raw rows (:mod:`._readers`), type and check every column in one SQL pass
(:mod:`._checks`), quarantine the bad rows with their reasons, set aside rows whose key is
already in the store (identical: a duplicate; different: a conflict, never overwritten), and
insert the rest. Each table is one transaction: an unreadable file, a crash or Ctrl-C leaves
the table as it was.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from sentinella.contract import TABLES, TableSpec

from ._checks import CheckOptions, ColumnCheck, column_check, quote_identifier, sql_string
from ._db import arrow, count, one
from ._problems import Problem, SourceError, first_line
from ._readers import STAGERS, StagedFile
from ._sources import find_case_files
from ._store import NOTICES_TABLE, QUARANTINE_TABLE, RUNS_TABLE, Store

Progress = Callable[[str, int, int], None]
SAMPLE_PROBLEMS = 1000


@dataclass
class TableReport:
    """What happened to one table in one import run."""

    table: str
    files: list[str] = field(default_factory=list)
    read: int = 0
    imported: int = 0
    duplicate: int = 0
    conflict: int = 0
    rejected: int = 0
    errors: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    @property
    def status(self) -> str:
        if self.errors:
            return "failed"
        if self.rejected or self.conflict:
            return "partial"
        return "ok"

    def to_dict(self) -> dict[str, Any]:
        return {
            "table": self.table,
            "files": self.files,
            "status": self.status,
            "read": self.read,
            "imported": self.imported,
            "duplicate": self.duplicate,
            "conflict": self.conflict,
            "rejected": self.rejected,
            "errors": self.errors,
            "notes": self.notes,
            "problems": [p.sentence() for p in self.problems[:SAMPLE_PROBLEMS]],
        }


@dataclass
class IngestReport:
    """The summary of one ``ingest`` run; ``exit_code`` follows the CLI contract (0, 1, 2)."""

    run_id: str
    case_dir: str
    tables: list[TableReport] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    notices: dict[str, int] = field(default_factory=dict)
    ignored: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def imported(self) -> int:
        return sum(t.imported for t in self.tables)

    @property
    def exit_code(self) -> int:
        if self.errors and not self.tables:
            return 2
        if self.tables and all(t.errors for t in self.tables):
            return 2
        if self.errors or any(t.status != "ok" for t in self.tables):
            return 1
        return 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "case_dir": self.case_dir,
            "exit_code": self.exit_code,
            "seconds": round(self.seconds, 3),
            "errors": self.errors,
            "tables": [t.to_dict() for t in self.tables],
            "notices": self.notices,
            "ignored": self.ignored,
        }


def ingest_case(
    store: Store,
    case_dir: Path,
    *,
    identity_salt: str | None = None,
    max_text_bytes: int | None = None,
    progress: Progress | None = None,
) -> IngestReport:
    """Import every table file of ``case_dir``; never raises for bad data, only reports it."""
    started = time.perf_counter()
    report = IngestReport(run_id=_run_id(), case_dir=str(case_dir))
    if not case_dir.exists():
        report.errors.append(f"{case_dir}: no such folder")
        return report
    if not case_dir.is_dir():
        report.errors.append(f"{case_dir}: is a file; give the case folder that holds it")
        return report
    found = find_case_files(case_dir)
    report.ignored = found.ignored
    report.errors.extend(f"{name}: {reason}" for name, reason in found.unsupported)
    if not found.by_table:
        report.errors.append(
            f"{case_dir}: no table files (expected e.g. members.csv, orders.parquet; "
            f"tables: {', '.join(TABLES)})"
        )
        return report
    salt = store.identity_salt(identity_salt)
    options = CheckOptions(identity_salt=salt)
    if max_text_bytes is not None:
        options = CheckOptions(identity_salt=salt, max_text_bytes=max_text_bytes)
    if "members" not in found.by_table and store.row_count("members") == 0:
        report.errors.append(f"{case_dir}: no members file; members is the one required table")
    names = [name for name in TABLES if name in found.by_table]
    for index, name in enumerate(names):
        if progress:
            progress(name, index, len(names))
        table_report = _ingest_table(store, TABLES[name], found.by_table[name], options, report.run_id)
        report.tables.append(table_report)
        _log_run(store, report, table_report, started)
    if progress:
        progress("references", len(names), len(names))
    report.notices = _check_references(store, report.run_id)
    report.seconds = time.perf_counter() - started
    return report


def _run_id() -> str:
    return time.strftime("%Y%m%dT%H%M%SZ", time.gmtime()) + "-" + uuid.uuid4().hex[:6]


def _ingest_table(
    store: Store, spec: TableSpec, files: list[Any], options: CheckOptions, run_id: str
) -> TableReport:
    """Stage and type every file first (temp tables only), then write them in one transaction."""
    report = TableReport(spec.name, files=[f.display for f in files])
    connection = store.connection
    staged_files: list[tuple[StagedFile, list[ColumnCheck], str]] = []
    try:
        for index, source in enumerate(files):
            try:
                staged = STAGERS[source.fmt](connection, source, spec, f"{spec.name}_{index}")
            except SourceError as error:
                report.errors.append(str(error))
                continue
            checks, typed = _type_staged(connection, spec, staged, options)
            staged_files.append((staged, checks, typed))
        if report.errors:
            report.notes.append("nothing imported for this table: a file could not be read")
            return report
        connection.execute("BEGIN TRANSACTION")
        try:
            for staged, checks, typed in staged_files:
                _write_staged(store, spec, staged, checks, typed, run_id, report)
            connection.execute("COMMIT")
        except BaseException as error:
            connection.execute("ROLLBACK")
            report.imported = report.duplicate = report.conflict = report.rejected = 0
            report.problems.clear()
            if isinstance(error, KeyboardInterrupt | SystemExit):
                raise
            report.errors.append(f"{spec.name}: import failed and was rolled back: {first_line(error)}")
    finally:
        for staged, _, _ in staged_files:
            for relation in staged.cleanup:
                connection.execute(f"DROP TABLE IF EXISTS {relation}")
    return report


def _key_match(spec: TableSpec, left: str, right: str) -> str:
    return " AND ".join(
        f"{left}.{quote_identifier(k)} IS NOT DISTINCT FROM {right}.{quote_identifier(k)}" for k in spec.key
    )


def _differs(spec: TableSpec, left: str, right: str) -> str:
    """SQL listing the columns on which two rows with the same key disagree."""
    parts = ", ".join(
        f"CASE WHEN {left}.{quote_identifier(c)} IS DISTINCT FROM {right}.{quote_identifier(c)} "
        f"THEN {sql_string(c)} END"
        for c in spec.column_names
        if c not in spec.key
    )
    return f"concat_ws(', ', {parts})" if parts else "''"


def _type_staged(
    connection: Any, spec: TableSpec, staged: StagedFile, options: CheckOptions
) -> tuple[list[ColumnCheck], str]:
    """One pass over the staged rows: typed values plus a flag for rows breaking a rule."""
    file_options = CheckOptions(
        decimal_comma=staged.decimal_comma,
        identity_salt=options.identity_salt,
        max_text_bytes=options.max_text_bytes,
    )
    checks = [
        column_check(
            column,
            staged.columns.get(column.name),
            source_is_text=column.name in staged.text_columns,
            options=file_options,
        )
        for column in spec.columns
    ]
    typed = f"_typed_{staged.relation}"
    staged.cleanup.append(typed)
    typed_columns = ", ".join(f"{c.typed} AS {quote_identifier(c.column.name)}" for c in checks)
    bad = " OR ".join(f"({c.problem})" for c in checks if c.problem != "FALSE") or "FALSE"
    connection.execute(
        f"CREATE OR REPLACE TEMP TABLE {typed} AS SELECT rowid AS _rec, {typed_columns}, "
        f"({bad}) AS _bad FROM {staged.relation}"
    )
    return checks, typed


def _write_staged(
    store: Store,
    spec: TableSpec,
    staged: StagedFile,
    checks: list[ColumnCheck],
    typed: str,
    run_id: str,
    report: TableReport,
) -> None:
    connection = store.connection
    report.read += staged.rows + len(staged.structural)
    problems = f"_problems_{staged.relation}"
    staged.cleanup.append(problems)
    _collect_value_problems(connection, spec, staged, checks, typed, problems)
    skip = f"_skip_{staged.relation}"
    staged.cleanup.append(skip)
    duplicates, conflicts = _find_duplicates(store, spec, typed, skip, problems)
    report.duplicate += duplicates
    report.conflict += conflicts
    columns = ", ".join(quote_identifier(c) for c in spec.column_names)
    before = store.row_count(spec.name)
    connection.execute(
        f"INSERT INTO {spec.name} ({columns}) SELECT {columns} FROM {typed} "
        f"WHERE NOT _bad AND _rec NOT IN (SELECT _rec FROM {skip})"
    )
    report.imported += store.row_count(spec.name) - before
    rejected_rows = _quarantine(connection, spec, staged, problems, run_id, report)
    report.rejected += rejected_rows + len(staged.structural)
    if staged.extra_columns:
        report.notes.append(
            f"{staged.source.display}: ignored columns not in the contract: "
            + ", ".join(staged.extra_columns)
        )


def _collect_value_problems(
    connection: Any,
    spec: TableSpec,
    staged: StagedFile,
    checks: list[ColumnCheck],
    typed: str,
    problems: str,
) -> None:
    """One row per bad value, built only from the few bad rows."""
    connection.execute(
        f"CREATE OR REPLACE TEMP TABLE {problems} (_rec BIGINT, column_name VARCHAR, "
        "value VARCHAR, reason VARCHAR, record VARCHAR, kind VARCHAR)"
    )
    bad_raw = f"_badraw_{staged.relation}"
    staged.cleanup.append(bad_raw)
    connection.execute(
        f"CREATE OR REPLACE TEMP TABLE {bad_raw} AS SELECT rowid AS _rec, * FROM {staged.relation} "
        f"WHERE rowid IN (SELECT _rec FROM {typed} WHERE _bad)"
    )
    record_fields = ", ".join(
        f"{sql_string(name)}, CAST({raw} AS VARCHAR)" for name, raw in staged.columns.items()
    )
    record = f"CAST(json_object({record_fields}) AS VARCHAR)" if record_fields else "NULL"
    selects = []
    for check in checks:
        if check.problem == "FALSE":
            continue
        raw = staged.columns.get(check.column.name)
        value = f"CAST({raw} AS VARCHAR)" if raw else "NULL"
        selects.append(
            f"SELECT _rec, {sql_string(check.column.name)}, left({value}, 1000), {check.reason}, "
            f"{record}, 'invalid' FROM {bad_raw} WHERE {check.problem}"
        )
    if selects:
        connection.execute(f"INSERT INTO {problems} " + " UNION ALL ".join(selects))


def _find_duplicates(store: Store, spec: TableSpec, typed: str, skip: str, problems: str) -> tuple[int, int]:
    """Rows whose key is already taken: in this file (earlier row) or in the store."""
    connection = store.connection
    key_list = ", ".join(quote_identifier(k) for k in spec.key)
    connection.execute(f"CREATE OR REPLACE TEMP TABLE {skip} (_rec BIGINT, differs VARCHAR)")
    dupkeys = f"{skip}_keys"
    connection.execute(
        f"CREATE OR REPLACE TEMP TABLE {dupkeys} AS SELECT {key_list}, min(_rec) AS _first "
        f"FROM {typed} WHERE NOT _bad GROUP BY {key_list} HAVING count(*) > 1"
    )
    try:
        if store.row_count(dupkeys):
            connection.execute(
                f"INSERT INTO {skip} SELECT later._rec, {_differs(spec, 'later', 'first')} "
                f"FROM {dupkeys} d JOIN {typed} later ON {_key_match(spec, 'later', 'd')} "
                f"JOIN {typed} first ON first._rec = d._first "
                "WHERE NOT later._bad AND later._rec <> d._first"
            )
        if store.row_count(spec.name):
            connection.execute(
                f"INSERT INTO {skip} SELECT t._rec, {_differs(spec, 't', 'o')} FROM {typed} t "
                f"JOIN {spec.name} o ON {_key_match(spec, 't', 'o')} "
                f"WHERE NOT t._bad AND t._rec NOT IN (SELECT _rec FROM {skip})"
            )
    finally:
        connection.execute(f"DROP TABLE IF EXISTS {dupkeys}")
    key = spec.key[0]
    key_value = " || '/' || ".join(f"coalesce(t.{quote_identifier(k)}, '')" for k in spec.key)
    connection.execute(
        f"INSERT INTO {problems} SELECT s._rec, {sql_string(key)}, {key_value}, "
        f"{sql_string(', '.join(spec.key))} || ' ' || '''' || {key_value} || '''' || "
        "' is already imported with different values (differs in: ' || s.differs || "
        "'); the imported row is kept', NULL, 'conflict' "
        f"FROM {skip} s JOIN {typed} t ON t._rec = s._rec WHERE s.differs <> ''"
    )
    counts = one(
        connection,
        f"SELECT count(*) FILTER (WHERE differs = ''), count(*) FILTER (WHERE differs <> '') FROM {skip}",
    )
    assert counts is not None
    return int(counts[0]), int(counts[1])


def _quarantine(
    connection: Any,
    spec: TableSpec,
    staged: StagedFile,
    problems: str,
    run_id: str,
    report: TableReport,
) -> int:
    """Store every problem with its file row number; returns rows rejected for bad values."""
    recs = arrow(connection, f"SELECT DISTINCT _rec FROM {problems} ORDER BY _rec")
    rec_array = recs.column(0).to_numpy().astype(np.int64) if recs.num_rows else np.zeros(0, np.int64)
    structural = staged.structural
    if rec_array.size == 0 and not structural:
        return 0
    rowmap = pa.table({"_rec": rec_array, "row_number": staged.row_numbers(rec_array)})
    name = f"_rowmap_{staged.relation}"
    connection.register(name, rowmap)
    file_literal = sql_string(staged.source.display)
    structural_table = pa.table(
        {
            "row_number": pa.array([p.row for p in structural], pa.int64()),
            "value": pa.array([p.value for p in structural], pa.string()),
            "reason": pa.array([p.reason for p in structural], pa.string()),
            "record": pa.array([p.record for p in structural], pa.string()),
        }
    )
    structural_name = f"_structural_{staged.relation}"
    connection.register(structural_name, structural_table)
    try:
        connection.execute(
            f"CREATE OR REPLACE TEMP TABLE _new_problems AS "
            f"SELECT m.row_number, p.column_name, p.value, p.reason, p.record, p.kind "
            f"FROM {problems} p JOIN {name} m USING (_rec) "
            f"UNION ALL SELECT row_number, NULL, value, reason, record, 'structural' FROM {structural_name}"
        )
        connection.execute(
            f"INSERT INTO {QUARANTINE_TABLE} SELECT {sql_string(run_id)}, {sql_string(spec.name)}, "
            f"{file_literal}, n.row_number, n.column_name, n.value, n.reason, n.record "
            "FROM _new_problems n WHERE NOT EXISTS (SELECT 1 FROM "
            f"{QUARANTINE_TABLE} q WHERE q.table_name = {sql_string(spec.name)} AND q.file = {file_literal} "
            "AND q.row_number = n.row_number AND q.column_name IS NOT DISTINCT FROM n.column_name "
            "AND q.reason = n.reason)"
        )
        sample = connection.execute(
            f"SELECT row_number, column_name, value, reason FROM _new_problems "
            f"ORDER BY row_number, column_name LIMIT {SAMPLE_PROBLEMS}"
        ).fetchall()
        report.problems.extend(
            Problem(staged.source.display, int(r[0]), r[1], r[2], str(r[3])) for r in sample
        )
        invalid = one(connection, f"SELECT count(DISTINCT _rec) FROM {problems} WHERE kind = 'invalid'")
    finally:
        connection.unregister(name)
        connection.unregister(structural_name)
        connection.execute("DROP TABLE IF EXISTS _new_problems")
    return int(invalid[0]) if invalid else 0


def _check_references(store: Store, run_id: str) -> dict[str, int]:
    """Dangling references are kept and listed (recomputed each run, so never duplicated)."""
    connection = store.connection
    counts: dict[str, int] = {}
    connection.execute("BEGIN TRANSACTION")
    try:
        connection.execute(f"DELETE FROM {NOTICES_TABLE} WHERE reason LIKE 'refers to %'")
        for spec in TABLES.values():
            if not store.row_count(spec.name):
                continue
            for column in spec.columns:
                if not column.references:
                    continue
                target_table, target_column = column.references.split(".")
                if not store.row_count(target_table):
                    continue
                col, target = quote_identifier(column.name), quote_identifier(target_column)
                key_value = " || '/' || ".join(f"coalesce(t.{quote_identifier(k)}, '')" for k in spec.key)
                connection.execute(
                    f"INSERT INTO {NOTICES_TABLE} SELECT {sql_string(run_id)}, "
                    f"{sql_string(spec.name)}, {key_value}, {sql_string(column.name)}, t.{col}, "
                    f"'refers to {target_table} ''' || t.{col} || ''', which is not in the store' "
                    f"FROM {spec.name} t WHERE t.{col} IS NOT NULL AND NOT EXISTS "
                    f"(SELECT 1 FROM {target_table} r WHERE r.{target} = t.{col})"
                )
                found = count(
                    connection,
                    f"SELECT count(*) FROM {NOTICES_TABLE} WHERE table_name = ? AND column_name = ? "
                    "AND reason LIKE 'refers to %'",
                    [spec.name, column.name],
                )
                if found:
                    counts[f"{spec.name}.{column.name} → {column.references}"] = found
        connection.execute("COMMIT")
    except BaseException:
        connection.execute("ROLLBACK")
        raise
    return counts


def _log_run(store: Store, report: IngestReport, table: TableReport, started: float) -> None:
    store.connection.execute(
        f"INSERT INTO {RUNS_TABLE} VALUES (?, to_timestamp(?), now(), ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            report.run_id,
            time.time() - (time.perf_counter() - started),
            report.case_dir,
            table.table,
            ", ".join(table.files),
            table.read,
            table.imported,
            table.duplicate,
            table.conflict,
            table.rejected,
            table.status,
            "; ".join(table.errors) or None,
        ],
    )
