"""Parameterised reads through the engine seam, shared by the capabilities' lookup functions.

``Backend.query`` takes SQL text only, so values never enter SQL as text: they are handed to
the engine as a small Arrow relation, named in the SQL through the ``{p}`` placeholder
(``WHERE merchant_id = (SELECT id FROM {p})`` or ``JOIN {p} p ON ...``). Any engine that can
register an Arrow table runs it; a quote or a bracket in an ID is just data.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

import pyarrow as pa

from sentinella.engine import Backend


def rows(
    backend: Backend, sql: str, params: Mapping[str, Sequence[Any]] | None = None, *, step: str
) -> list[dict[str, Any]]:
    """Run ``sql`` with ``params`` (columns of equal length) registered as ``{p}``; rows as dicts."""
    if not params:
        return list(backend.query(sql, step=step).to_pylist())
    name = backend.unique_name("params")
    backend.register_arrow(name, pa.table({key: list(values) for key, values in params.items()}))
    try:
        return list(backend.query(sql.replace("{p}", name), step=step).to_pylist())
    finally:
        backend.unregister(name)


def one(
    backend: Backend, sql: str, params: Mapping[str, Sequence[Any]] | None = None, *, step: str
) -> dict[str, Any] | None:
    """The first row of :func:`rows`, or None."""
    found = rows(backend, sql, params, step=step)
    return found[0] if found else None


def nearest(backend: Backend, table: str, column: str, value: str, *, limit: int = 3) -> list[str]:
    """The IDs closest to ``value`` by edit distance, for a did-you-mean hint (``table`` and
    ``column`` are names from our own code, never user input)."""
    if not backend.table_exists(table):
        return []
    found = rows(
        backend,
        f"SELECT {column} AS id FROM {table}, {{p}} p WHERE {column} IS NOT NULL "
        f"ORDER BY levenshtein({column}, p.wanted), {column} LIMIT {int(limit)}",
        {"wanted": [value]},
        step=f"ids near {value!r} in {table}",
    )
    return [str(row["id"]) for row in found]


def did_you_mean(what: str, value: str, candidates: Sequence[str]) -> str:
    """``no merchant 'S1'; did you mean S00000001, ...?`` in one line."""
    text = f"no {what} {value!r}"
    return f"{text}; did you mean {', '.join(candidates)}?" if candidates else text


def plain(value: Any) -> Any:
    """A value ready for ``json.dumps``: decimals as numbers, dates as ISO text."""
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def dumps(value: Any) -> str:
    """JSON text of a lookup's result (the same object the text is printed from)."""
    return json.dumps(plain(value), ensure_ascii=False)
