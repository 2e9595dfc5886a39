"""What credit reads besides orders and reviews: the as-of date, flagged orders, refunds.

Everything is registered as a small relation so the rules stay one SQL pipeline.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from zoneinfo import ZoneInfo

import pyarrow as pa

from sentinella.engine import Backend, Dialect, DuckDBDialect, literal
from sentinella.money import convert_sql

from ._config import CreditConfig
from ._errors import MissingTableError

FLAGGED = "__credit_flagged"
REFUNDS = "__credit_refunds"
RING_SCORES = "ring_order_scores"


_DUCKDB = DuckDBDialect()


def local(column: str, config: CreditConfig, dialect: Dialect = _DUCKDB) -> str:
    """A UTC instant as wall-clock time in the configured zone."""
    return dialect.local_time(column, config.timezone)


def _transitions(
    zone: str, first_year: int = 2000, last_year: int = 2040
) -> tuple[int, list[tuple[int, int]]]:
    """The zone's UTC offset (µs) before ``first_year`` and each change after, as (instant µs, offset µs)."""
    tz = ZoneInfo(zone)
    day = dt.timedelta(days=1)

    def offset(at: dt.datetime) -> int:
        delta = at.astimezone(tz).utcoffset() or dt.timedelta(0)
        return int(delta.total_seconds()) * 1_000_000

    at = dt.datetime(first_year, 1, 1, tzinfo=dt.UTC)
    end = dt.datetime(last_year, 1, 1, tzinfo=dt.UTC)
    first = current = offset(at)
    changes: list[tuple[int, int]] = []
    while at < end:
        following = at + day
        if offset(following) != current:
            low, high = at, following  # find the second the offset changes
            while high - low > dt.timedelta(seconds=1):
                middle = low + (high - low) / 2
                if offset(middle) == current:
                    low = middle
                else:
                    high = middle
            current = offset(following)
            changes.append((int(high.timestamp()) * 1_000_000, current))
        at = following
    return first, changes


def local_day(column: str, config: CreditConfig, dialect: Dialect = _DUCKDB) -> str:
    """The local calendar day of a UTC instant, as days since 1970-01-01.

    Integer arithmetic on epoch microseconds with the zone's offsets written into the SQL as a
    CASE over its transitions (none for China since 1991): several times faster than converting
    every timestamp through the engine's time-zone library, and the same on every engine.
    """
    first, changes = _transitions(config.timezone)
    us = dialect.epoch_us(column)
    if not changes:
        shifted = f"{us} + {first}"
    else:
        whens = []
        previous = first
        for instant, offset in changes:
            whens.append(f"WHEN {us} < {instant} THEN {previous}")
            previous = offset
        shifted = f"{us} + CASE {' '.join(whens)} ELSE {previous} END"
    return f"(({shifted}) // 86400000000)"


def cutoff_sql(as_of: dt.date, config: CreditConfig) -> str:
    """Local midnight after ``as_of`` as a UTC instant: everything before it is known on ``as_of``."""
    return utc_midnight(as_of + dt.timedelta(days=1), config)


def day_number(day: dt.date) -> int:
    return (day - dt.date(1970, 1, 1)).days


def utc_midnight(day: dt.date, config: CreditConfig) -> str:
    """A TIMESTAMPTZ literal for local midnight starting ``day``."""
    start = dt.datetime(day.year, day.month, day.day, tzinfo=ZoneInfo(config.timezone))
    return literal(start)


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
    # Only the last two days of instants can hold the latest local date (a zone's UTC offsets
    # differ by at most 26 hours), so the per-row time-zone conversion runs on those rows alone.
    latest = " UNION ALL ".join(
        f"SELECT max({local(column, config, backend.dialect)}) AS t FROM {table} "
        f"WHERE {column} >= (SELECT max({column}) FROM {table}) - INTERVAL 2 DAY"
        for table, column in (("reviews", "created_at"), ("orders", "placed_at"))
    )
    newest = backend.scalar(f"SELECT CAST(max(t) AS DATE) FROM ({latest}) x", step="credit: as of")
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
    """Per order, the refund payments dated by the as-of date: their exact total and currency
    when they are all in one currency, and their total converted to ``config.currency``.

    A rating is void only when the refunds reach the order amount (``_rules.refund_sql``); any
    refund at all makes the order a defect. A refund in a currency missing from the rate table
    adds nothing to the converted total (the rating stands). The orders are not joined here:
    the rules' pass joins them anyway.
    """
    if backend.table_exists("payments"):
        converted = convert_sql("amount", "currency", config.currency, config.rates)
        sql = f"""
SELECT order_id, sum(amount) AS total,
  CASE WHEN min(currency) = max(currency) THEN min(currency) END AS currency, sum({converted}) AS converted
FROM payments
WHERE kind = 'refund' AND order_id IS NOT NULL AND paid_at < {cutoff}
GROUP BY order_id"""
    else:
        sql = (
            "SELECT CAST(NULL AS VARCHAR) AS order_id, CAST(NULL AS DECIMAL(18,4)) AS total, "
            "CAST(NULL AS VARCHAR) AS currency, CAST(NULL AS DOUBLE) AS converted WHERE FALSE"
        )
    backend.execute(f"CREATE OR REPLACE TEMP TABLE {REFUNDS} AS {sql}", step="credit: refunds")
