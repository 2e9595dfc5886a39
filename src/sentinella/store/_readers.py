"""Stage one file as a temp table of raw values, with DuckDB's own readers.

Staging never fails on a bad row: CSV rows that cannot be parsed go to DuckDB's reject table,
JSON lines that are not objects are marked, and everything else is kept as raw text for the
column checks. A file that cannot be read at all raises :class:`SourceError` with one line.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import numpy as np
import numpy.typing as npt

from sentinella.contract import ColumnKind, TableSpec

from ._checks import quote_identifier, sql_string
from ._db import arrow, count
from ._problems import Problem, SourceError, first_line
from ._sources import SourceFile

MAX_RECORD_BYTES = 64 << 20
_DELIMITERS = (",", ";", "\t", "|")
_HEADER_PROBE_BYTES = 1 << 20
_TEXT_TYPES = {"VARCHAR", "TEXT", "STRING"}
_REJECT_REASONS = {
    "MISSING COLUMNS": "has fewer fields than the header",
    "TOO MANY COLUMNS": "has more fields than the header",
    "UNQUOTED VALUE": "has a quote inside an unquoted field, or a quote that is never closed",
    "LINE SIZE OVER MAXIMUM": f"is longer than {MAX_RECORD_BYTES >> 20} MB",
    "INVALID ENCODING": "is not valid UTF-8 (was the file saved as GBK or Latin-1?)",
    "INVALID STATE": "cannot be parsed as CSV",
    "CAST": "cannot be parsed",
}

RowMapper = Callable[["npt.NDArray[np.int64]"], "npt.NDArray[np.int64]"]


def normalise_name(name: str) -> str:
    """Header names as users write them ('Order ID', ' amount ') to contract names."""
    cleaned = name.strip().strip('"').strip().lower()
    return re.sub(r"[\s\-]+", "_", cleaned)


@dataclass
class StagedFile:
    """A file staged as a temp table: ``_rec`` is the record's index among accepted rows."""

    source: SourceFile
    tag: str
    relation: str  # a table or a table function: what FROM reads
    columns: dict[str, str]  # contract column -> staged column
    text_columns: set[str]
    rows: int
    structural: list[Problem] = field(default_factory=list)
    extra_columns: list[str] = field(default_factory=list)
    decimal_comma: bool = False
    row_numbers: RowMapper = field(default=lambda recs: recs + 1)
    cleanup: list[str] = field(default_factory=list)
    rec: str = "rowid"  # the expression giving a row's index in the file
    json_types: dict[str, str] = field(default_factory=dict)  # ID column -> its JSON type column


def _match_columns(spec: TableSpec, names: list[str], display: str) -> tuple[dict[str, int], list[str]]:
    """Contract column -> position in the file; refuses files that lack a required column."""
    positions: dict[str, int] = {}
    extra: list[str] = []
    for index, name in enumerate(names):
        key = normalise_name(name)
        if key in spec.column_names:
            if key in positions:
                raise SourceError(display, f"column '{key}' appears twice in the header")
            positions[key] = index
        elif key and not key.startswith("_"):
            extra.append(name.strip())
    missing = [c for c in spec.required_columns if c not in positions]
    if missing:
        found = ", ".join(n.strip() for n in names[:12]) + (" …" if len(names) > 12 else "")
        if not positions:
            raise SourceError(
                display,
                f"has none of the columns of table '{spec.name}' (header: {found}); "
                f"expected {', '.join(spec.required_columns)}",
            )
        raise SourceError(
            display,
            f"missing required column{'s' if len(missing) > 1 else ''} "
            f"{', '.join(missing)} (header: {found})",
        )
    return positions, extra


