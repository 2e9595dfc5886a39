"""Import a case folder into the store: validate, quarantine, deduplicate, load.

Per file: stage the raw rows (:mod:`._readers`), type and check every column in one SQL pass
(:mod:`._checks`), quarantine the bad rows with their reasons, set aside rows whose key is
already in the store (identical: a duplicate; different: a conflict, never overwritten), and
insert the rest. Every file's records add up: records = imported + duplicate + conflict +
rejected. Each table is one transaction: an unreadable file or a crash leaves the table as it
was; Ctrl-C rolls the table back and stops the run.
"""

from __future__ import annotations

import difflib
import functools
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import duckdb

from sentinella.contract import TABLES, TableSpec
from sentinella.engine import Backend

from ._checks import CheckOptions, quote_identifier, sql_string
from ._db import count, rollback_quietly
from ._load import SAMPLE_PROBLEMS, CheckedFile, FileCounts, FileReport, check_staged, load_checked
from ._problems import SourceError, first_line, raise_if_interrupted
from ._readers import STAGERS, ReadContext, StagedFile
from ._sources import CaseFiles, SourceFile, find_case_files
from ._store import NOTICES_TABLE, RUNS_TABLE, Store, StoreError
from ._textfile import canonical_encoding

Progress = Callable[[str, int, int], None]
TIMEZONE_META = "naive_times_read_as"


@functools.cache
def _zone_names() -> frozenset[str]:
    """The IANA zone names DuckDB (ICU) knows: the ones it can read local times in."""
    connection = duckdb.connect()
    try:
        return frozenset(
            str(row[0]) for row in connection.execute("SELECT name FROM pg_timezone_names()").fetchall()
        )
    finally:
        connection.close()


def check_timezone(name: str) -> str:
    """``name`` if it is an IANA zone such as Asia/Shanghai; otherwise a StoreError saying why.

    Abbreviations and aliases (CST, EST, PRC) are refused even where the zone database knows
    them: CST is China Standard Time to one exporter and US Central to the database.
    """
    names = _zone_names()
    if name in names and ("/" in name or name == "UTC"):
        return name
    folded = {n.lower(): n for n in names if "/" in n}
    close = folded.get(name.lower()) or next(
        iter(difflib.get_close_matches(name, sorted(folded.values()), n=1)), None
    )
    hint = f" (did you mean {close}?)" if close else " (e.g. Asia/Shanghai, Europe/Rome, UTC)"
    if name in names:
        raise StoreError(f"--timezone {name!r} is an abbreviation or alias; give an IANA zone name{hint}")
    raise StoreError(f"--timezone {name!r} is not an IANA time zone{hint}")


@dataclass(kw_only=True)
class TableReport(FileCounts):
    """What happened to one table in one import run: its files' counts added up, and more."""

    table: str
    files: list[str] = field(default_factory=list)
    per_file: list[FileReport] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def clear_counts(self) -> None:
        """After a rollback nothing of this run is in the store."""
        self.imported = self.duplicate = self.conflict = self.rejected = 0
        self.problems.clear()
        self.per_file.clear()

    @property
    def status(self) -> str:
        if self.errors:
            return "failed"
        if self.rejected or self.conflict or self.fields_cleared:
            return "partial"
        return "ok"

    def to_dict(self) -> dict[str, Any]:
        return {
            "table": self.table,
            "files": self.files,
            "status": self.status,
            "records": self.records,
            "read": self.read,
            "imported": self.imported,
            "duplicate": self.duplicate,
            "conflict": self.conflict,
            "rejected": self.rejected,
            "per_file": [f.to_dict() for f in self.per_file],
            "fields_cleared": self.fields_cleared,
            "naive_times": self.counters.get("naive_times", {}),
            "ids_cleaned": self.counters.get("ids_cleaned", {}),
            "errors": self.errors,
            "warnings": self.warnings,
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
    warnings: list[str] = field(default_factory=list)
    seconds: float = 0.0
    timezone: str | None = None  # what times without an offset were read in (None: UTC)

    @property
    def imported(self) -> int:
        return sum(t.imported for t in self.tables)

    @property
    def exit_code(self) -> int:
        if self.errors and not self.tables:
            return 2
        if self.tables and all(t.errors for t in self.tables):
            return 2
        if (
            self.tables
            and not any(t.imported or t.duplicate or t.conflict for t in self.tables)
            and any(t.rejected for t in self.tables)
        ):
            return 2  # every record was refused: nothing of the case is in the store
        if self.errors or any(t.status != "ok" for t in self.tables):
            return 1
        return 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "case_dir": self.case_dir,
            "exit_code": self.exit_code,
            "seconds": round(self.seconds, 3),
            "timezone": self.timezone,
            "errors": self.errors,
            "tables": [t.to_dict() for t in self.tables],
            "notices": self.notices,
            "ignored": self.ignored,
            "warnings": self.warnings,
        }


