"""What credit reads besides orders and reviews: the as-of date, flagged orders, refunds.

Everything is registered as a small relation so the rules stay one SQL pipeline.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

import pyarrow as pa

from sentinella.engine import Backend

from ._config import CreditConfig
from ._errors import MissingTableError

FLAGGED = "__credit_flagged"
REFUNDS = "__credit_refunds"
RING_SCORES = "ring_order_scores"


def literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def local(column: str, config: CreditConfig) -> str:
    """A UTC instant as wall-clock time in the configured zone (Spark: from_utc_timestamp)."""
    return f"({column} AT TIME ZONE {literal(config.timezone)})"


def cutoff_sql(as_of: dt.date) -> str:
    """Local midnight after ``as_of``: everything strictly before it is known on ``as_of``."""
    return f"TIMESTAMP '{(as_of + dt.timedelta(days=1)).isoformat()} 00:00:00'"


def require_tables(backend: Backend) -> None:
    for name in ("orders", "reviews"):
        if not backend.table_exists(name):
            raise MissingTableError(f"credit needs the {name} table: ingest a case with {name} first")


def resolve_as_of(backend: Backend, as_of: dt.date | None, config: CreditConfig) -> dt.date:
    """``as_of`` if given, else the local date of the newest review or order in the store.

    Defaulting to the data, not to the clock, keeps a re-run on the same store identical.
    """
    if as_of is not None:
        return as_of
    newest = backend.scalar(
        f"SELECT CAST(max(t) AS DATE) FROM ("
        f"SELECT max({local('created_at', config)}) AS t FROM reviews UNION ALL "
        f"SELECT max({local('placed_at', config)}) AS t FROM orders) x",
        step="credit: as of",
    )
    if isinstance(newest, dt.date):
        return newest
    return dt.datetime.now(dt.UTC).date()


def register_flagged(backend: Backend, flagged_orders: Iterable[str] | None) -> str:
    """Flagged order IDs as a relation: the caller's, else the rings analysis's, else none.

    Returns where they came from, for the summary.
    """
    if flagged_orders is not None:
        ids = sorted({str(order_id) for order_id in flagged_orders})
        _from_arrow(backend, pa.table({"order_id": pa.array(ids, pa.string())}))
        return "given"
    if backend.table_exists(RING_SCORES):
        columns = set(backend.query(f"SELECT * FROM {RING_SCORES} LIMIT 0").column_names)
        if {"order_id", "flagged"} <= columns:
            backend.execute(
                f"CREATE OR REPLACE TEMP TABLE {FLAGGED} AS SELECT DISTINCT CAST(order_id AS VARCHAR) "
                f"AS order_id FROM {RING_SCORES} WHERE CAST(flagged AS BOOLEAN) AND order_id IS NOT NULL",
                step="credit: flagged orders",
            )
            return RING_SCORES
    _from_arrow(backend, pa.table({"order_id": pa.array([], pa.string())}))
    return "none"


def _from_arrow(backend: Backend, table: pa.Table) -> None:
    backend.register_arrow(f"{FLAGGED}_arrow", table)
    backend.execute(
        f"CREATE OR REPLACE TEMP TABLE {FLAGGED} AS SELECT order_id FROM {FLAGGED}_arrow",
        step="credit: flagged orders",
    )


def register_refunds(backend: Backend, cutoff: str, config: CreditConfig) -> None:
    """Orders with a refund payment dated by the as-of date: refunded even if status lags."""
    if backend.table_exists("payments"):
        sql = (
            "SELECT DISTINCT order_id FROM payments WHERE kind = 'refund' AND order_id IS NOT NULL "
            f"AND {local('paid_at', config)} < {cutoff}"
        )
    else:
        sql = "SELECT CAST(NULL AS VARCHAR) AS order_id WHERE FALSE"
    backend.execute(f"CREATE OR REPLACE TEMP TABLE {REFUNDS} AS {sql}", step="credit: refunds")
