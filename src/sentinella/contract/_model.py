"""The vocabulary of the data contract: column kinds, columns and tables.

One definition drives ingestion (validation SQL), the generator (Arrow schemas) and the docs, so
the three cannot disagree about what a case folder holds.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import StrEnum

import pyarrow as pa


class ColumnKind(StrEnum):
    """How a column's text is parsed and checked."""

    ID = "id"
    TEXT = "text"
    TIMESTAMP = "timestamp"
    MONEY = "money"
    CURRENCY = "currency"
    ENUM = "enum"
    INTEGER = "integer"

    @property
    def sql_type(self) -> str:
        return _SQL_TYPES[self]

    @property
    def arrow_type(self) -> pa.DataType:
        return _ARROW_TYPES[self]


MONEY_PRECISION = 18
MONEY_SCALE = 4
# No platform record a case holds (an account, an order, a review, a post) is older than this;
# an earlier time is a wrong value (a 1970 'epoch', a two-digit year), not history.
EARLIEST_TIME = dt.datetime(1990, 1, 1, tzinfo=dt.UTC)

_SQL_TYPES = {
    ColumnKind.ID: "VARCHAR",
    ColumnKind.TEXT: "VARCHAR",
    ColumnKind.TIMESTAMP: "TIMESTAMPTZ",
    ColumnKind.MONEY: f"DECIMAL({MONEY_PRECISION},{MONEY_SCALE})",
    ColumnKind.CURRENCY: "VARCHAR",
    ColumnKind.ENUM: "VARCHAR",
    ColumnKind.INTEGER: "INTEGER",
}

_ARROW_TYPES: dict[ColumnKind, pa.DataType] = {
    ColumnKind.ID: pa.string(),
    ColumnKind.TEXT: pa.string(),
    ColumnKind.TIMESTAMP: pa.timestamp("us", tz="UTC"),
    ColumnKind.MONEY: pa.decimal128(MONEY_PRECISION, MONEY_SCALE),
    ColumnKind.CURRENCY: pa.string(),
    ColumnKind.ENUM: pa.string(),
    ColumnKind.INTEGER: pa.int32(),
}


@dataclass(frozen=True)
class Column:
    """One column of an input table.

    ``identity`` marks the identifiers that merge one person's accounts (and that a store may
    keep only as salted hashes); ``personal`` marks data the public API role must never see.
    ``references`` names the ``table.column`` a value should exist in: a dangling reference is
    kept and reported, since exports are often cut at different times.
    """

    name: str
    kind: ColumnKind
    description: str
    required: bool = False
    allowed: tuple[str, ...] = ()
    minimum: int | None = None
    maximum: int | None = None
    identity: bool = False
    personal: bool = False
    references: str | None = None

    @property
    def sql_type(self) -> str:
        return self.kind.sql_type


@dataclass(frozen=True)
class TableSpec:
    """One table of a case folder; ``key`` identifies a row, so re-imports are idempotent."""

    name: str
    description: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    needed_by: tuple[str, ...] = field(default=())

    def rejects_row(self, column: Column) -> bool:
        """Whether a bad value in ``column`` rejects its row: a key or required column. A bad
        value elsewhere is cleared (stored empty) and reported, and the row is kept."""
        return column.required or column.name in self.key

    def column(self, name: str) -> Column:
        for column in self.columns:
            if column.name == name:
                return column
        raise KeyError(f"table {self.name!r} has no column {name!r}")

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(column.name for column in self.columns)

    @property
    def required_columns(self) -> tuple[str, ...]:
        return tuple(column.name for column in self.columns if column.required)

    def arrow_schema(self) -> pa.Schema:
        """The schema a Parquet file of this table should have (what the generator writes)."""
        return pa.schema([pa.field(c.name, c.kind.arrow_type, nullable=not c.required) for c in self.columns])

    def create_sql(self, table_name: str | None = None) -> str:
        """DDL for the store table; kept portable so any engine can run it."""
        columns = ",\n  ".join(f"{c.name} {c.sql_type}" for c in self.columns)
        return f"CREATE TABLE IF NOT EXISTS {table_name or self.name} (\n  {columns}\n)"