def ingest_case(
    store: Store,
    case_dir: Path,
    *,
    identity_salt: str | None = None,
    max_text_bytes: int | None = None,
    encoding: str | None = None,
    progress: Progress | None = None,
    timezone: str | None = None,
) -> IngestReport:
    """Import every table file of ``case_dir``; never raises for bad data, only reports it.

    ``encoding`` names the text files' encoding (default UTF-8; a UTF-16 byte order mark is
    followed). ``timezone`` (an IANA name) is the zone times written without an offset are read
    in; without it they are read as UTC and the report counts them per column. Raises
    :class:`StoreError` for an unknown encoding or zone, KeyboardInterrupt on Ctrl-C after
    rolling back the table being written.
    """
    if timezone is not None:
        check_timezone(timezone)
    if store.input_tables_folder is not None:
        raise StoreError(
            f"{store.path} keeps its input tables in {store.input_tables_folder} (ingested on Spark): "
            "ingest into it with --engine spark"
        )
    started = time.perf_counter()
    codec = None if encoding is None else check_encoding(encoding)
    report = IngestReport(run_id=_run_id(), case_dir=str(case_dir), timezone=timezone)
    found = find_table_files(case_dir, report)
    if found is None:
        return report
    options = check_options(store, identity_salt, timezone, max_text_bytes)
    if "members" not in found.by_table and store.row_count("members") == 0:
        report.errors.append(f"{case_dir}: no members file; members is the one required table")
    names = [name for name in TABLES if name in found.by_table]
    with tempfile.TemporaryDirectory(prefix="sentinella-ingest-") as scratch:
        context = ReadContext(scratch=Path(scratch), encoding=codec)
        for index, name in enumerate(names):
            if progress:
                progress(name, index, len(names))
            table_report = _ingest_table(
                store, TABLES[name], found.by_table[name], options, report.run_id, context
            )
            table_report.notes.extend(_adjustment_notes(table_report, timezone))
            report.tables.append(table_report)
            _log_run(store, report, table_report, started)
    if progress:
        progress("references", len(names), len(names))
    report.notices = _check_references(store, report.run_id)
    report.warnings.extend(_missing_column_warnings(store.backend))
    _record_timezone(store, report)
    report.seconds = time.perf_counter() - started
    return report


def find_table_files(case_dir: Path, report: IngestReport) -> CaseFiles | None:
    """The case folder's table files; None (with the report saying why) when there are none."""
    if not case_dir.exists():
        report.errors.append(f"{case_dir}: no such folder")
        return None
    if not case_dir.is_dir():
        report.errors.append(f"{case_dir}: is a file; give the case folder that holds it")
        return None
    found = find_case_files(case_dir)
    report.ignored = found.ignored
    report.warnings.extend(found.warnings)
    report.errors.extend(f"{name}: {reason}" for name, reason in found.unsupported)
    if not found.by_table:
        report.errors.append(
            f"{case_dir}: no table files (expected e.g. members.csv, orders.parquet; "
            f"tables: {', '.join(TABLES)})"
        )
        return None
    return found


def check_options(
    store: Store, identity_salt: str | None, timezone: str | None, max_text_bytes: int | None
) -> CheckOptions:
    """The rules every file is checked by; the salt must agree with the store's."""
    options = CheckOptions(identity_salt=store.identity_salt(identity_salt), timezone=timezone)
    if max_text_bytes is not None:
        options = replace(options, max_text_bytes=max_text_bytes)
    return options


def check_encoding(encoding: str) -> str:
    """Python's name for an encoding the user named; refused before any work if unknown."""
    try:
        return canonical_encoding(encoding)
    except LookupError as error:
        raise StoreError(
            f"--encoding: unknown encoding {encoding!r} (e.g. utf-8, gb18030, gbk, big5, latin-1, utf-16)"
        ) from error


