"""Render the contract as the Markdown page users export against."""

from __future__ import annotations

from ._model import Column, ColumnKind, TableSpec
from ._tables import TABLES

_KIND_TEXT = {
    ColumnKind.ID: "text ID",
    ColumnKind.TEXT: "text",
    ColumnKind.TIMESTAMP: "ISO 8601 time (offset or UTC)",
    ColumnKind.MONEY: "decimal amount",
    ColumnKind.CURRENCY: "ISO 4217 code",
    ColumnKind.ENUM: "one of a list",
    ColumnKind.INTEGER: "integer",
}

_HEADER = """\
# Data contract

<!-- Generated from src/sentinella/contract by `sentinella contract`; a test keeps
     this page and the code in step. Do not edit by hand. -->

A *case* is a folder with one file per table: `members.csv`, `orders.parquet`,
`reviews.jsonl`, ... Formats may be mixed. A big table may instead be a folder of part files of
one format (`orders/part-00000.parquet`, ...). Only `members` is required; each analysis says
which tables it needs.

- IDs are strings. Times are ISO 8601, with an offset or in UTC (`2024-05-01T09:30:00+08:00`,
  `2024-05-01 01:30:00`, `2024-05-01`). Money is a decimal amount plus an ISO 4217 `currency`.
- CSV files have a header row; the delimiter (`,` `;` tab or `|`) is detected from it. Text is
  UTF-8 (a BOM is fine). JSON Lines files hold one object per line.
- Column names are matched case-insensitively; columns not listed here are ignored (and reported).
- Identity columns (🔑) merge one person's several accounts; `--hash-identities` keeps only
  salted hashes of them. Personal columns (👤) are never shown to the public API role.
- A row that breaks a rule below is quarantined with its file, row, column and reason; the rest
  of the file is imported. A reference to a row that is not in the store (e.g. a review of an
  unknown order) is kept and reported; such reviews never count toward credit.
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
