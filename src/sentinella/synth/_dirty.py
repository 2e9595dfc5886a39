"""Dirty data: the bad rows ingestion must quarantine, each one recorded where it was put.

Only rows outside planted structures are spoiled, so the planted truth stays exact. In Parquet
only what the types allow is possible (no bad dates); CSV and JSONL get bad strings as well.
Each record says what ingestion must do with it (``effect``), read from the contract: a bad key
or required value rejects the row; a bad optional value is cleared and the row kept.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from sentinella.contract import TABLES

from ._commerce import decimal_units
from ._fmt import money

# (kind, column); column None = the whole row
DIRTY_KINDS: dict[str, tuple[tuple[str, str | None], ...]] = {
    "members": (
        ("duplicate_identical", None),
        ("duplicate_conflicting", "phone"),
        ("bad_date", "joined_at"),
        ("nul_text", "name"),
    ),
    "merchants": (("duplicate_identical", None), ("nul_text", "name")),
    "orders": (
        ("bad_date", "placed_at"),
        ("unknown_status", "status"),
        ("negative_amount", "amount"),
        ("duplicate_identical", None),
        ("duplicate_conflicting", "amount"),
        ("out_of_range", "quantity"),
    ),
    "reviews": (
        ("missing_order", "order_id"),
        ("out_of_range", "rating"),
        ("bad_date", "created_at"),
        ("nul_text", "text"),
        ("duplicate_identical", None),
    ),
    "payments": (
        ("negative_amount", "amount"),
        ("unknown_kind", "kind"),
        ("bad_date", "paid_at"),
        ("duplicate_identical", None),
        ("duplicate_conflicting", "amount"),
    ),
}
_BAD_DATES = ("2024-13-01", "2024-02-30T10:00:00Z", "yesterday", "31/12/2024", "2024-00-10 25:61:00")
_BAD_STATUS = ("lost", "pending_review", "returned?")
_BAD_KIND = ("gift", "tip", "deposit")
_NUL_TEXT = ("好评\x00", "\x00", "Ottimo\x00prodotto", "text with a NUL\x00byte")

DIRTY_SCHEMA = pa.schema(
    [
        ("table", pa.string()),
        ("file", pa.string()),
        ("row_number", pa.int64()),
        ("row_id", pa.string()),
        ("column", pa.string()),
        ("kind", pa.string()),
        ("value", pa.string()),
        ("effect", pa.string()),
    ]
)
EFFECTS = ("row", "field", "duplicate", "reference")


def effect(table: str, kind: str, column: str | None) -> str:
    """What ingestion must do with a spoiled row: reject it (``row``: a bad key or required value,
    or a conflicting duplicate), clear the one field and keep the row (``field``), skip it as an
    identical duplicate (``duplicate``) or keep it and report the dangling reference
    (``reference``)."""
    if kind == "duplicate_identical":
        return "duplicate"
    if kind == "duplicate_conflicting" or column is None:
        return "row"
    if kind == "missing_order":
        return "reference"
    spec = TABLES[table]
    return "row" if spec.rejects_row(spec.column(column)) else "field"


def spoil(
    name: str, table: pa.Table, protected: np.ndarray, rate: float, rng: np.random.Generator
) -> tuple[pa.Table, dict[str, list[object]]]:
    """Spoil about ``rate`` of the unprotected rows; returns the table and what was done."""
    rec: dict[str, list[object]] = {
        "row_number": [],
        "row_id": [],
        "column": [],
        "kind": [],
        "value": [],
        "effect": [],
    }
    kinds = [
        (kind, col)
        for kind, col in DIRTY_KINDS.get(name, ())
        if kind != "bad_date" or (col is not None and pa.types.is_string(table.schema.field(col).type))
    ]
    candidates = np.flatnonzero(~protected[: table.num_rows])
    if rate <= 0 or not kinds or len(candidates) == 0:
        return table, rec
    k = int(rng.binomial(len(candidates), rate))
    if k == 0:
        return table, rec
    rows = np.sort(rng.choice(candidates, size=k, replace=False))
    which = rng.integers(0, len(kinds), k)
    key = table.column(0).combine_chunks()
    n = table.num_rows
    appended: list[pa.Table] = []
    for i, (kind, col) in enumerate(kinds):
        sel = rows[which == i]
        if len(sel) == 0:
            continue
        ids = key.take(pa.array(sel)).to_pylist()
        if kind.startswith("duplicate"):
            copy = table.take(pa.array(sel))
            if col is not None:
                at = copy.schema.get_field_index(col)
                copy = copy.set_column(
                    at, copy.schema.field(at), _conflict(copy.column(col).combine_chunks(), rng)
                )
            start = n + sum(t.num_rows for t in appended)
            appended.append(copy)
            values = copy.column(col).to_pylist() if col else [None] * len(sel)
            _record(rec, name, list(range(start + 1, start + 1 + len(sel))), ids, col, kind, values)
            continue
        assert col is not None
        idx = table.schema.get_field_index(col)
        column = table.column(col).combine_chunks()
        new = _bad_values(kind, column.take(pa.array(sel)), rng, col)
        mask = np.zeros(n, dtype=bool)
        mask[sel] = True
        table = table.set_column(
            idx, table.schema.field(idx), pc.replace_with_mask(column, pa.array(mask), new)
        )
        _record(rec, name, list(sel + 1), ids, col, kind, new.to_pylist())
    if appended:
        table = pa.concat_tables([table, *appended])
    return table, rec


def _record(
    rec: dict[str, list[object]],
    table: str,
    rows: list[int],
    ids: list[object],
    col: str | None,
    kind: str,
    values: list[object],
) -> None:
    rec["row_number"].extend(int(r) for r in rows)
    rec["row_id"].extend(ids)
    rec["column"].extend([col] * len(rows))
    rec["kind"].extend([kind] * len(rows))
    rec["value"].extend(None if v is None else str(v) for v in values)
    rec["effect"].extend([effect(table, kind, col)] * len(rows))


def _bad_values(kind: str, old: pa.Array, rng: np.random.Generator, col: str) -> pa.Array:
    k = len(old)

    def pick(words: tuple[str, ...]) -> pa.Array:
        return pa.array([words[i] for i in rng.integers(0, len(words), k)], pa.string())

    if kind == "bad_date":
        return pick(_BAD_DATES)
    if kind == "unknown_status":
        return pick(_BAD_STATUS)
    if kind == "unknown_kind":
        return pick(_BAD_KIND)
    if kind == "nul_text":
        return pick(_NUL_TEXT)
    if kind == "missing_order":
        return pa.array([f"O99{x:08d}" for x in rng.integers(0, 10**8, k)], pa.string())
    if kind == "negative_amount":
        units = decimal_units(old)
        return money(-np.maximum(np.abs(units), 10_000))
    if kind == "out_of_range":
        choices = (0, -1) if col == "quantity" else (0, 6, -1)
        return pa.array(rng.choice(choices, k).astype(np.int32))
    raise ValueError(kind)


def _conflict(col: pa.Array, rng: np.random.Generator) -> pa.Array:
    """The same ID with a different value: a conflicting duplicate."""
    if pa.types.is_decimal(col.type):
        return money(decimal_units(col) + 10 * 10_000)
    return pa.array([f"+86 199{x:08d}" for x in rng.integers(0, 10**8, len(col))], pa.string())


def records_table(name: str, file: str, rec: dict[str, list[object]]) -> pa.Table:
    k = len(rec["row_number"])
    return pa.table(
        {
            "table": pa.array([name] * k, pa.string()),
            "file": pa.array([file] * k, pa.string()),
            "row_number": pa.array(rec["row_number"], pa.int64()),
            "row_id": pa.array(rec["row_id"], pa.string()),
            "column": pa.array(rec["column"], pa.string()),
            "kind": pa.array(rec["kind"], pa.string()),
            "value": pa.array(rec["value"], pa.string()),
            "effect": pa.array(rec["effect"], pa.string()),
        },
        schema=DIRTY_SCHEMA,
    )
