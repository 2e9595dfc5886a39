"""The embedded DuckDB store: one file holding a case's tables and every analysis result.

Single writer: DuckDB lets one process open a file read-write, or many open it read-only, never
both. Commands that write (ingest, analyses) open it read-write for the length of the command;
readers (``tables``, ``export``, the API server in read-only mode) open it read-only. When a
writer holds the file, others get :class:`StoreLockedError` naming the process, instead of
waiting or corrupting anything. See docs/architecture.md.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

import duckdb
import pyarrow as pa

from sentinella.contract import TABLES
from sentinella.engine import Backend, DuckDBBackend, EngineSettings
from sentinella.errors import SentinellaError

from ._db import arrow, count, one
from ._problems import first_line

META_TABLE = "sentinella_meta"
QUARANTINE_TABLE = "ingest_quarantine"
NOTICES_TABLE = "ingest_notices"
RUNS_TABLE = "ingest_runs"
INPUT_TABLES_META = "input_tables_folder"  # set when a Spark ingest keeps the tables as Parquet
INGEST_TABLES = (QUARANTINE_TABLE, NOTICES_TABLE, RUNS_TABLE)

_BOOKKEEPING_DDL = (
    f"CREATE TABLE IF NOT EXISTS {META_TABLE} (key VARCHAR PRIMARY KEY, value VARCHAR)",
    f"""CREATE TABLE IF NOT EXISTS {QUARANTINE_TABLE} (
        run_id VARCHAR, table_name VARCHAR, file VARCHAR, row_number BIGINT,
        column_name VARCHAR, value VARCHAR, reason VARCHAR, record VARCHAR, raw BLOB, kind VARCHAR)""",
    # Stores made before the quarantine kept the bytes of records that do not decode.
    f"ALTER TABLE {QUARANTINE_TABLE} ADD COLUMN IF NOT EXISTS raw BLOB",
    # Stores made before the kind column (invalid, field, conflict, structural) gain it.
    f"ALTER TABLE {QUARANTINE_TABLE} ADD COLUMN IF NOT EXISTS kind VARCHAR",
    f"""CREATE TABLE IF NOT EXISTS {NOTICES_TABLE} (
        run_id VARCHAR, table_name VARCHAR, row_key VARCHAR, column_name VARCHAR,
        value VARCHAR, reason VARCHAR)""",
    f"""CREATE TABLE IF NOT EXISTS {RUNS_TABLE} (
        run_id VARCHAR, started_at TIMESTAMPTZ, finished_at TIMESTAMPTZ, case_dir VARCHAR,
        table_name VARCHAR, files VARCHAR, rows_read BIGINT, imported BIGINT, duplicate BIGINT,
        conflict BIGINT, rejected BIGINT, status VARCHAR, error VARCHAR)""",
)
_EXPORT_FORMATS = {
    ".csv": "(FORMAT csv, HEADER true)",
    ".parquet": "(FORMAT parquet)",
    ".json": "(FORMAT json, ARRAY true)",
    ".jsonl": "(FORMAT json)",
}
_LOCK_PID = re.compile(r"PID (\d+)")


class StoreError(SentinellaError, RuntimeError):
    """A store cannot be opened or used; the message says what to do."""


class StoreLockedError(StoreError):
    pass


@dataclass(frozen=True)
class TableInfo:
    name: str
    rows: int
    kind: str  # input | ingest | result


class Store:
    """A DuckDB file (or memory) with the contract's tables created on first write."""

    def __init__(
        self,
        connection: duckdb.DuckDBPyConnection,
        path: str,
        read_only: bool,
        settings: EngineSettings,
    ) -> None:
        self.path = path
        self.read_only = read_only
        self.connection = connection
        self.backend = DuckDBBackend(connection, settings)
        if not read_only:
            for ddl in _BOOKKEEPING_DDL:
                connection.execute(ddl)
            for spec in TABLES.values():
                connection.execute(spec.create_sql())

    @classmethod
    def open(
        cls,
        path: Path | str,
        *,
        read_only: bool = False,
        create: bool = True,
        settings: EngineSettings | None = None,
    ) -> Store:
        """Open (or, when ``create`` and not ``read_only``, create) the store at ``path``.

        Analyses pass ``create=False``: a mistyped ``--db`` then fails with a message instead of
        leaving an empty store behind. Settings (and the environment's) are checked first.
        """
        target = str(path)
        settings = (settings or EngineSettings()).resolved()
        must_exist = read_only or not create
        if target != ":memory:":
            file = Path(target)
            if must_exist and not file.exists():
                raise StoreError(f"no store at {target}: run `sentinella ingest CASE --db {target}` first")
            if file.is_dir():
                raise StoreError(f"{target} is a folder; --db takes a store file such as case.duckdb")
            if file.is_file() and file.stat().st_size == 0:
                if must_exist:
                    raise StoreError(f"{target} is an empty file, not a Sentinella store")
                # holds nothing (e.g. a run killed as DuckDB created it): DuckDB refuses it, so
                # it is made afresh
                file.unlink()
            try:
                file.parent.mkdir(parents=True, exist_ok=True)
            except OSError as error:
                raise StoreError(f"cannot create the folder of {target}: {error.strerror}") from error
        try:
            connection = duckdb.connect(target, read_only=read_only)
        except duckdb.IOException as error:
            message = str(error)
            if "lock" in message.lower():
                pid = _LOCK_PID.search(message)
                holder = f"process {pid.group(1)}" if pid else "another process"
                raise StoreLockedError(
                    f"{target} is open for writing by {holder} (one writer at a time): wait for "
                    "it to finish, or stop it"
                ) from error
            raise StoreError(f"cannot open store {target}: {first_line(error)}") from error
        except duckdb.Error as error:
            raise StoreError(f"{target} is not a Sentinella store: {first_line(error)}") from error
        if must_exist and target != ":memory:" and not _has_table(connection, META_TABLE):
            connection.close()
            raise StoreError(
                f"{target} is a DuckDB file but not a Sentinella store: "
                f"run `sentinella ingest CASE --db {target}` into a new file"
            )
        try:
            return cls(connection, target, read_only, settings)
        except BaseException:
            connection.close()
            raise

    def close(self) -> None:
        self.connection.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # -- metadata ----------------------------------------------------------------------------
    def get_meta(self, key: str) -> str | None:
        if not self.backend.table_exists(META_TABLE):
            return None
        row = one(self.connection, f"SELECT value FROM {META_TABLE} WHERE key = ?", [key])
        return None if row is None else str(row[0])

    def set_meta(self, key: str, value: str) -> None:
        self.connection.execute(f"INSERT OR REPLACE INTO {META_TABLE} VALUES (?, ?)", [key, value])

    @property
    def input_tables_folder(self) -> Path | None:
        """Where a store ingested on Spark keeps its input tables (None: in the store itself)."""
        return input_tables_folder(self.backend)

    def identity_salt(self, requested_salt: str | None) -> str | None:
        """The salt identity columns are hashed with; refuses to mix plain and hashed rows."""
        mode = self.get_meta("identity_mode")
        fingerprint = hashlib.sha256(requested_salt.encode()).hexdigest()[:16] if requested_salt else None
        has_rows = self.row_count("members") > 0
        if mode is None:
            if requested_salt is not None and has_rows:
                raise StoreError("this store already holds plain identifiers; hash from the first import")
            if requested_salt is not None or not has_rows:
                self.set_meta("identity_mode", "hashed" if requested_salt else "plain")
                if fingerprint:
                    self.set_meta("identity_salt_fingerprint", fingerprint)
            return requested_salt
        if mode == "hashed":
            if requested_salt is None:
                raise StoreError("this store keeps identifiers hashed: give the same --salt")
            if fingerprint != self.get_meta("identity_salt_fingerprint"):
                raise StoreError("this salt differs from the one the store was created with")
            return requested_salt
        if requested_salt is not None:
            raise StoreError("this store holds plain identifiers; it cannot switch to hashed")
        return None

    # -- reading -----------------------------------------------------------------------------
    def row_count(self, table: str) -> int:
        if not self.backend.table_exists(table):
            return 0
        return count(self.connection, f'SELECT count(*) FROM "{table}"')

    def tables(self) -> list[TableInfo]:
        names = [
            str(row[0])
            for row in self.connection.execute(
                "SELECT table_name FROM information_schema.tables "
                "WHERE table_schema = 'main' AND table_type IN ('BASE TABLE', 'VIEW') ORDER BY table_name"
            ).fetchall()
        ]
        infos = []
        for name in names:
            if name == META_TABLE:
                continue
            kind = "input" if name in TABLES else "ingest" if name in INGEST_TABLES else "result"
            infos.append(TableInfo(name, self.row_count(name), kind))
        order = {"input": 0, "result": 1, "ingest": 2}
        input_order = {name: index for index, name in enumerate(TABLES)}
        infos.sort(key=lambda t: (order[t.kind], input_order.get(t.name, 99), t.name))
        return infos

    def table(self, name: str) -> pa.Table:
        self._require_table(name)
        return arrow(self.connection, f'SELECT * FROM "{name}"')

    def _require_table(self, name: str) -> None:
        known = {t.name for t in self.tables()}
        if name not in known:
            listed = ", ".join(sorted(known)) or "none"
            raise StoreError(f"no table {name!r} in {self.path} (tables: {listed})")

    def export(self, name: str, out: Path, *, escape_formulas: bool = True) -> Export:
        """Write a table to CSV, Parquet, JSON or JSON lines, chosen by the file extension.

        In CSV, text cells a spreadsheet would run as a formula (starting with ``=``, ``+``,
        ``-``, ``@``, a tab or a carriage return; OWASP's CSV-injection rule) are written with a
        leading ``'`` unless ``escape_formulas`` is false. Numbers are never changed: only
        text columns are escaped.
        """
        self._require_table(name)
        options = _EXPORT_FORMATS.get(out.suffix.lower())
        if options is None:
            raise StoreError(f"cannot export to '{out.suffix}': use .csv, .parquet, .json or .jsonl")
        if out.is_dir():
            raise StoreError(f"{out} is a folder: give a file name such as {out / name}.csv")
        table = _quote(name)
        described = self.connection.execute(f"DESCRIBE {table}").fetchall()
        columns = [(str(row[0]), str(row[1])) for row in described]
        risky = {
            column: f"left({_quote(column)}, 1) IN {_FORMULA_STARTS}"
            for column, kind in columns
            if kind == "VARCHAR"
        }
        escaped = 0
        select = "*"
        if escape_formulas and out.suffix.lower() == ".csv" and risky:
            counts = " + ".join(f"count(*) FILTER (WHERE {test})" for test in risky.values())
            escaped = count(self.connection, f"SELECT {counts} FROM {table}")
            select = ", ".join(
                f"CASE WHEN {risky[column]} THEN '''' || {_quote(column)} ELSE {_quote(column)} END "
                f"AS {_quote(column)}"
                if column in risky
                else _quote(column)
                for column, _ in columns
            )
        try:
            out.parent.mkdir(parents=True, exist_ok=True)
            literal = str(out).replace("'", "''")
            self.connection.execute(f"COPY (SELECT {select} FROM {table}) TO '{literal}' {options}")
        except (OSError, duckdb.Error) as error:
            reason = error.strerror if isinstance(error, OSError) else first_line(error)
            raise StoreError(f"cannot write {out}: {reason}") from error
        return Export(self.row_count(name), escaped)


def input_tables_folder(backend: Backend) -> Path | None:
    """Where the store behind ``backend`` keeps its input tables when it was ingested on Spark
    (None: in the store itself); for readers holding a backend of their own (the API's jobs)."""
    if not backend.table_exists(META_TABLE):
        return None
    folder = backend.scalar(f"SELECT value FROM {META_TABLE} WHERE key = ?", [INPUT_TABLES_META])
    return None if folder is None else Path(str(folder))


@dataclass(frozen=True)
class Export:
    """What ``Store.export`` wrote: rows, and text cells prefixed so they are not formulas."""

    rows: int
    escaped_cells: int = 0


# OWASP CSV injection: a cell starting with one of these is run by spreadsheets as a formula
_FORMULA_STARTS = "('=', '+', '-', '@', chr(9), chr(13))"


def _quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def _has_table(connection: duckdb.DuckDBPyConnection, name: str) -> bool:
    found = count(connection, "SELECT count(*) FROM information_schema.tables WHERE table_name = ?", [name])
    return bool(found)
