"""Listings priced far below the market price of the same product, as one SQL pipeline.

The same product is the comparison capability's ``product_clusters`` (listing_id, product_id)
when the store has it; otherwise the same GTIN, else the same model code in the title (letters
and four digits, e.g. "AX-5759S", normalised to AX5759S). Only branded products are compared (a
listing of the product names a brand). The market price is the median price in CNY over the
product's listings, needed from at least ``price_min_peers`` other merchants. Titles saying
sale, clearance, outlet or second-hand (English, Chinese, Italian) explain a lower price, so they
are held to a lower threshold.
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
    explained) for listings far below their market price; None without a listings table."""
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
    return (
        "WITH market AS (SELECT key, median(price_cny) AS market_cny, "
        "count(DISTINCT merchant_id) AS merchants, "
        f"count(*) AS listings, max(brand) AS brand FROM {PRICES} WHERE key IS NOT NULL AND price_cny > 0 "
        "GROUP BY key) "
        "SELECT p.listing_id, p.merchant_id, p.title, round(p.price_cny, 2) AS price_cny, "
        "round(m.market_cny, 2) AS market_cny, round(p.price_cny / m.market_cny, 3) AS ratio, "
        "m.merchants - 1 AS peers, p.key, p.explained, coalesce(p.brand, m.brand) AS brand "
        f"FROM {PRICES} p JOIN market m USING (key) "
        f"WHERE m.merchants - 1 >= {cfg.price_min_peers} AND coalesce(p.brand, m.brand) IS NOT NULL "
        f"AND p.price_cny / m.market_cny <= CASE WHEN p.explained THEN {cfg.price_far_below_explained} "
        f"ELSE {cfg.price_far_below} END ORDER BY p.listing_id"
    )