def _adjustment_notes(table: TableReport, timezone: str | None) -> list[str]:
    """What was read in a way a reader should know of: local times, trimmed IDs."""
    notes = []
    naive = table.counters.get("naive_times", {})
    if naive:
        where = ", ".join(f"{column} ({number:,})" for column, number in naive.items())
        total = sum(naive.values())
        if timezone is None:
            notes.append(
                f"{total:,} time{'s' if total > 1 else ''} without an offset taken as UTC: {where}; "
                "if they are local times, import again with --timezone ZONE (e.g. Asia/Shanghai)"
            )
        else:
            notes.append(
                f"{total:,} time{'s' if total > 1 else ''} without an offset read as {timezone}: {where}"
            )
    cleaned = table.counters.get("ids_cleaned", {})
    if cleaned:
        where = ", ".join(f"{column} ({number:,})" for column, number in cleaned.items())
        notes.append(
            "IDs with surrounding spaces or invisible characters trimmed, or Unicode-normalised "
            f"(NFC): {where}"
        )
    if table.fields_cleared:
        notes.append(
            f"{table.fields_cleared:,} bad value{'s' if table.fields_cleared > 1 else ''} in optional "
            "columns stored empty; their rows are kept (see ingest_quarantine)"
        )
    return notes


def _record_timezone(store: Store, report: IngestReport) -> None:
    """Keep in the store which zone(s) its times without an offset were read in."""
    naive = any(t.counters.get("naive_times") for t in report.tables if not t.errors)
    zone = report.timezone or ("UTC" if naive else None)
    if zone is None:
        return
    before = store.get_meta(TIMEZONE_META)
    zones = [z for z in (before or "").split(", ") if z]
    if zone not in zones:
        store.set_meta(TIMEZONE_META, ", ".join([*zones, zone]))


def _run_id() -> str:
    return time.strftime("%Y%m%dT%H%M%SZ", time.gmtime()) + "-" + uuid.uuid4().hex[:6]


def _ingest_table(
    store: Store,
    spec: TableSpec,
    files: list[SourceFile],
    options: CheckOptions,
    run_id: str,
    context: ReadContext,
    *,
    keep_record_numbers: bool = False,
) -> TableReport:
    """Check every file first (temp tables only), then load them all in one transaction."""
    report = TableReport(table=spec.name, files=[f.display for f in files])
    connection = store.connection
    checked_files: list[CheckedFile] = []
    staged_files: list[StagedFile] = []
    try:
        for index, source in enumerate(files):
            try:
                staged = STAGERS[source.fmt](connection, source, spec, f"{spec.name}_{index}", context)
                staged_files.append(staged)
                report.warnings.extend(staged.warnings)
                checked_files.append(check_staged(connection, spec, staged, options))
            except SourceError as error:
                report.errors.append(str(error))
            except duckdb.Error as error:
                raise_if_interrupted(error)
                report.errors.append(f"{source.display}: could not be read: {first_line(error)}")
        if report.errors:
            report.notes.append("nothing imported for this table: a file could not be read")
            return report
        connection.execute("BEGIN TRANSACTION")
        try:
            for checked in checked_files:
                counts = load_checked(
                    connection, spec, checked, run_id, keep_record_numbers=keep_record_numbers
                )
                if counts.records != counts.accounted:
                    raise RuntimeError(
                        f"{counts.file}: {counts.records:,} records but {counts.accounted:,} accounted for"
                    )
                report.add(counts)
                report.per_file.append(counts)
                if checked.staged.extra_columns:
                    report.notes.append(
                        f"{checked.staged.source.display}: ignored columns not in the contract: "
                        + ", ".join(checked.staged.extra_columns)
                    )
            connection.execute("COMMIT")
        except BaseException as error:
            rollback_quietly(connection)
            report.clear_counts()
            if isinstance(error, KeyboardInterrupt | SystemExit):
                raise  # Ctrl-C stops the whole run, not just this table
            if isinstance(error, duckdb.InterruptException):
                raise KeyboardInterrupt from error
            report.errors.append(f"{spec.name}: import failed and was rolled back: {first_line(error)}")
    finally:
        for staged in staged_files:
            for relation in staged.cleanup:
                connection.execute(f"DROP TABLE IF EXISTS {relation}")
    return report


