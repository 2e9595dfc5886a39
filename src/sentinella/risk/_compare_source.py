"""Risk signals from the comparison (compare/): offers far below the product's market price.

Comparison ranks an offer priced under ``BELOW_MARKET`` (60%) of its product's market price
after all the others, as a counterfeit risk. Here that becomes one merchant signal,
``compare_below_market``, whose strength is the share of the merchant's compared offers that
are that far below: a shop whose every offer of a widely sold product is at a fifth of the
market scores 1; a clearance or second-hand shop with one cheap offer among many scores little.
Only products sold by at least ``MIN_MERCHANTS`` merchants have a market price worth comparing
with. Evidence: the cheapest such listing (``product_clusters``, by listing_id).
"""

from __future__ import annotations

from sentinella.money import DEFAULT_CNY_PER_UNIT, convert_sql

from ._sources import Source, _key

BELOW_MARKET = 0.6  # compare/'s cut (compare._analysis.BELOW_MARKET), held equal by a test
MIN_MERCHANTS = 3


def _compare_sql() -> str:
    price = convert_sql("l.price", "upper(l.currency)", "CNY", DEFAULT_CNY_PER_UNIT)
    return (
        "SELECT 'merchant' AS subject_kind, merchant_id AS subject_id, 'compare_below_market' AS signal, "
        "below / offers AS strength, 'product_clusters' AS evidence_table, "
        f"{_key(listing_id='cheapest')} AS evidence_key, "
        "below || ' of ' || offers || ' compared offers under "
        f"{BELOW_MARKET:.0%} of the market price (lowest: ' || round(100 * lowest, 1) || '% of it, listing ' "
        "|| cheapest || ')' AS detail FROM ("
        f"SELECT l.merchant_id, count(*) FILTER (WHERE {price} < {BELOW_MARKET} * p.median_price) AS below, "
        f"count(*) AS offers, min({price} / p.median_price) AS lowest, "
        f"arg_min(l.listing_id, {price} / p.median_price) AS cheapest "
        "FROM product_clusters c JOIN listings l ON l.listing_id = c.listing_id "
        "JOIN product_prices p ON p.product_id = c.product_id "
        f"WHERE p.merchants >= {MIN_MERCHANTS} AND p.median_price > 0 AND {price} IS NOT NULL "
        "GROUP BY l.merchant_id) WHERE below > 0"
    )


SOURCE: Source = Source(
    "compare",
    ("product_clusters", "product_prices", "listings"),
    ("compare_below_market",),
    _compare_sql,
)
