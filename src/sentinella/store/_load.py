"""Check, deduplicate and load one staged file: a few SQL passes, no per-row Python.

The staged file is read through one projection that computes every typed value once. Passes:
1. bad rows: the projection filtered by the contract rules (small result, kept with raw values),
   with the file's counters (times without an offset, IDs trimmed) in the same scan. A row whose
   only problems are in optional columns is kept with those fields cleared;
2. duplicate keys within the file (a grouped pass over the key columns only);
3. keys already in the store (a join, only when the table already has rows);
4. the insert of everything else.
Passes 2–4 run inside the table's transaction.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import duckdb
import numpy as np
import pyarrow as pa

from sentinella.contract import ColumnKind, TableSpec

from ._checks import (
    CheckOptions,
    ColumnCheck,
    column_check,
    currency_sql,
    quote_identifier,
    sql_string,
    trimmed_sql,
)
from ._db import arrow, count, one
from ._problems import Problem, SourceError, first_line, raise_if_interrupted
from ._readers import StagedFile
from ._store import QUARANTINE_TABLE

SAMPLE_PROBLEMS = 1000
_MAX_OBSERVED_VALUES = 256


@dataclass
class FileCounts:
    """Records of a file (or, added up, of a table) and what became of each, plus what was
    adjusted in kept rows: ``fields_cleared`` bad optional values stored empty, and ``counters``
    (label -> column -> values), e.g. ``naive_times`` (times without an offset) and ``ids_cleaned``.

    The accounting invariant: ``records == imported + duplicate + conflict + rejected``.
    """

    records: int = 0
    imported: int = 0
    duplicate: int = 0
    conflict: int = 0
    rejected: int = 0
    fields_cleared: int = 0
    problems: list[Problem] = field(default_factory=list)
    counters: dict[str, dict[str, int]] = field(default_factory=dict)

    @property
    def read(self) -> int:
        """The records read (the same number as ``records``; kept for older callers)."""
        return self.records

    @property
    def accounted(self) -> int:
        return self.imported + self.duplicate + self.conflict + self.rejected

    def add(self, counts: FileCounts) -> None:
        self.records += counts.records
        self.imported += counts.imported
        self.duplicate += counts.duplicate
        self.conflict += counts.conflict
        self.rejected += counts.rejected
        self.fields_cleared += counts.fields_cleared
        self.problems.extend(counts.problems)
        for label, by_column in counts.counters.items():
            mine = self.counters.setdefault(label, {})
            for column, number in by_column.items():
                mine[column] = mine.get(column, 0) + number


@dataclass(kw_only=True)
class FileReport(FileCounts):
    """One file's counts; ``reader`` says whether DuckDB's reader or the tolerant one read it."""

    file: str
    reader: str = "duckdb"

    def to_dict(self) -> dict[str, object]:
        return {
            "file": self.file,
            "reader": self.reader,
            "records": self.records,
            "imported": self.imported,
            "duplicate": self.duplicate,
            "conflict": self.conflict,
            "rejected": self.rejected,
        }


@dataclass
class CheckedFile:
    """A staged file after pass 1; the temp tables it owns are listed in ``staged.cleanup``.

    ``rows`` is the relation of the rows to load: the projection without the rejected rows, and
    with the bad optional fields of kept rows cleared. ``rejects`` is the SQL condition, over a
    row of ``bad``, that rejects the row.
    """

    staged: StagedFile
    checks: list[ColumnCheck]
    projection: str
    bad: str
    bad_rows: int
    rows: str = ""
    rejects: str = "FALSE"
    counters: dict[str, dict[str, int]] = field(default_factory=dict)


def _typed_name(column: str) -> str:
    return quote_identifier(column)


def _shown_name(column: str) -> str:
    return quote_identifier(column + "__shown")


def _raw_name(column: str) -> str:
    return quote_identifier(column + "__raw")


def _aux_name(column: str) -> str:
    return quote_identifier(column + "__aux")


def _refs(column: str) -> tuple[str, str, str, str]:
    return _typed_name(column), _shown_name(column), _aux_name(column), _raw_name(column)


def _source_types(connection: duckdb.DuckDBPyConnection, staged: StagedFile) -> dict[str, str]:
    """DuckDB type of each staged column (text for CSV and JSON lines; Parquet's own types)."""
    typed = [name for name in staged.columns if name not in staged.text_columns]
    types = {name: "VARCHAR" for name in staged.columns if name in staged.text_columns}
    if typed:
        described = connection.execute(
            "DESCRIBE SELECT "
            + ", ".join(f"{staged.columns[n]} AS {quote_identifier(n)}" for n in typed)
            + f" FROM {staged.relation}"
        ).fetchall()
        types.update({str(row[0]): str(row[1]) for row in described})
    return types


def _column_checks(
    connection: duckdb.DuckDBPyConnection, spec: TableSpec, staged: StagedFile, options: CheckOptions
) -> list[ColumnCheck]:
    types = _source_types(connection, staged)
    currency: tuple[str, str] | None = None
    raw_currency = staged.columns.get("currency")
    if raw_currency is not None and "currency" in spec.column_names:
        text = raw_currency if "currency" in staged.text_columns else f"CAST({raw_currency} AS VARCHAR)"
        currency = (currency_sql(trimmed_sql(text)), _typed_name("currency"))
    return [
        column_check(
            column,
            staged.columns.get(column.name),
            source_type=types.get(column.name, "VARCHAR"),
            json_type=staged.json_types.get(column.name),
            currency=currency if column.kind is ColumnKind.MONEY else None,
            rejects_row=spec.rejects_row(column),
            options=options,
            refs=_refs(column.name),
        )
        for column in spec.columns
    ]


def _loadable_rows(connection: duckdb.DuckDBPyConnection, checked: CheckedFile) -> str:
    """The rows to load (``_rec`` and the typed columns): good rows as projected, and kept bad
    rows with their bad optional fields cleared."""
    if not checked.bad_rows:
        return checked.projection
    good = f"(SELECT * FROM {checked.projection} q WHERE {_not_among(connection, checked.bad)})"
    if not count(connection, f"SELECT count(*) FROM {checked.bad} WHERE NOT ({checked.rejects})"):
        return good
    typed = ["_rec"]
    cleared = ["_rec"]
    for check in checked.checks:
        name = _typed_name(check.column.name)
        typed.append(name)
        if not check.rejects_row and check.problem != "FALSE":
            cleared.append(f"CASE WHEN {check.problem} THEN NULL ELSE {name} END AS {name}")
        else:
            cleared.append(name)
    return (
        f"(SELECT {', '.join(typed)} FROM {good} g UNION ALL SELECT {', '.join(cleared)} "
        f"FROM {checked.bad} WHERE NOT ({checked.rejects}))"
    )


def _not_among(connection: duckdb.DuckDBPyConnection, records: str) -> str:
    """A filter keeping the rows whose ``_rec`` is not in table ``records`` (few rows, usually).

    Not ``_rec NOT IN (SELECT ...)``: DuckDB runs that as a parallel anti-join, which emits the
    rows in any order (at 200k members orders' first stored row was the file's row 122,881).
    A bitmap of the records, looked up per row, is a plain filter and keeps the file's order.
    """
    bounds = one(connection, f"SELECT min(_rec), max(_rec) FROM {records}")
    if bounds is None or bounds[0] is None:
        return "TRUE"
    low, high = int(bounds[0]), int(bounds[1])
    bits = f"(SELECT bitstring_agg(_rec, {low}, {high}) FROM {records})"
    place = f"CAST(least(greatest(_rec - {low}, 0), {high - low}) AS INTEGER)"
    return f"NOT (_rec BETWEEN {low} AND {high} AND get_bit({bits}, {place}) = 1)"


def _observed_values(
    connection: duckdb.DuckDBPyConnection, spec: TableSpec, staged: StagedFile
) -> dict[str, frozenset[str]]:
    """Distinct normalised values of each enumerated column, in one pass over the file."""
    enumerated = [
        c
        for c in spec.columns
        if c.kind in (ColumnKind.ENUM, ColumnKind.CURRENCY) and c.name in staged.columns
    ]
    if not enumerated:
        return {}
    parts = []
    for column in enumerated:
        raw = staged.columns[column.name]
        text = raw if column.name in staged.text_columns else f"CAST({raw} AS VARCHAR)"
        case = "upper" if column.kind is ColumnKind.CURRENCY else "lower"
        parts.append(f"list(DISTINCT {case}({trimmed_sql(text)})) FILTER (WHERE {raw} IS NOT NULL)")
    row = one(connection, f"SELECT {', '.join(parts)} FROM {staged.relation}")
    observed: dict[str, frozenset[str]] = {}
    for column, values in zip(enumerated, row or (), strict=True):
        distinct = frozenset(v for v in (values or []) if v is not None)
        if len(distinct) <= _MAX_OBSERVED_VALUES:
            observed[column.name] = distinct
    return observed


def check_staged(
    connection: duckdb.DuckDBPyConnection, spec: TableSpec, staged: StagedFile, options: CheckOptions
) -> CheckedFile:
    """Pass 1: find the rows that break a rule. Raises SourceError if the file fails mid-read."""
    try:
        file_options = replace(
            options, decimal_comma=staged.decimal_comma, observed=_observed_values(connection, spec, staged)
        )
        checks = _column_checks(connection, spec, staged, file_options)
        selected = [f"{staged.rec} AS _rec"]
        for check in checks:
            name = check.column.name
            raw = staged.columns.get(name)
            selected.append(f"{check.typed} AS {_typed_name(name)}")
            selected.append(f"{check.shown} AS {_shown_name(name)}")
            selected.append(f"{raw if raw else 'NULL'} AS {_raw_name(name)}")
            if check.aux is not None:
                selected.append(f"{check.aux} AS {_aux_name(name)}")
        projection = f"(SELECT {', '.join(selected)} FROM {staged.relation})"
        bad = f"_bad_{staged.tag}"
        staged.cleanup.append(bad)
        condition = " OR ".join(c.problem for c in checks if c.problem != "FALSE") or "FALSE"
        rejects = " OR ".join(c.problem for c in checks if c.problem != "FALSE" and c.rejects_row) or "FALSE"
        counters = [(label, c.column.name, cond) for c in checks for label, cond in c.counters]
        # The flag is computed in a projection and materialised (two narrow columns): a plain
        # WHERE would be pushed into the scan with every typed expression inlined once per
        # rule, which costs three times as much. Only then are the few bad rows expanded. The
        # counters ride along as one extra row (_rec = -1) of the same statement.
        flags = ", ".join(
            [f"_rec, ({condition}) AS _bad"]
            + [f"coalesce({cond}, FALSE) AS _n{i}" for i, (_, _, cond) in enumerate(counters)]
        )
        none = "".join(f", CAST(NULL AS BIGINT) AS _n{i}" for i in range(len(counters)))
        sql = (
            f"CREATE OR REPLACE TEMP TABLE {bad} AS WITH flags AS MATERIALIZED "
            f"(SELECT {flags} FROM {projection} p) SELECT _rec{none} FROM flags WHERE _bad"
        )
        if counters:
            totals = ", ".join(f"count(*) FILTER (WHERE _n{i})" for i in range(len(counters)))
            sql += f" UNION ALL SELECT -1, {totals} FROM flags"
        connection.execute(sql)
        found: dict[str, dict[str, int]] = {}
        if counters:
            row = one(connection, f"SELECT * EXCLUDE (_rec) FROM {bad} WHERE _rec = -1")
            connection.execute(f"DELETE FROM {bad} WHERE _rec = -1")
            for (label, column, _), number in zip(counters, row or (), strict=True):
                if number:
                    found.setdefault(label, {})[column] = int(number)
        if count(connection, f"SELECT count(*) FROM {bad}"):
            connection.execute(
                f"CREATE OR REPLACE TEMP TABLE {bad} AS SELECT * FROM {projection} p "
                f"WHERE _rec IN (SELECT _rec FROM {bad})"
            )
    except duckdb.Error as error:
        raise_if_interrupted(error)
        raise SourceError(
            staged.source.display, f"could not be read to the end: {first_line(error)}"
        ) from error
    checked = CheckedFile(
        staged,
        checks,
        projection,
        bad,
        count(connection, f"SELECT count(*) FROM {bad}"),
        rejects=rejects,
        counters=found,
    )
    checked.rows = _loadable_rows(connection, checked)
    return checked


def load_checked(
    connection: duckdb.DuckDBPyConnection,
    spec: TableSpec,
    checked: CheckedFile,
    run_id: str,
    *,
    keep_record_numbers: bool = False,
) -> FileReport:
    """Passes 2–4 and the quarantine, inside the caller's transaction.

    ``keep_record_numbers`` also inserts each row's record number as ``_rec`` (the target table
    must have that column): a file checked on its own (on a Spark executor) keeps them, so the
    rows can be placed and quarantined by row number when files are put together.
    """
    staged = checked.staged
    counts = FileReport(
        records=staged.records, file=staged.source.display, reader=staged.reader, counters=checked.counters
    )
    problems = f"_problems_{staged.tag}"
    skip = f"_skip_{staged.tag}"
    staged.cleanup.extend([problems, skip])
    connection.execute(
        f"CREATE OR REPLACE TEMP TABLE {problems} (_rec BIGINT, column_name VARCHAR, value VARCHAR, "
        "reason VARCHAR, record VARCHAR, kind VARCHAR)"
    )
    if checked.bad_rows:
        _collect_value_problems(connection, checked, problems)
    counts.duplicate, counts.conflict = _find_duplicates(connection, spec, checked, skip, problems)
    columns = ", ".join(quote_identifier(c) for c in spec.column_names)
    if keep_record_numbers:
        columns = f"_rec, {columns}"
    where = f" WHERE {_not_among(connection, skip)}" if counts.duplicate or counts.conflict else ""
    # Rows are stored in the file's order: their row ids number members and break ties in the
    # analyses, so they must not depend on the thread count. Scans and filters keep that order
    # (rows set aside are filtered, see _not_among); kept rows with cleared fields are a second
    # source, so then the rows are sorted by their place in the file.
    order = " ORDER BY _rec" if " UNION ALL " in checked.rows else ""
    inserted = one(
        connection,
        f"INSERT INTO {spec.name} ({columns}) SELECT {columns} FROM {checked.rows} p{where}{order}",
    )
    counts.imported = int(inserted[0]) if inserted else 0
    invalid_rows = _quarantine(connection, spec, staged, problems, run_id, counts)
    if checked.bad_rows:
        # Values cleared in rows that were imported (not rejected, not a duplicate or conflict).
        counts.fields_cleared = count(
            connection,
            f"SELECT count(*) FROM {problems} WHERE kind = 'field' AND _rec NOT IN "
            f"(SELECT _rec FROM {problems} WHERE kind = 'invalid') AND _rec NOT IN (SELECT _rec FROM {skip})",
        )
    counts.rejected = invalid_rows + len(staged.structural)
    return counts


def _collect_value_problems(
    connection: duckdb.DuckDBPyConnection, checked: CheckedFile, problems: str
) -> None:
    """One row per bad value, built from the few bad rows only."""
    staged = checked.staged
    record_fields = ", ".join(
        f"{sql_string(name)}, CAST({_raw_name(name)} AS VARCHAR)" for name in staged.columns
    )
    record = f"CAST(json_object({record_fields}) AS VARCHAR)" if record_fields else "NULL"
    selects = []
    for check in checked.checks:
        if check.problem == "FALSE":
            continue
        name = check.column.name
        # A bad key or required value rejects the row; any other bad value is cleared.
        kind = "invalid" if check.rejects_row else "field"
        selects.append(
            f"SELECT _rec, {sql_string(name)}, left(CAST({_raw_name(name)} AS VARCHAR), 1000), "
            f"{check.reason}, {record}, '{kind}' FROM {checked.bad} WHERE {check.problem}"
        )
    connection.execute(f"INSERT INTO {problems} " + " UNION ALL ".join(selects))


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


def _find_duplicates(
    connection: duckdb.DuckDBPyConnection, spec: TableSpec, checked: CheckedFile, skip: str, problems: str
) -> tuple[int, int]:
    """Rows whose key is already taken: by an earlier row of the file, or in the store."""
    key_list = ", ".join(quote_identifier(k) for k in spec.key)
    connection.execute(f"CREATE OR REPLACE TEMP TABLE {skip} (_rec BIGINT, differs VARCHAR)")
    good = checked.rows
    dupkeys = f"{skip}_keys"
    connection.execute(
        f"CREATE OR REPLACE TEMP TABLE {dupkeys} AS SELECT {key_list}, min(_rec) AS _first "
        f"FROM {good} g GROUP BY {key_list} HAVING count(*) > 1"
    )
    try:
        if count(connection, f"SELECT count(*) FROM {dupkeys}"):
            rows = f"_duprows_{checked.staged.tag}"
            connection.execute(
                f"CREATE OR REPLACE TEMP TABLE {rows} AS SELECT g.* FROM {good} g "
                f"SEMI JOIN {dupkeys} d ON {_key_match(spec, 'g', 'd')}"
            )
            connection.execute(
                f"INSERT INTO {skip} SELECT later._rec, {_differs(spec, 'later', 'first')} "
                f"FROM {dupkeys} d JOIN {rows} later ON {_key_match(spec, 'later', 'd')} "
                f"JOIN {rows} first ON first._rec = d._first WHERE later._rec <> d._first"
            )
            connection.execute(f"DROP TABLE {rows}")
        if count(connection, f"SELECT count(*) FROM (SELECT 1 FROM {spec.name} LIMIT 1)"):
            connection.execute(
                f"INSERT INTO {skip} SELECT g._rec, {_differs(spec, 'g', 'o')} FROM {good} g "
                f"JOIN {spec.name} o ON {_key_match(spec, 'g', 'o')} "
                f"WHERE g._rec NOT IN (SELECT _rec FROM {skip})"
            )
    finally:
        connection.execute(f"DROP TABLE IF EXISTS {dupkeys}")
    key_value = " || '/' || ".join(f"coalesce(p.{quote_identifier(k)}, '')" for k in spec.key)
    connection.execute(
        f"INSERT INTO {problems} SELECT s._rec, {sql_string(spec.key[0])}, {key_value}, "
        f"{sql_string(', '.join(spec.key))} || ' ''' || {key_value} || ''' is already imported "
        "with different values (differs in: ' || s.differs || '); the imported row is kept', "
        f"NULL, 'conflict' FROM {skip} s JOIN {checked.projection} p ON p._rec = s._rec "
        "WHERE s.differs <> ''"
    )
    found = one(
        connection,
        f"SELECT count(*) FILTER (WHERE differs = ''), count(*) FILTER (WHERE differs <> '') FROM {skip}",
    )
    assert found is not None
    return int(found[0]), int(found[1])


def _quarantine(
    connection: duckdb.DuckDBPyConnection,
    spec: TableSpec,
    staged: StagedFile,
    problems: str,
    run_id: str,
    counts: FileCounts,
) -> int:
    """Store every problem with its row number; returns the rows rejected for bad values."""
    if not count(connection, f"SELECT count(*) FROM {problems}") and not staged.structural:
        return 0
    recs = arrow(connection, f"SELECT DISTINCT _rec FROM {problems} ORDER BY _rec")
    rec_array = recs.column(0).to_numpy().astype(np.int64) if recs.num_rows else np.zeros(0, np.int64)
    rowmap = pa.table({"_rec": rec_array, "row_number": staged.row_numbers(rec_array)})
    structural = pa.table(
        {
            "row_number": pa.array([p.row for p in staged.structural], pa.int64()),
            "value": pa.array([p.value for p in staged.structural], pa.string()),
            "reason": pa.array([p.reason for p in staged.structural], pa.string()),
            "record": pa.array([p.record for p in staged.structural], pa.string()),
            "raw": pa.array([p.raw for p in staged.structural], pa.binary()),
        }
    )
    rowmap_name, structural_name = f"_rowmap_{staged.tag}", f"_structural_{staged.tag}"
    new = f"_new_problems_{staged.tag}"
    connection.register(rowmap_name, rowmap)
    connection.register(structural_name, structural)
    table, file = sql_string(spec.name), sql_string(staged.source.display)
    try:
        connection.execute(
            f"CREATE OR REPLACE TEMP TABLE {new} AS "
            f"SELECT m.row_number, p.column_name, p.value, p.reason, p.record, CAST(NULL AS BLOB) AS raw, "
            f"p.kind FROM {problems} p JOIN {rowmap_name} m USING (_rec) "
            f"UNION ALL SELECT row_number, NULL, value, reason, record, raw, 'structural' "
            f"FROM {structural_name}"
        )
        # Every problem of every run is kept: the run id and the file's path in the case tell
        # two cases (or two runs) apart, so nothing is de-duplicated away.
        connection.execute(
            f"INSERT INTO {QUARANTINE_TABLE} (run_id, table_name, file, row_number, column_name, value, "
            f"reason, record, raw, kind) SELECT {sql_string(run_id)}, {table}, {file}, n.row_number, "
            f"n.column_name, n.value, n.reason, n.record, n.raw, n.kind FROM {new} n"
        )
        sample = connection.execute(
            f"SELECT row_number, column_name, value, reason, kind FROM {new} "
            f"ORDER BY row_number, column_name NULLS FIRST LIMIT {SAMPLE_PROBLEMS}"
        ).fetchall()
        counts.problems.extend(
            Problem(staged.source.display, int(r[0]), r[1], r[2], str(r[3]), kind=str(r[4])) for r in sample
        )
        invalid = count(connection, f"SELECT count(DISTINCT _rec) FROM {problems} WHERE kind = 'invalid'")

    finally:
        connection.unregister(rowmap_name)
        connection.unregister(structural_name)
        connection.execute(f"DROP TABLE IF EXISTS {new}")
    return invalid