def _check_references(store: Store, run_id: str, *, tables: Backend | None = None) -> dict[str, int]:
    """Dangling references are kept and listed (recomputed each run, so never duplicated).

    A reference into an empty or absent table dangles like any other (orders of merchants the
    case does not hold are orders of unknown merchants); it is counted like any other and
    listed as one notice for the column. ``tables`` is where the input tables are read when the
    store does not hold them (a Spark ingest's Parquet); the notices always go to the store.
    """
    source = tables or store.backend
    connection = store.connection
    counts: dict[str, int] = {}
    rows = _row_counts(source)
    connection.execute("BEGIN TRANSACTION")
    try:
        connection.execute(f"DELETE FROM {NOTICES_TABLE} WHERE reason LIKE 'refers to %'")
        for spec in TABLES.values():
            if not rows[spec.name]:
                continue
            for column in spec.columns:
                if not column.references:
                    continue
                target_table, target_column = column.references.split(".")
                key = f"{spec.name}.{column.name} → {column.references}"
                col, target = quote_identifier(column.name), quote_identifier(target_column)
                if not rows[target_table]:
                    # Every reference dangles: one notice for the column, not one per row
                    # (10M orders of an absent merchants table would be 10M notices).
                    dangling = int(str(source.scalar(f"SELECT count({col}) FROM {spec.name}") or 0))
                    if dangling:
                        reason = (
                            f"refers to {target_table}, which is empty: all {dangling:,} values "
                            "point to nothing in the store"
                        )
                        connection.execute(
                            f"INSERT INTO {NOTICES_TABLE} VALUES (?, ?, NULL, ?, NULL, ?)",
                            [run_id, spec.name, column.name, reason],
                        )
                        counts[key] = dangling
                    continue
                key_value = " || '/' || ".join(f"coalesce(t.{quote_identifier(k)}, '')" for k in spec.key)
                select = (
                    f"SELECT {sql_string(run_id)}, {sql_string(spec.name)}, {key_value}, "
                    f"{sql_string(column.name)}, t.{col}, "
                    f"'refers to {target_table} ''' || t.{col} || ''', which is not in the store' "
                    f"FROM {spec.name} t WHERE t.{col} IS NOT NULL AND NOT EXISTS "
                    f"(SELECT 1 FROM {target_table} r WHERE r.{target} = t.{col})"
                )
                if tables is None:
                    connection.execute(f"INSERT INTO {NOTICES_TABLE} {select}")
                else:
                    connection.register("_dangling", source.query(select, step=f"references of {key}"))
                    connection.execute(f"INSERT INTO {NOTICES_TABLE} SELECT * FROM _dangling")
                    connection.unregister("_dangling")
                found = count(
                    connection,
                    f"SELECT count(*) FROM {NOTICES_TABLE} WHERE table_name = ? AND column_name = ? "
                    "AND reason LIKE 'refers to %'",
                    [spec.name, column.name],
                )
                if found:
                    counts[key] = found
        connection.execute("COMMIT")
    except BaseException as error:
        rollback_quietly(connection)
        if isinstance(error, duckdb.Error) and not isinstance(error, duckdb.InterruptException):
            raise StoreError(f"checking references failed, rolled back: {first_line(error)}") from error
        raise
    return counts


def _row_counts(tables: Backend) -> dict[str, int]:
    """Rows of every contract table, in one query (the store creates them all when it opens)."""
    parts = " UNION ALL ".join(
        f"SELECT {sql_string(name)} AS name, count(*) AS n FROM {name}" for name in TABLES
    )
    return {str(row["name"]): int(row["n"]) for row in tables.rows(parts, step="row counts")}


def _missing_column_warnings(tables: Backend) -> list[str]:
    """A column the pyramid analysis relies on is empty while the data says it should not be."""

    def number(sql: str) -> int:
        return int(str(tables.scalar(sql) or 0))

    if not number("SELECT count(*) FROM members") or number("SELECT count(sponsor_id) FROM members"):
        return []
    fees = number("SELECT count(*) FROM payments WHERE kind = 'entry_fee'")
    deep = number("SELECT count(*) FROM payments WHERE kind = 'commission' AND level > 1")
    if not fees and not deep:
        return []
    parts = []
    if fees:
        parts.append(f"{fees:,} entry fee{'s' if fees != 1 else ''}")
    if deep:
        parts.append(f"{deep:,} commission{'s' if deep != 1 else ''} above level 1")
    return [
        f"members has no sponsor_id in any row, but payments holds {' and '.join(parts)}: the pyramid "
        "analysis can then only infer sponsors from level-1 commissions; add the sponsor_id column"
    ]


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
