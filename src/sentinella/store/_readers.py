"""Stage one file as a temp table of raw values, every record accounted for.

Two readers per text format. DuckDB's reader is the fast path; its result is trusted only when a
byte scan of the file agrees with it (uniform line ends, no empty lines, no rejected record, and
as many records as the file has lines once the header and the line ends inside quoted fields are
counted). Any other file is read by the tolerant reader of :mod:`._textfile`, which rejects a
broken record on the line it starts at and reads every record after it. Either way a staged file
knows the editor line of each row, and ``records`` = staged rows + structurally rejected records.

Paths are never patterns: a file whose path holds ``*``, ``?``, ``[`` or ``{`` is given to DuckDB
through a link with a plain name. A file in another encoding (``--encoding``, or a UTF-16 byte
order mark) is transcoded to UTF-8 in a scratch folder first. A file that cannot be read at all
raises :class:`SourceError` with one line.
"""

from __future__ import annotations

import csv
import difflib
import io
import os
import re
from array import array
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import numpy as np
import numpy.typing as npt
import pyarrow as pa

from sentinella.contract import ColumnKind, TableSpec

from ._checks import quote_identifier, sql_string
from ._db import arrow, count
from ._problems import Problem, SourceError, first_line, raise_if_interrupted
from ._sources import SourceFile
from ._textfile import (
    UTF8_BOM,
    UTF16_BOMS,
    EncodingError,
    LineScan,
    Record,
    csv_records,
    decodes_as,
    encoding_label,
    is_wide,
    scan_lines,
    shown_text,
    text_lines,
    transcode,
)

MAX_RECORD_BYTES = 64 << 20
_DELIMITERS = (",", ";", "\t", "|")
_HEADER_PROBE_BYTES = 1 << 20
_TEXT_TYPES = {"VARCHAR", "TEXT", "STRING"}
_GLOB_CHARACTERS = re.compile(r"[*?\[\]{}]")
_BATCH_ROWS = 65_536

RowMapper = Callable[["npt.NDArray[np.int64]"], "npt.NDArray[np.int64]"]


@dataclass(frozen=True)
class ReadContext:
    """What every reader of one run shares: the encoding asked for and a scratch folder."""

    scratch: Path
    encoding: str | None = None  # Python codec name; None: UTF-8 (a byte order mark decides)


def normalise_name(name: str) -> str:
    """Header names as users write them ('Order ID', ' amount ') to contract names."""
    cleaned = name.strip().strip('"').strip().lower()
    return re.sub(r"[\s\-]+", "_", cleaned)


@dataclass
class StagedFile:
    """A file staged as a temp table: ``rec`` gives a row's index among the staged rows."""

    source: SourceFile
    tag: str
    relation: str  # a table or a table function: what FROM reads
    columns: dict[str, str]  # contract column -> staged column
    text_columns: set[str]
    rows: int
    structural: list[Problem] = field(default_factory=list)
    extra_columns: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    decimal_comma: bool = False
    row_numbers: RowMapper = field(default=lambda recs: recs + 1)
    cleanup: list[str] = field(default_factory=list)
    rec: str = "rowid"  # the expression giving a row's index in the file
    reader: str = "duckdb"  # or "tolerant": which reader staged it

    @property
    def records(self) -> int:
        """Records found in the file: the staged rows and the records refused while reading."""
        return self.rows + len(self.structural)

    json_types: dict[str, str] = field(default_factory=dict)  # ID column -> its JSON type column


