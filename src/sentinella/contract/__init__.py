"""The input data contract (docs/data-contract.md) as code.

Ingestion validates against it, the generator writes it and ``docs/data-contract.md`` is rendered
from it.
"""

from __future__ import annotations

from ._currencies import CURRENCY_SYMBOLS, ISO_4217
from ._docs import render_markdown
from ._model import EARLIEST_TIME, MONEY_PRECISION, MONEY_SCALE, Column, ColumnKind, TableSpec
from ._tables import (
    COMMISSION_BASES,
    MEDIA_CONTEXTS,
    ORDER_STATUSES,
    PAYMENT_KINDS,
    TABLES,
    TIE_KINDS,
)

__all__ = [
    "COMMISSION_BASES",
    "CURRENCY_SYMBOLS",
    "EARLIEST_TIME",
    "ISO_4217",
    "MEDIA_CONTEXTS",
    "MONEY_PRECISION",
    "MONEY_SCALE",
    "ORDER_STATUSES",
    "PAYMENT_KINDS",
    "TABLES",
    "TIE_KINDS",
    "Column",
    "ColumnKind",
    "TableSpec",
    "get_table",
    "render_markdown",
]


def get_table(name: str) -> TableSpec:
    """The spec of one input table, with a helpful error for an unknown name."""
    try:
        return TABLES[name]
    except KeyError:
        known = ", ".join(TABLES)
        raise KeyError(f"{name!r} is not a table of the data contract (tables: {known})") from None
