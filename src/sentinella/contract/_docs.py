"""Render the contract as the Markdown page users export against."""

from __future__ import annotations

from ._currencies import CURRENCY_SYMBOLS
from ._model import EARLIEST_TIME, MONEY_PRECISION, MONEY_SCALE, Column, ColumnKind, TableSpec
from ._tables import TABLES

_KIND_TEXT = {
    ColumnKind.ID: "ID (text or whole number)",
    ColumnKind.TEXT: "text",
    ColumnKind.TIMESTAMP: "ISO 8601 time",
    ColumnKind.MONEY: "exact amount",
    ColumnKind.CURRENCY: "ISO 4217 code",
    ColumnKind.ENUM: "one of a list",
    ColumnKind.INTEGER: "whole number",
}

_SYMBOLS = ", ".join(
    f"`{symbol}` {'/'.join(sorted(codes))}" for symbol, codes in CURRENCY_SYMBOLS.items() if len(codes) <= 2
)

_HEADER = f"""\
# Data contract

<!-- Generated from src/sentinella/contract by `sentinella contract`; a test keeps
     this page and the code in step. Do not edit by hand. -->

A *case* is a folder with one file per table: `members.csv`, `orders.parquet`,
`reviews.jsonl`, ... Formats may be mixed. A big table may instead be a folder of part files of
one format (`orders/part-00000.parquet`, ...). Only `members` is required; each analysis says
which tables it needs.

- CSV files have a header row; the delimiter (`,` `;` tab or `|`) is detected from it. Text is
  UTF-8 (a BOM is fine). JSON Lines files hold one object per line.
- Column names are matched case-insensitively; columns not listed here are ignored (and reported).
- Identity columns (🔑) merge one person's several accounts; `--hash-identities` keeps only
  salted hashes of them. Personal columns (👤) are never shown to the public API role.
- A bad value in a **required** (bold) or key column rejects its row: the row is quarantined with
  its file, row, column and reason, and the rest of the file is imported. A bad value in any other
  column is cleared instead: the field is stored empty, the value is quarantined as a *field*
  problem (`kind = 'field'` in `ingest_quarantine`) and counted as `fields_cleared`, and the row
  is kept, so one bad date never orphans a member's downline.
- A reference to a row that is not in the store (e.g. a review of an unknown order) is kept and
  reported; such reviews never count toward credit.

## How values are read

Every value is read exactly as written, or refused with a reason that names its form; nothing is
rounded or guessed.

- **IDs** are strings, compared after Unicode NFC normalisation (é typed as one character or as
  e + accent is one member). Spaces and invisible characters (tab, no-break space, zero-width
  space, BOM, ...) around an ID are trimmed, and the summary counts the IDs that changed
  (`ids_cleaned`). In JSON Lines an ID must be a string or a whole number (`7` is the ID `"7"`);
  in Parquet a string or integer column. Fractions (`1.0`), booleans, objects and lists are
  refused. An ID holding a NUL byte or longer than 256 characters is refused.
- **Amounts** are decimals kept to {MONEY_SCALE} places (`DECIMAL({MONEY_PRECISION},{MONEY_SCALE})`), never as
  floating point. Accepted: `1299.9`, `1,299.90` and `1.299,90` (thousands separators with a
  decimal mark), and in a `;`-delimited file the decimal comma `12,50`. A currency symbol may lead
  when it agrees with the row's `currency`: `¥1,980.00` with CNY or JPY, `$1,980.00` with a dollar
  currency; a symbol that disagrees is refused. Symbols: {_SYMBOLS}; `$` is any dollar. Refused:
  more than {MONEY_SCALE} decimals (`129.99999`), exponents (`1e3`), `_` between digits (`1_000`), and
  separators that could be either (`1,234` anywhere; `1.234` in a `;`-delimited file, whose
  decimal mark may be the comma). A floating-point Parquet column is read only where each value
  is exactly an amount of at most {MONEY_SCALE} decimals.
- **Whole numbers** (ratings, quantities, commission levels) are digits with an optional sign:
  `2.0`, `2.5` and `4.9999999` are refused, not rounded. A floating-point Parquet column may
  hold whole values (pandas writes integer columns with gaps that way).
- **Times** are ISO 8601: `2024-05-01T09:30:00+08:00`, `2024-05-01 01:30:00Z`, `2024-05-01`. An
  offset must lie within ±14:00; a zone may also be named in full (`Asia/Shanghai`) but not by an
  abbreviation (`CST` is China to one exporter and US Central to another). Times without an offset
  are read in the zone given by `ingest --timezone ZONE` (an IANA name), or as UTC when none is
  given; the summary counts them per column and the store records the zone (`sentinella tables`
  shows it). Words DuckDB would accept as times (`epoch`, `infinity`) are refused. Every time must
  be plausible: not before {EARLIEST_TIME:%Y-%m-%d} (no platform record is older; an earlier date
  is a wrong value such as a 1970 epoch) and not more than a day after the import runs.
- **Text** is kept as written. A text value holding a NUL byte (binary data) or over 1 MB is
  refused: the field is cleared (or the row rejected, if the column is required). Other control
  characters are kept as they are.
"""


def _rule(column: Column) -> str:
    parts: list[str] = []
    if column.allowed:
        parts.append(" / ".join(f"`{v}`" for v in column.allowed))
    if column.minimum is not None and column.maximum is not None:
        parts.append(f"{column.minimum} to {column.maximum}")
    elif column.minimum is not None:
        parts.append(f"≥ {column.minimum}")
    if column.references:
        parts.append(f"refers to `{column.references}`")
    return "; ".join(parts)


def _table(spec: TableSpec) -> str:
    lines = [
        f"## `{spec.name}`",
        "",
        spec.description,
        "",
        f"Key: {', '.join(f'`{k}`' for k in spec.key)}. Needed by: {', '.join(spec.needed_by)}.",
        "",
        "| column | required | type | rule | meaning |",
        "| --- | --- | --- | --- | --- |",
    ]
    for column in spec.columns:
        marks = ("🔑" if column.identity else "") + ("👤" if column.personal else "")
        name = f"**{column.name}**" if column.required else column.name
        lines.append(
            f"| {name} {marks}".rstrip()
            + f" | {'yes' if column.required else ''} | {_KIND_TEXT[column.kind]}"
            + f" | {_rule(column)} | {column.description} |"
        )
    return "\n".join(lines)


def render_markdown() -> str:
    """The whole data-contract page."""
    return _HEADER + "\n" + "\n\n".join(_table(spec) for spec in TABLES.values()) + "\n"