def _match_columns(
    spec: TableSpec, names: list[str], display: str
) -> tuple[dict[str, int], list[str], list[str]]:
    """Contract column -> position in the file, ignored names, and did-you-mean warnings.

    Refuses files that lack a required column.
    """
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
    absent = [c for c in spec.column_names if c not in positions]
    hints: list[str] = []
    guesses: dict[str, str] = {}
    for name in extra:
        close = difflib.get_close_matches(normalise_name(name), absent, n=1, cutoff=0.75)
        if close:
            guesses[close[0]] = name
            hints.append(
                f"{display}: column '{name}' is not in the contract and was not read; "
                f"did you mean {close[0]}?"
            )
    missing = [c for c in spec.required_columns if c not in positions]
    if missing:
        found = ", ".join(n.strip() for n in names[:12]) + (" …" if len(names) > 12 else "")
        hint = "".join(f" ('{guesses[c]}' for {c}?)" for c in missing if c in guesses)
        if not positions:
            raise SourceError(
                display,
                f"has none of the columns of table '{spec.name}' (header: {found}); "
                f"expected {', '.join(spec.required_columns)}{hint}",
            )
        raise SourceError(
            display,
            f"missing required column{'s' if len(missing) > 1 else ''} "
            f"{', '.join(missing)} (header: {found}){hint}",
        )
    return positions, extra, hints


# -- where DuckDB reads from ---------------------------------------------------------------------
@dataclass(frozen=True)
class _Readable:
    path: Path  # what the readers open (the file, a plainly named link, or a UTF-8 copy)
    encoding: str  # the encoding of ``path``'s bytes


def _plain_path(source: SourceFile, context: ReadContext, tag: str) -> Path:
    """The file under a name DuckDB will not take for a pattern."""
    if not _GLOB_CHARACTERS.search(str(source.path)):
        return source.path
    link = context.scratch / f"{tag}{source.path.suffix.lower()}"
    link.unlink(missing_ok=True)
    os.symlink(source.path.resolve(), link)
    return link


def _readable(source: SourceFile, context: ReadContext, tag: str) -> _Readable:
    """Transcode to UTF-8 when the file is in another encoding; else the file itself."""
    with source.path.open("rb") as handle:
        head = handle.read(4)
    encoding = context.encoding
    if encoding is None and head.startswith(UTF16_BOMS):
        encoding = "utf_16"
    if encoding in (None, "utf_8"):
        return _Readable(_plain_path(source, context, tag), "utf_8")
    assert encoding is not None
    target = context.scratch / f"{tag}.utf8{source.path.suffix.lower()}"
    try:
        transcode(source.path, target, encoding)
    except EncodingError as error:
        target.unlink(missing_ok=True)
        if is_wide(encoding):
            raise SourceError(source.display, str(error)) from error
        # Line by line instead: the records with bad bytes are refused, the rest are read.
        return _Readable(_plain_path(source, context, tag), encoding)
    return _Readable(target, "utf_8")


# -- CSV -----------------------------------------------------------------------------------------
def _read_header(
    source: SourceFile, path: Path, encoding: str, known: tuple[str, ...]
) -> tuple[str, list[str]]:
    """The delimiter and header names, chosen by how many contract columns each one yields."""
    with path.open("rb") as handle:
        head = handle.read(_HEADER_PROBE_BYTES)
    if not head:
        raise SourceError(source.display, "is empty (0 bytes; expected a header row)")
    head = head.removeprefix(UTF8_BOM)  # DuckDB's reader skips a UTF-8 BOM itself
    line = re.split(rb"\r\n|\n|\r", head, maxsplit=1)[0]
    if b"\x00" in line:
        raise SourceError(source.display, "has NUL bytes in its header: not a text CSV file")
    text = line.decode(encoding, errors="replace")
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
    connection: duckdb.DuckDBPyConnection,
    source: SourceFile,
    spec: TableSpec,
    tag: str,
    context: ReadContext,
) -> StagedFile:
    readable = _readable(source, context, tag)
    delimiter, names = _read_header(source, readable.path, readable.encoding, spec.column_names)
    positions, extra, hints = _match_columns(spec, names, source.display)
    staged = StagedFile(
        source=source,
        tag=tag,
        relation=f"_stage_{tag}",
        columns={name: f"c{index}" for name, index in positions.items()},
        text_columns=set(positions),
        rows=0,
        extra_columns=extra,
        warnings=hints,
        decimal_comma=delimiter == ";",
    )
    if readable.encoding == "utf_8":
        scan = scan_lines(readable.path, find_blank_lines=len(names) == 1)
        if (
            scan.uniform_endings
            and not scan.blank_lines
            and _stage_csv_fast(connection, staged, readable.path, delimiter, len(names), scan)
        ):
            return staged
    _stage_csv_tolerant(connection, staged, readable, delimiter, len(names))
    return staged