def _line_mapper(
    header_lines: int,
    reject_lines: npt.NDArray[np.int64],
    reject_spans: npt.NDArray[np.int64],
    embedded_newlines: Callable[[], npt.NDArray[np.int64]] | None,
) -> RowMapper:
    """Map accepted-record indexes to the line a text editor shows.

    Accepted record k sits at ``header_lines + 1 + k`` plus the newlines inside earlier accepted
    records plus the lines taken by rejected records before it. A rejected record at line r
    precedes k when r, minus the lines of the rejects before it, is at or before k's line.
    """

    def mapper(recs: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
        recs = np.asarray(recs, dtype=np.int64)
        lines = recs + header_lines + 1
        if embedded_newlines is not None:
            before = embedded_newlines()
            lines = lines + before[recs]
        if reject_lines.size:
            order = np.argsort(reject_lines, kind="stable")
            starts, spans = reject_lines[order], reject_spans[order]
            consumed_before = np.concatenate(([0], np.cumsum(spans)[:-1]))
            positions = starts - consumed_before
            shift = np.concatenate(([0], np.cumsum(spans)))
            lines = lines + shift[np.searchsorted(positions, lines, side="right")]
        return lines

    return mapper


def _count_newlines(path: Path) -> tuple[int, bool]:
    """Newlines in a file and whether it ends with one; 1 MB at a time."""
    count, last = 0, b""
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            count += chunk.count(b"\n")
            last = chunk[-1:]
    return count, last == b"\n"


def _read_header(source: SourceFile, known: tuple[str, ...]) -> tuple[str, list[str]]:
    """The delimiter and header names, chosen by how many contract columns each one yields."""
    with source.path.open("rb") as handle:
        head = handle.read(_HEADER_PROBE_BYTES)
    if not head:
        raise SourceError(source.display, "is empty (0 bytes; expected a header row)")
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise SourceError(source.display, "is UTF-16; save it as UTF-8")
    head = head.removeprefix(b"\xef\xbb\xbf")  # DuckDB's reader skips a UTF-8 BOM itself
    line = head.split(b"\n", 1)[0].rstrip(b"\r")
    if b"\x00" in line:
        raise SourceError(source.display, "has NUL bytes in its header: not a text CSV file")
    text = line.decode("utf-8", errors="replace")
    if not text.strip():
        raise SourceError(source.display, "has an empty first line (expected a header row)")
    best: tuple[int, int, str, list[str]] | None = None
    for delimiter in _DELIMITERS:
        names = next(csv.reader(io.StringIO(text), delimiter=delimiter))
        score = sum(1 for n in names if normalise_name(n) in known)
        candidate = (score, len(names), delimiter, names)
        if best is None or candidate[:2] > best[:2]:
            best = candidate
    assert best is not None
    return best[2], best[3]


def stage_csv(
    connection: duckdb.DuckDBPyConnection, source: SourceFile, spec: TableSpec, tag: str
) -> StagedFile:
    delimiter, names = _read_header(source, spec.column_names)
    positions, extra = _match_columns(spec, names, source.display)
    relation, rejects, scans = f"_stage_{tag}", f"_rejects_{tag}", f"_rejscan_{tag}"
    column_types = ", ".join(f"'c{i}': 'VARCHAR'" for i in range(len(names)))
    literal = sql_string(str(source.path))
    try:
        connection.execute(
            f"CREATE OR REPLACE TEMP TABLE {relation} AS SELECT * FROM read_csv({literal}, "
            f"header = true, delim = {sql_string(delimiter)}, quote = '\"', escape = '\"', "
            f"auto_detect = false, columns = {{{column_types}}}, strict_mode = true, "
            f"store_rejects = true, rejects_table = '{rejects}', rejects_scan = '{scans}', "
            f"max_line_size = {MAX_RECORD_BYTES}, buffer_size = {2 * MAX_RECORD_BYTES}, "
            f"encoding = 'utf-8')"
        )
    except duckdb.Error as error:
        raise SourceError(source.display, f"cannot be read as CSV: {first_line(error)}") from error
    rows = count(connection, f"SELECT count(*) FROM {relation}")
    rejected = connection.execute(
        f"SELECT line_byte_position, error_type, csv_line FROM {rejects} ORDER BY line_byte_position"
    ).fetchall()
    structural, reject_lines, reject_spans = _csv_rejects(source, rejected)
    columns = {name: f"c{index}" for name, index in positions.items()}
    lines_if_regular = rows + int(reject_spans.sum()) + 1
    embedded = _embedded_newline_counter(connection, relation, len(names), source.path, lines_if_regular)
    staged = StagedFile(
        source=source,
        tag=tag,
        relation=relation,
        columns=columns,
        text_columns=set(columns),
        rows=rows,
        structural=structural,
        extra_columns=extra,
        decimal_comma=delimiter == ";",
        row_numbers=_line_mapper(1, reject_lines, reject_spans, embedded),
        cleanup=[relation, rejects, scans],
    )
    return staged


def _csv_rejects(
    source: SourceFile, rejected: list[tuple[int, str, str]]
) -> tuple[list[Problem], npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Rejected CSV records with their physical line numbers (from DuckDB's byte positions)."""
    if not rejected:
        empty = np.zeros(0, dtype=np.int64)
        return [], empty, empty
    offsets = np.array([int(r[0]) - 1 for r in rejected], dtype=np.int64)
    lines = _lines_at_offsets(source.path, offsets)
    problems: list[Problem] = []
    spans: list[int] = []
    for (_, error_type, csv_line), line in zip(rejected, lines, strict=True):
        text = csv_line or ""
        spans.append(1 + text.rstrip("\n").count("\n"))
        reason = _REJECT_REASONS.get(str(error_type), f"cannot be parsed ({error_type})")
        problems.append(Problem(source.display, int(line), None, _clip(text), reason, text))
    return problems, np.asarray(lines, dtype=np.int64), np.asarray(spans, dtype=np.int64)


def _lines_at_offsets(path: Path, offsets: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    """1-based line number of each byte offset, reading the file once in 1 MB chunks."""
    order = np.argsort(offsets)
    sorted_offsets = offsets[order]
    result = np.zeros(len(offsets), dtype=np.int64)
    newlines_before, base, index = 0, 0, 0
    with path.open("rb") as handle:
        while index < len(sorted_offsets):
            chunk = handle.read(1 << 20)
            if not chunk:
                break
            end = base + len(chunk)
            positions = np.flatnonzero(np.frombuffer(chunk, dtype=np.uint8) == 10) + base
            while index < len(sorted_offsets) and sorted_offsets[index] < end:
                inside = int(np.searchsorted(positions, sorted_offsets[index], side="left"))
                result[order[index]] = newlines_before + inside + 1
                index += 1
            newlines_before += len(positions)
            base = end
    while index < len(sorted_offsets):
        result[order[index]] = newlines_before + 1
        index += 1
    return result


def _embedded_newline_counter(
    connection: duckdb.DuckDBPyConnection, relation: str, width: int, path: Path, lines_if_regular: int
) -> Callable[[], npt.NDArray[np.int64]]:
    """Lazily count, for each accepted record, the newlines inside the records before it.

    Only runs when a row number is needed (some row was refused), so a clean import never
    re-reads the file. A file with one line per record (the usual export) needs no per-record
    count: its newline total already says so.
    """
    cache: list[npt.NDArray[np.int64]] = []

    def counter() -> npt.NDArray[np.int64]:
        if cache:
            return cache[0]
        newline_count, ends_with_newline = _count_newlines(path)
        if newline_count + (0 if ends_with_newline else 1) == lines_if_regular:
            cache.append(np.zeros(lines_if_regular, dtype=np.int64))
        else:
            per_field = " + ".join(
                f"coalesce(length(c{i}) - length(replace(c{i}, chr(10), '')), 0)" for i in range(width)
            )
            table = arrow(
                connection,
                f"SELECT CAST({per_field} AS BIGINT) AS n FROM {relation} ORDER BY rowid",
            )
            per_record = table.column("n").to_numpy().astype(np.int64)
            cache.append(np.concatenate(([0], np.cumsum(per_record)[:-1])) if per_record.size else per_record)
        return cache[0]

    return counter


def _clip(text: str, limit: int = 200) -> str:
    return text if len(text) <= limit else text[:limit] + "…"


def stage_jsonl(
    connection: duckdb.DuckDBPyConnection, source: SourceFile, spec: TableSpec, tag: str
) -> StagedFile:
    if source.path.stat().st_size == 0:
        raise SourceError(source.display, "is empty (0 bytes)")
    lines, relation = f"_lines_{tag}", f"_stage_{tag}"
    rejects, scans = f"_rejects_{tag}", f"_rejscan_{tag}"
    literal = sql_string(str(source.path))
    try:
        connection.execute(
            f"CREATE OR REPLACE TEMP TABLE {lines} AS SELECT line FROM read_csv({literal}, "
            "header = false, delim = chr(1), quote = '', escape = '', auto_detect = false, "
            "columns = {'line': 'VARCHAR'}, strict_mode = true, store_rejects = true, "
            f"rejects_table = '{rejects}', rejects_scan = '{scans}', "
            f"max_line_size = {MAX_RECORD_BYTES}, buffer_size = {2 * MAX_RECORD_BYTES})"
        )
    except duckdb.Error as error:
        raise SourceError(source.display, f"cannot be read as JSON lines: {first_line(error)}") from error
    parsed = f"_parsed_{tag}"
    connection.execute(
        f"CREATE OR REPLACE TEMP TABLE {parsed} AS SELECT rowid AS _line_index, line AS _raw, "
        f"CASE WHEN json_valid(line) THEN line END AS _valid FROM {lines} "
        "WHERE line IS NOT NULL AND trim(line) <> ''"
    )
    connection.execute(
        f"CREATE OR REPLACE TEMP TABLE {relation} AS SELECT _line_index, _raw, "
        "CASE WHEN _valid IS NULL THEN 'is not valid JSON' "
        "WHEN json_type(_valid) <> 'OBJECT' THEN "
        "'is a JSON ' || CASE json_type(_valid) WHEN 'ARRAY' THEN 'array' WHEN 'VARCHAR' THEN 'string' "
        "WHEN 'BOOLEAN' THEN 'boolean' WHEN 'NULL' THEN 'null' ELSE 'number' END "
        "|| ', not an object' END AS _shape, "
        f"CASE WHEN json_type(_valid) = 'OBJECT' THEN _valid END AS _object FROM {parsed}"
    )
    keys = [
        str(row[0])
        for row in connection.execute(
            f"SELECT DISTINCT unnest(json_keys(_object)) FROM {relation} WHERE _object IS NOT NULL"
        ).fetchall()
    ]
    positions, extra = _match_columns(spec, keys, source.display)
    columns = {name: quote_identifier(name) for name in positions}
    extracts = "".join(
        f", json_extract_string(_object, {sql_string('$.' + json_path_key(keys[index]))}) AS {columns[name]}"
        for name, index in positions.items()
    )
    # IDs must be JSON strings or whole numbers: keep each one's JSON type for the checks.
    json_types = {
        name: quote_identifier(f"{name}__jtype")
        for name in positions
        if spec.column(name).kind is ColumnKind.ID
    }
    extracts += "".join(
        f", json_type(_object, {sql_string('$.' + json_path_key(keys[positions[name]]))}) AS {typ}"
        for name, typ in json_types.items()
    )
    rejected = connection.execute(
        f"SELECT line_byte_position, error_type, csv_line FROM {rejects} ORDER BY line_byte_position"
    ).fetchall()
    structural, reject_lines, reject_spans = _csv_rejects(source, rejected)
    # Lines that are not objects are structural problems; drop them from the stage.
    bad_shapes = connection.execute(
        f"SELECT _line_index, _shape, _raw FROM {relation} WHERE _shape IS NOT NULL"
    ).fetchall()
    line_of = _line_mapper(0, reject_lines, reject_spans, None)
    if bad_shapes:
        indexes = np.array([int(r[0]) for r in bad_shapes], dtype=np.int64)
        for (_, shape, raw), line in zip(bad_shapes, line_of(indexes), strict=True):
            structural.append(Problem(source.display, int(line), None, _clip(str(raw)), str(shape), str(raw)))
    staged_rel = f"_stagej_{tag}"
    connection.execute(
        f"CREATE OR REPLACE TEMP TABLE {staged_rel} AS SELECT _line_index{extracts} FROM {relation} "
        "WHERE _shape IS NULL ORDER BY _line_index"
    )
    index_table = arrow(connection, f"SELECT _line_index FROM {staged_rel} ORDER BY rowid")
    line_indexes = index_table.column(0).to_numpy().astype(np.int64)

    def rows_to_lines(recs: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
        return line_of(line_indexes[np.asarray(recs, dtype=np.int64)])

    return StagedFile(
        source=source,
        tag=tag,
        relation=staged_rel,
        columns=columns,
        text_columns=set(columns),
        rows=len(line_indexes),
        structural=sorted(structural, key=lambda p: p.row or 0),
        extra_columns=extra,
        row_numbers=rows_to_lines,
        cleanup=[lines, parsed, relation, staged_rel, rejects, scans],
        json_types=json_types,
    )


def json_path_key(key: str) -> str:
    """A JSON path step for any key, quoted so dots and spaces in keys are safe."""
    return '"' + key.replace("\\", "\\\\").replace('"', '\\"') + '"'


def stage_parquet(
    connection: duckdb.DuckDBPyConnection, source: SourceFile, spec: TableSpec, tag: str
) -> StagedFile:
    literal = sql_string(str(source.path))
    try:
        described = connection.execute(f"DESCRIBE SELECT * FROM read_parquet({literal})").fetchall()
    except duckdb.Error as error:
        raise SourceError(
            source.display,
            f"is not a readable Parquet file (truncated or corrupt?): {first_line(error)}",
        ) from error
    names = [str(row[0]) for row in described]
    types = {str(row[0]): str(row[1]).upper() for row in described}
    positions, extra = _match_columns(spec, names, source.display)
    columns = {name: quote_identifier(names[index]) for name, index in positions.items()}
    rows = count(connection, f"SELECT count(*) FROM read_parquet({literal})")
    text_columns = {
        name for name, index in positions.items() if types[names[index]].split("(")[0] in _TEXT_TYPES
    }
    # Parquet is read in place: no staging copy, and the row index comes from the file itself.
    return StagedFile(
        source=source,
        tag=tag,
        relation=f"read_parquet({literal}, file_row_number = true)",
        columns=columns,
        text_columns=text_columns,
        rows=rows,
        extra_columns=extra,
        row_numbers=lambda recs: np.asarray(recs, dtype=np.int64) + 1,
        rec="file_row_number",
    )


STAGERS = {"csv": stage_csv, "jsonl": stage_jsonl, "parquet": stage_parquet}
