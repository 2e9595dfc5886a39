"""What comparison reads from the store: listings with prices in one currency, merchant quality.

Prices are converted to CNY with :mod:`sentinella.money` (an editable rates table); a listing in
a currency the table does not know keeps its row with no CNY price (it is still matched by its
title, but counts in no market price).
"""

from __future__ import annotations

from collections.abc import Mapping

import pyarrow as pa

from sentinella.engine import Backend
from sentinella.money import convert_sql

from ._errors import MissingTableError

CURRENCY = "CNY"


def require_listings(backend: Backend) -> None:
    if not backend.has_rows("listings"):
        raise MissingTableError(
            "the store has no listings: ingest a case with listings.csv/.parquet/.jsonl first"
        )


def read_listings(backend: Backend, rates: Mapping[str, float]) -> pa.Table:
    """listing_id, merchant_id, title, gtin, category, price_cny (NULL for unknown currencies)."""
    price = convert_sql("price", "upper(currency)", CURRENCY, rates)
    table = backend.query(
        f"SELECT listing_id, merchant_id, title, gtin, category, {price} AS price_cny "
        "FROM listings ORDER BY listing_id",
        step="compare: listings",
    )
    return table


def merchants_sql(has_credit: bool, has_orders: bool) -> str:
    """One row per merchant with a listing: credit level, positive and defect rates, delivery days.

    ``success_chance`` = smoothed positive rate × (1 − 60-day defect rate): the share of orders
    that end well, which the credit-aware value divides the price by. Without a credit record it
    is NULL (the ranking then uses :data:`UNKNOWN_CHANCE` and says so).
    """
    credit = (
        "LEFT JOIN credit_merchants c ON c.merchant_id = m.merchant_id"
        if has_credit
        else "LEFT JOIN (SELECT CAST(NULL AS VARCHAR) AS merchant_id, CAST(NULL AS VARCHAR) AS level_name, "
        "CAST(NULL AS VARCHAR) AS level_symbol, CAST(NULL AS DOUBLE) AS positive_rate, "
        "CAST(NULL AS DOUBLE) AS positive_rate_smoothed, CAST(NULL AS DOUBLE) AS defect_rate_60d, "
        "CAST(NULL AS BIGINT) AS ratings_counted) c ON c.merchant_id = m.merchant_id"
    )
    delivery = (
        "LEFT JOIN (SELECT merchant_id, count(*) AS orders_completed, "
        "median(date_diff('second', placed_at, completed_at) / 86400.0) AS delivery_days "
        "FROM orders WHERE completed_at IS NOT NULL AND completed_at >= placed_at "
        "GROUP BY merchant_id) d ON d.merchant_id = m.merchant_id"
        if has_orders
        else "LEFT JOIN (SELECT CAST(NULL AS VARCHAR) AS merchant_id, "
        "CAST(NULL AS BIGINT) AS orders_completed, "
        "CAST(NULL AS DOUBLE) AS delivery_days) d ON d.merchant_id = m.merchant_id"
    )
    return (
        "SELECT m.merchant_id, c.level_name, c.level_symbol, c.ratings_counted, c.positive_rate, "
        "c.positive_rate_smoothed, c.defect_rate_60d, coalesce(d.orders_completed, 0) AS orders_completed, "
        "round(d.delivery_days, 2) AS delivery_days, "
        "c.positive_rate_smoothed * (1 - coalesce(c.defect_rate_60d, 0)) AS success_chance "
        f"FROM (SELECT DISTINCT merchant_id FROM listings) m {credit} {delivery}"
    )


UNKNOWN_CHANCE = 0.8
"""The success chance assumed for a merchant with no credit record (said in every explanation)."""
