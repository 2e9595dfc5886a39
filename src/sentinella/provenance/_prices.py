"""Listings priced far below the market price of the same product, as one SQL pipeline.

The same product is the comparison capability's ``product_clusters`` (listing_id, product_id)
when the store has it; otherwise the same GTIN, else the same model code in the title (letters
and four digits, e.g. "AX-5759S", normalised to AX5759S). Only branded products are compared (a
listing of the product names a brand). The market price is the median price in CNY over the
product's listings when at least ``price_min_peers`` other merchants list it. A product that
exactly one other merchant lists takes that merchant's (median) price as its reference, a weaker
one: only titles that do not explain a low price are compared, and the finding is moderate.
Titles saying sale, clearance, outlet or second-hand (English, Chinese, Italian) explain a lower
price, so they are held to a lower threshold.
"""

from __future__ import annotations

from sentinella.engine import Backend
from sentinella.money import DEFAULT_CNY_PER_UNIT, convert_sql

from ._config import ProvenanceConfig

EXPLAINED_WORDS = (
    "clearance", "sale", "outlet", "last pieces", "used", "pre-owned", "preowned", "second hand",
    "second-hand", "secondhand", "refurbished", "ex-display",
    "清仓", "特价", "尾货", "断码", "甩卖", "二手", "闲置", "九成新", "95新", "转让",
    "svendita", "saldi", "fine serie", "liquidazione", "usato", "usata", "seconda mano",
)  # fmt: skip
MODEL = r"(?:^|[^A-Za-z0-9])([A-Za-z]{1,3})[- ]?([0-9]{4})([A-Za-z]?)(?:$|[^A-Za-z0-9])"
PRICES = "__provenance_prices"


def _words_sql() -> str:
    escaped = "|".join(w.replace("'", "''").replace("-", r"\-") for w in EXPLAINED_WORDS)
    return f"regexp_matches(lower(coalesce(title, '')), '{escaped}')"


def price_findings_sql(backend: Backend, cfg: ProvenanceConfig) -> str | None:
    """A query of (listing_id, merchant_id, title, price_cny, market_cny, ratio, peers, key,
    explained, reference) for listings far below their market price; None without a listings
    table. ``reference`` is 'median' (of all the product's listings) or 'one_merchant'."""
    if not backend.table_exists("listings"):
        return None
    clusters = backend.table_exists("product_clusters")
    cny = convert_sql("l.price", "l.currency", "CNY", DEFAULT_CNY_PER_UNIT)
    model = (
        f"upper(regexp_extract(l.title, '{MODEL}', 1) || regexp_extract(l.title, '{MODEL}', 2) || "
        f"regexp_extract(l.title, '{MODEL}', 3))"
    )
    key = (
        "coalesce('cluster:' || pc.product_id, 'gtin:' || l.gtin, 'model:' || nullif(" + model + ", ''))"
        if clusters
        else "coalesce('gtin:' || l.gtin, 'model:' || nullif(" + model + ", ''))"
    )
    join = "LEFT JOIN product_clusters pc ON pc.listing_id = l.listing_id" if clusters else ""
    backend.execute(
        f"CREATE OR REPLACE TEMP TABLE {PRICES} AS SELECT l.listing_id, l.merchant_id, l.title, l.brand, "
        f"{cny} AS price_cny, {key} AS key, {_words_sql()} AS explained FROM listings l {join}",
        step="provenance: prices",
    )
    single = (
        f"(m.merchants = 2 AND {cfg.price_min_peers} > 1 AND NOT p.explained "
        f"AND p.price_cny / o.other_cny <= {cfg.price_far_below})"
    )
    return (
        "WITH market AS (SELECT key, median(price_cny) AS market_cny, "
        "count(DISTINCT merchant_id) AS merchants, "
        f"count(*) AS listings, max(brand) AS brand FROM {PRICES} WHERE key IS NOT NULL AND price_cny > 0 "
        "GROUP BY key), "
        f"shop AS (SELECT key, merchant_id, median(price_cny) AS shop_cny FROM {PRICES} "
        "WHERE key IS NOT NULL AND price_cny > 0 GROUP BY key, merchant_id), "
        # with two merchants, each one's reference is the other's price
        "other AS (SELECT a.key, a.merchant_id, b.shop_cny AS other_cny FROM shop a JOIN shop b "
        "ON a.key = b.key AND a.merchant_id <> b.merchant_id JOIN market mk ON mk.key = a.key "
        "WHERE mk.merchants = 2), "
        "compared AS (SELECT p.*, m.merchants, coalesce(p.brand, m.brand) AS any_brand, "
        f"CASE WHEN m.merchants - 1 >= {cfg.price_min_peers} THEN m.market_cny ELSE o.other_cny END "
        f"AS reference_cny, m.merchants - 1 >= {cfg.price_min_peers} AS by_median "
        f"FROM {PRICES} p JOIN market m USING (key) LEFT JOIN other o USING (key, merchant_id) "
        f"WHERE coalesce(p.brand, m.brand) IS NOT NULL AND p.price_cny > 0 AND (m.merchants - 1 >= "
        f"{cfg.price_min_peers} OR {single})) "
        "SELECT listing_id, merchant_id, title, round(price_cny, 2) AS price_cny, "
        "round(reference_cny, 2) AS market_cny, round(price_cny / reference_cny, 3) AS ratio, "
        "merchants - 1 AS peers, key, explained, any_brand AS brand, "
        "CASE WHEN by_median THEN 'median' ELSE 'one_merchant' END AS reference "
        "FROM compared WHERE NOT by_median OR price_cny / reference_cny <= CASE WHEN explained "
        f"THEN {cfg.price_far_below_explained} ELSE {cfg.price_far_below} END ORDER BY listing_id"
    )