def _stage_csv_fast(
    connection: duckdb.DuckDBPyConnection,
    staged: StagedFile,
    path: Path,
    delimiter: str,
    width: int,
    scan: LineScan,
) -> bool:
    """DuckDB's reader; False (and nothing staged) unless its records match the file's lines."""
    relation, rejects, scans = staged.relation, f"_rejects_{staged.tag}", f"_rejscan_{staged.tag}"
    column_types = ", ".join(f"'c{i}': 'VARCHAR'" for i in range(width))
    try:
        connection.execute(
            f"CREATE OR REPLACE TEMP TABLE {relation} AS SELECT * FROM read_csv({sql_string(str(path))}, "
            f"header = true, delim = {sql_string(delimiter)}, quote = '\"', escape = '\"', "
            f"auto_detect = false, columns = {{{column_types}}}, strict_mode = true, "
            f"store_rejects = true, rejects_table = '{rejects}', rejects_scan = '{scans}', "
            f"max_line_size = {MAX_RECORD_BYTES}, buffer_size = {2 * MAX_RECORD_BYTES}, "
            f"encoding = 'utf-8')"
        )
        rejected = count(connection, f"SELECT count(*) FROM {rejects}")
    except duckdb.Error as error:
        raise_if_interrupted(error)
        _drop(connection, [relation, rejects, scans])
        return False  # mixed line ends and the like: the tolerant reader will say where
    _drop(connection, [rejects, scans])
    rows = count(connection, f"SELECT count(*) FROM {relation}")
    # Lines the records must fill: all but the header and any empty lines at the very end.
    lines = scan.lines - 1 - scan.trailing_blank_lines
    embedded: npt.NDArray[np.int64] | None = None
    if rejected == 0 and lines != rows and scan.has_quote and rows:
        embedded = _embedded_line_ends(connection, relation, width)
        embedded = embedded[:-1] if lines == rows + int(embedded[-1]) else None
    if rejected or (lines != rows and embedded is None):
        _drop(connection, [relation])
        return False
    staged.rows = rows
    staged.cleanup.append(relation)
    before = embedded

    def line_numbers(recs: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
        recs = np.asarray(recs, dtype=np.int64)
        return recs + 2 + (before[recs] if before is not None else 0)

    staged.row_numbers = line_numbers
    return True


def _embedded_line_ends(
    connection: duckdb.DuckDBPyConnection, relation: str, width: int
) -> npt.NDArray[np.int64]:
    """Line ends inside the fields of the records before each record (and in all, last)."""
    per_field = " + ".join(
        f"coalesce(length(c{i}) - length(replace(c{i}, chr(10), '')), 0)" for i in range(width)
    )
    table = arrow(connection, f"SELECT CAST({per_field} AS BIGINT) AS n FROM {relation} ORDER BY rowid")
    per_record = table.column("n").to_numpy().astype(np.int64)
    return np.concatenate(([0], np.cumsum(per_record)))


def _stage_csv_tolerant(
    connection: duckdb.DuckDBPyConnection,
    staged: StagedFile,
    readable: _Readable,
    delimiter: str,
    width: int,
) -> None:
    """Python's csv module, record by record, for the files DuckDB's reader cannot be trusted with."""
    relation = staged.relation
    schema = pa.schema(
        [*(pa.field(f"c{i}", pa.string()) for i in range(width)), pa.field("_line", pa.int64())]
    )
    connection.execute(
        f"CREATE OR REPLACE TEMP TABLE {relation} ("
        + ", ".join([*(f"c{i} VARCHAR" for i in range(width)), "_line BIGINT"])
        + ")"
    )
    staged.cleanup.append(relation)
    lines = array("q")
    undecodable: list[bytes] = []
    records = csv_records(
        readable.path,
        delimiter=delimiter,
        width=width,
        encoding=readable.encoding,
        max_record_bytes=MAX_RECORD_BYTES,
    )
    for batch in _batches(records):
        good: list[list[str]] = []
        batch_lines: list[int] = []
        for record in batch:
            if record.fields is not None:
                good.append(record.fields)
                batch_lines.append(record.line)
                continue
            text = shown_text(record.raw, readable.encoding)
            raw = None if decodes_as(record.raw, readable.encoding) else record.raw
            if raw is not None:
                undecodable.append(raw)
            reason = record.reason or "cannot be parsed as CSV"
            if reason.startswith("is not valid"):
                reason += _encoding_advice(readable.encoding)
            staged.structural.append(
                Problem(staged.source.display, record.line, None, _clip(text), reason, text, raw)
            )
        columns = [list(column) for column in zip(*good, strict=True)] if good else []
        if not batch_lines:
            continue
        lines.extend(batch_lines)
        table = pa.Table.from_arrays(
            [*(pa.array(c, pa.string()) for c in columns), pa.array(batch_lines, pa.int64())], schema=schema
        )
        view = f"_batch_{staged.tag}"
        connection.register(view, table)
        try:
            connection.execute(f"INSERT INTO {relation} SELECT * FROM {view}")
        finally:
            connection.unregister(view)
    line_numbers = np.frombuffer(lines, dtype=np.int64) if len(lines) else np.zeros(0, np.int64)
    staged.rows = len(line_numbers)
    staged.reader = "tolerant"
    staged.row_numbers = lambda recs: line_numbers[np.asarray(recs, dtype=np.int64)]
    staged.warnings.extend(
        _encoding_warning(staged.source.display, readable.encoding, undecodable, staged.structural)
    )


def _batches(records: Iterator[Record]) -> Iterator[list[Record]]:
    batch: list[Record] = []
    for record in records:
        batch.append(record)
        if len(batch) >= _BATCH_ROWS:
            yield batch
            batch = []
    if batch:
        yield batch


def _encoding_advice(encoding: str) -> str:
    return " (was the file saved as GBK or Latin-1? see --encoding)" if encoding == "utf_8" else ""


def _encoding_warning(
    display: str, encoding: str, undecodable: list[bytes], problems: list[Problem]
) -> list[str]:
    """Suggest ``--encoding gb18030`` when every undecodable record reads as GB18030; never guess."""
    if encoding != "utf_8" or not undecodable:
        return []
    records = f"{len(undecodable):,} record{'s are' if len(undecodable) != 1 else ' is'}"
    if not all(decodes_as(raw, "gb18030") for raw in undecodable):
        return [
            f"{display}: {records} not valid UTF-8 and refused; if the file is in another "
            "encoding, import it again with --encoding ENCODING (e.g. latin-1, big5)"
        ]
    first = next(p for p in problems if p.raw is not None)
    sample = (first.raw or b"").rstrip(b"\r\n").decode("gb18030")
    return [
        f"{display}: {records} not valid UTF-8 but read as GB18030 (line {first.row}: "
        f"{_clip(sample, 60)!r}); if the file comes from a Chinese tool, import it again with "
        "--encoding gb18030"
    ]


def _drop(connection: duckdb.DuckDBPyConnection, relations: list[str]) -> None:
    for relation in relations:
        connection.execute(f"DROP TABLE IF EXISTS {relation}")


def _clip(text: str, limit: int = 200) -> str:
    return text if len(text) <= limit else text[:limit] + "…"


# -- JSON lines ----------------------------------------------------------------------------------
def stage_jsonl(
    connection: duckdb.DuckDBPyConnection,
    source: SourceFile,
    spec: TableSpec,
    tag: str,
    context: ReadContext,
) -> StagedFile:
    if source.path.stat().st_size == 0:
        raise SourceError(source.display, "is empty (0 bytes)")
    readable = _readable(source, context, tag)
    lines, relation = f"_lines_{tag}", f"_stage_{tag}"
    structural: list[Problem] = []
    reader = "duckdb"
    if not (readable.encoding == "utf_8" and _jsonl_fast(connection, readable.path, lines, tag)):
        reader = "tolerant"
        structural = _jsonl_tolerant(connection, source, readable, lines, tag)
    parsed = f"_parsed_{tag}"
    connection.execute(
        f"CREATE OR REPLACE TEMP TABLE {parsed} AS SELECT _line_no, line AS _raw, "
        f"CASE WHEN json_valid(line) THEN line END AS _valid FROM {lines} "
        "WHERE line IS NOT NULL AND trim(line, chr(32) || chr(9)) <> ''"
    )
    connection.execute(
        f"CREATE OR REPLACE TEMP TABLE {relation} AS SELECT _line_no, _raw, "
        "CASE WHEN _valid IS NULL THEN 'is not valid JSON' "
        "WHEN json_type(_valid) <> 'OBJECT' THEN "
        "'is a JSON ' || CASE json_type(_valid) WHEN 'ARRAY' THEN 'array' WHEN 'VARCHAR' THEN 'string' "
        "WHEN 'BOOLEAN' THEN 'boolean' WHEN 'NULL' THEN 'null' ELSE 'number' END "
        "|| ', not an object' END AS _shape, "
        f"CASE WHEN json_type(_valid) = 'OBJECT' THEN _valid END AS _object FROM {parsed}"
    )
    cleanup = [lines, parsed, relation]
    keys = [
        str(row[0])
        for row in connection.execute(
            f"SELECT DISTINCT unnest(json_keys(_object)) FROM {relation} WHERE _object IS NOT NULL"
        ).fetchall()
    ]
    try:
        positions, extra, hints = _match_columns(spec, keys, source.display)
    except SourceError:
        _drop(connection, cleanup)
        raise
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
    # Lines that are not objects are structural problems; drop them from the stage.
    bad_shapes = connection.execute(
        f"SELECT _line_no, _shape, _raw FROM {relation} WHERE _shape IS NOT NULL ORDER BY _line_no"
    ).fetchall()
    for line, shape, raw in bad_shapes:
        structural.append(Problem(source.display, int(line), None, _clip(str(raw)), str(shape), str(raw)))
    staged_rel = f"_stagej_{tag}"
    cleanup.append(staged_rel)
    connection.execute(
        f"CREATE OR REPLACE TEMP TABLE {staged_rel} AS SELECT _line_no{extracts} FROM {relation} "
        "WHERE _shape IS NULL ORDER BY _line_no"
    )
    index_table = arrow(connection, f"SELECT _line_no FROM {staged_rel} ORDER BY rowid")
    line_numbers: npt.NDArray[np.int64] = index_table.column(0).to_numpy().astype(np.int64)

    def rows_to_lines(recs: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
        return line_numbers[np.asarray(recs, dtype=np.int64)]

    return StagedFile(
        source=source,
        tag=tag,
        relation=staged_rel,
        columns=columns,
        text_columns=set(columns),
        rows=len(line_numbers),
        structural=sorted(structural, key=lambda p: p.row or 0),
        extra_columns=extra,
        warnings=hints,
        row_numbers=rows_to_lines,
        cleanup=cleanup,
        reader=reader,
        json_types=json_types,
    )


def _jsonl_fast(connection: duckdb.DuckDBPyConnection, path: Path, lines: str, tag: str) -> bool:
    """One line per row with DuckDB, kept only when it read as many lines as the file has."""
    scan = scan_lines(path)
    if not scan.uniform_endings:
        return False
    rejects, scans = f"_rejects_{tag}", f"_rejscan_{tag}"
    try:
        connection.execute(
            f"CREATE OR REPLACE TEMP TABLE {lines} AS SELECT line FROM read_csv({sql_string(str(path))}, "
            "header = false, delim = chr(1), quote = '', escape = '', auto_detect = false, "
            "columns = {'line': 'VARCHAR'}, strict_mode = true, store_rejects = true, "
            f"rejects_table = '{rejects}', rejects_scan = '{scans}', "
            f"max_line_size = {MAX_RECORD_BYTES}, buffer_size = {2 * MAX_RECORD_BYTES})"
        )
        rejected = count(connection, f"SELECT count(*) FROM {rejects}")
    except duckdb.Error as error:
        raise_if_interrupted(error)
        _drop(connection, [lines, rejects, scans])
        return False
    _drop(connection, [rejects, scans])
    if rejected or count(connection, f"SELECT count(*) FROM {lines}") != scan.lines:
        _drop(connection, [lines])
        return False
    connection.execute(
        f"CREATE OR REPLACE TEMP TABLE {lines} AS SELECT rowid + 1 AS _line_no, line FROM {lines}"
    )
    return True


def _jsonl_tolerant(
    connection: duckdb.DuckDBPyConnection, source: SourceFile, readable: _Readable, lines: str, tag: str
) -> list[Problem]:
    """Lines split by Python (any line ends); lines whose bytes do not decode are refused."""
    numbers: list[int] = []
    texts: list[str] = []
    problems: list[Problem] = []
    for number, text, data in text_lines(
        readable.path, encoding=readable.encoding, max_line_bytes=MAX_RECORD_BYTES
    ):
        if text is None:
            shown = shown_text(data, readable.encoding)
            reason = f"is not valid {encoding_label(readable.encoding)}{_encoding_advice(readable.encoding)}"
            problems.append(Problem(source.display, number, None, _clip(shown), reason, shown, data))
        elif len(data) >= MAX_RECORD_BYTES:
            problems.append(
                Problem(
                    source.display,
                    number,
                    None,
                    _clip(text),
                    f"is longer than {MAX_RECORD_BYTES >> 20} MB",
                    text,
                )
            )
        else:
            numbers.append(number)
            texts.append(text)
    table = pa.table({"_line_no": pa.array(numbers, pa.int64()), "line": pa.array(texts, pa.string())})
    view = f"_jsonl_{tag}"
    connection.register(view, table)
    try:
        connection.execute(f"CREATE OR REPLACE TEMP TABLE {lines} AS SELECT * FROM {view}")
    finally:
        connection.unregister(view)
    return problems


def json_path_key(key: str) -> str:
    """A JSON path step for any key, quoted so dots and spaces in keys are safe."""
    return '"' + key.replace("\\", "\\\\").replace('"', '\\"') + '"'


# -- Parquet -------------------------------------------------------------------------------------
def stage_parquet(
    connection: duckdb.DuckDBPyConnection,
    source: SourceFile,
    spec: TableSpec,
    tag: str,
    context: ReadContext,
) -> StagedFile:
    literal = sql_string(str(_plain_path(source, context, tag)))
    try:
        described = connection.execute(f"DESCRIBE SELECT * FROM read_parquet({literal})").fetchall()
        names = [str(row[0]) for row in described]
        types = {str(row[0]): str(row[1]).upper() for row in described}
        positions, extra, hints = _match_columns(spec, names, source.display)
        rows = count(connection, f"SELECT count(*) FROM read_parquet({literal})")
    except duckdb.Error as error:
        raise_if_interrupted(error)
        raise SourceError(
            source.display,
            f"is not a readable Parquet file (truncated or corrupt?): {first_line(error)}",
        ) from error
    columns = {name: quote_identifier(names[index]) for name, index in positions.items()}
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
        warnings=hints,
        row_numbers=lambda recs: np.asarray(recs, dtype=np.int64) + 1,
        rec="file_row_number",
    )


Stager = Callable[[duckdb.DuckDBPyConnection, SourceFile, TableSpec, str, ReadContext], StagedFile]
STAGERS: dict[str, Stager] = {"csv": stage_csv, "jsonl": stage_jsonl, "parquet": stage_parquet}
