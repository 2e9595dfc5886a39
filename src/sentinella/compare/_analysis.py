"""Comparison end to end: store → matched products → market prices → per-listing comparison."""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

from sentinella._timing import lap
from sentinella.engine import Backend, rounded
from sentinella.money import load_rates

from ._errors import CompareError, UnknownListingError
from ._inputs import CURRENCY, UNKNOWN_CHANCE, merchants_sql, read_listings, require_listings
from ._match import match_listings
from ._model import default_scorer

RESULT_TABLES = ("product_clusters", "product_prices", "compare_merchants")
# what it reads: listings always; credit and delivery when the store has them
INPUT_TABLES = ("listings", "credit_merchants", "orders")
_CLUSTERS = "__compare_clusters"


@dataclass
class CompareSummary:
    """What a run produced, for the CLI and the demo."""

    listings: int
    products: int
    multi_merchant_products: int
    matched_listings: int  # listings whose product has at least one other listing
    candidate_pairs: int
    refused_merges: int
    embeddings: bool
    scorer: str
    threshold: float
    unpriced_listings: int
    seconds: float
    timings: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def lines(self) -> list[str]:
        """The summary as text (the JSON twin is :meth:`to_dict`)."""
        out = [
            f"{self.listings:,} listings matched into {self.products:,} products in {self.seconds:.2f} s; "
            f"{self.matched_listings:,} listings share their product with another, "
            f"{self.multi_merchant_products:,} products are sold by several merchants",
            f"  {self.candidate_pairs:,} candidate pairs scored "
            f"({'text and embeddings' if self.embeddings else 'text features'}, threshold {self.threshold}); "
            f"{self.refused_merges:,} merges refused (different GTIN, model number or capacity)",
        ]
        if self.unpriced_listings:
            out.append(f"  {self.unpriced_listings:,} listings in a currency without a rate: no market price")
        return out


def run_compare(
    backend: Backend,
    *,
    embeddings: bool = False,
    rates_file: Path | None = None,
) -> CompareSummary:
    """Match every listing to a product and write ``product_clusters``, ``product_prices`` and
    ``compare_merchants``, replacing earlier results in one transaction.

    Needs only the ``listings`` table; ``credit_merchants`` (from ``sentinella credit``) and
    ``orders`` add credit and delivery to the comparison when present.
    """
    started = clock = time.perf_counter()
    timings: dict[str, float] = {}
    require_listings(backend)
    rates = load_rates(rates_file)
    listings = read_listings(backend, rates)
    clock = lap(timings, "read listings", clock)
    price = np.asarray(listings.column("price_cny").to_numpy(zero_copy_only=False), dtype=np.float64)
    vectors = None
    if embeddings:
        from ._embed import embed_titles

        vectors = embed_titles(listings.column("title"))
        clock = lap(timings, "embeddings", clock)
    scorer = default_scorer(embeddings=vectors is not None)
    matches = match_listings(
        listings.column("title"), listings.column("gtin"), price, embeddings=vectors, scorer=scorer
    )
    timings.update(matches.timings)
    clock = time.perf_counter()
    clusters = pa.table(
        {
            "listing_id": listings.column("listing_id"),
            "root": pa.array(matches.product, pa.int64()),
            "confidence": pa.array(np.round(matches.confidence, 4), pa.float64()),
        }
    )
    backend.register_arrow(_CLUSTERS, clusters)
    try:
        with backend.transaction("compare: write"):
            backend.execute(
                "CREATE OR REPLACE TABLE product_clusters AS SELECT listing_id, "
                "'P-' || min(listing_id) OVER (PARTITION BY root) AS product_id, confidence "
                f"FROM {_CLUSTERS} ORDER BY listing_id",
                step="product_clusters",
            )
            clock = lap(timings, "product_clusters", clock)
            backend.execute(
                f"CREATE OR REPLACE TABLE product_prices AS {_prices_sql(rates)}", step="product_prices"
            )
            clock = lap(timings, "product_prices", clock)
            has_credit = backend.table_exists("credit_merchants")
            has_orders = backend.table_exists("orders")
            backend.execute(
                f"CREATE OR REPLACE TABLE compare_merchants AS {merchants_sql(has_credit, has_orders)}",
                step="compare_merchants",
            )
            clock = lap(timings, "compare_merchants", clock)
    finally:
        backend.unregister(_CLUSTERS)
    row = backend.query(
        "SELECT count(*) AS products, count(*) FILTER (WHERE merchants > 1) AS multi, "
        "coalesce(sum(listings) FILTER (WHERE listings > 1), 0) AS matched FROM product_prices",
        step="compare: summary",
    ).to_pylist()[0]
    lap(timings, "summary", clock)
    return CompareSummary(
        listings=listings.num_rows,
        products=int(row["products"]),
        multi_merchant_products=int(row["multi"]),
        matched_listings=int(row["matched"]),
        candidate_pairs=len(matches.pairs),
        refused_merges=matches.refused,
        embeddings=vectors is not None,
        scorer=scorer.source,
        threshold=scorer.threshold,
        unpriced_listings=int(np.isnan(price).sum()),
        seconds=round(time.perf_counter() - started, 3),
        timings=timings,
    )


def _most_common(column: str) -> str:
    """A CTE ``most_common_<column>``: per product, the value most of its listings give, ties to
    the smallest (``mode()`` breaks ties by the order rows are read, which differs by engine)."""
    return f"""most_common_{column} AS (
            SELECT product_id, {column} FROM (
                SELECT product_id, {column}, row_number() OVER (
                    PARTITION BY product_id ORDER BY count(*) DESC, {column}) AS place
                FROM priced WHERE {column} IS NOT NULL GROUP BY product_id, {column})
            WHERE place = 1
        )"""


def _prices_sql(rates: dict[str, float]) -> str:
    """Market price per product: one vote per merchant (its median), then the median of those.

    A merchant who lists one product fifty times, or a handful of counterfeit shops far below the
    market, do not move a median of merchants; the trimmed mean (10-90%) and quartiles of all
    listings are there beside it.
    """
    from sentinella.money import convert_sql

    price = convert_sql("l.price", "upper(l.currency)", CURRENCY, rates)
    return f"""
        WITH priced AS (
            SELECT c.product_id, l.listing_id, l.merchant_id, l.title, l.brand, l.category,
                   {price} AS price_cny
            FROM product_clusters c JOIN listings l ON l.listing_id = c.listing_id
        ),
        per_merchant AS (
            SELECT product_id, merchant_id, median(price_cny) AS merchant_price
            FROM priced WHERE price_cny IS NOT NULL GROUP BY product_id, merchant_id
        ),
        market AS (
            SELECT product_id, median(merchant_price) AS median_price FROM per_merchant GROUP BY product_id
        ),
        spread AS (
            SELECT product_id, quantile_cont(price_cny, 0.1) AS p10, quantile_cont(price_cny, 0.25) AS p25,
                   quantile_cont(price_cny, 0.75) AS p75, quantile_cont(price_cny, 0.9) AS p90,
                   min(price_cny) AS min_price, max(price_cny) AS max_price, count(price_cny) AS priced
            FROM priced GROUP BY product_id
        ),
        trimmed AS (
            SELECT p.product_id, avg(p.price_cny) AS trimmed_mean
            FROM priced p JOIN spread s ON s.product_id = p.product_id
            WHERE p.price_cny BETWEEN s.p10 AND s.p90 GROUP BY p.product_id
        ),
        {_most_common("brand")},
        {_most_common("category")}
        SELECT p.product_id, count(*) AS listings, count(DISTINCT p.merchant_id) AS merchants,
               min(p.title) AS title, b.brand, c.category,
               '{CURRENCY}' AS currency, {rounded("m.median_price", 2)} AS median_price,
               {rounded("t.trimmed_mean", 2)} AS trimmed_mean_price, {rounded("s.p25", 2)} AS p25_price,
               {rounded("s.p75", 2)} AS p75_price, {rounded("s.min_price", 2)} AS min_price,
               {rounded("s.max_price", 2)} AS max_price, coalesce(s.priced, 0) AS priced_listings
        FROM priced p
        LEFT JOIN market m ON m.product_id = p.product_id
        LEFT JOIN spread s ON s.product_id = p.product_id
        LEFT JOIN trimmed t ON t.product_id = p.product_id
        LEFT JOIN most_common_brand b ON b.product_id = p.product_id
        LEFT JOIN most_common_category c ON c.product_id = p.product_id
        GROUP BY p.product_id, m.median_price, t.trimmed_mean, s.p25, s.p75, s.min_price, s.max_price,
                 s.priced, b.brand, c.category
        ORDER BY p.product_id
    """


@dataclass
class ListingComparison:
    """One listing against the same product elsewhere (horizontal) and its category (vertical)."""

    listing_id: str
    product_id: str
    title: str
    category: str | None
    market_price: float | None
    currency: str
    offers: list[dict[str, Any]]
    alternatives: list[dict[str, Any]]
    explanation: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


BELOW_MARKET = 0.6
"""Offers under this share of the product's market price are ranked last (counterfeit risk)."""

VALUE_EXPLANATION = (
    "value = price in CNY ÷ chance the order ends well; chance = the merchant's smoothed positive "
    f"rate × (1 − 60-day defect rate) from `sentinella credit` ({UNKNOWN_CHANCE:.0%} assumed for a "
    "merchant without a credit record). Lower is better: a ¥100 offer from a shop whose orders end "
    "well 95% of the time is worth ¥105.3; ¥95 from one at 80% is worth ¥118.8. An offer below "
    f"{BELOW_MARKET:.0%} of the market price is marked as a counterfeit risk and ranked after the others."
)


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def compare_listing(
    backend: Backend, listing_id: str, *, limit: int = 20, rates_file: Path | None = None
) -> ListingComparison:
    """The comparison table of one listing: every offer of its product ranked by credit-aware
    value, and alternatives in its category at a similar price (see :data:`VALUE_EXPLANATION`)."""
    for name in RESULT_TABLES:
        if not backend.table_exists(name):
            raise CompareError("no comparison results in this store: run `sentinella compare` first")
    rates = load_rates(rates_file)
    from sentinella.money import convert_sql

    price = convert_sql("l.price", "upper(l.currency)", CURRENCY, rates)
    value = f"({price}) / coalesce(m.success_chance, {UNKNOWN_CHANCE})"
    head = backend.query(
        "SELECT c.product_id, l.title, coalesce(l.category, p.category) AS category, p.median_price "
        "FROM product_clusters c JOIN listings l ON l.listing_id = c.listing_id "
        "JOIN product_prices p ON p.product_id = c.product_id "
        f"WHERE c.listing_id = {_literal(listing_id)}",
        step="compare: listing",
    ).to_pylist()
    if not head:
        raise UnknownListingError(f"listing {listing_id!r} is not in the comparison results")
    product_id, title, category, market = (
        head[0][k] for k in ("product_id", "title", "category", "median_price")
    )
    offers = backend.query(
        f"""SELECT l.listing_id, l.merchant_id, l.title, CAST(l.price AS DOUBLE) AS price, l.currency,
                   round({price}, 2) AS price_cny,
                   round(100.0 * ({price}) / nullif(p.median_price, 0) - 100, 1) AS vs_market_pct,
                   m.level_name, m.level_symbol, round(m.positive_rate, 4) AS positive_rate,
                   round(m.defect_rate_60d, 4) AS defect_rate, m.delivery_days,
                   round(coalesce(m.success_chance, {UNKNOWN_CHANCE}), 4) AS success_chance,
                   m.success_chance IS NULL AS chance_assumed, round({value}, 2) AS value_cny,
                   coalesce(({price}) < {BELOW_MARKET} * p.median_price, false) AS below_market,
                   c.confidence, l.listing_id = {_literal(listing_id)} AS this_listing
            FROM product_clusters c JOIN listings l ON l.listing_id = c.listing_id
            JOIN product_prices p ON p.product_id = c.product_id
            LEFT JOIN compare_merchants m ON m.merchant_id = l.merchant_id
            WHERE c.product_id = {_literal(str(product_id))}
            ORDER BY below_market, value_cny NULLS LAST, l.listing_id LIMIT {int(limit)}""",
        step="compare: offers",
    ).to_pylist()
    alternatives: list[dict[str, Any]] = []
    if category is not None and market is not None:
        alternatives = backend.query(
            f"""WITH offers AS (
                    SELECT c.product_id, l.listing_id, {value} AS value_cny
                    FROM product_clusters c JOIN listings l ON l.listing_id = c.listing_id
                    JOIN product_prices p ON p.product_id = c.product_id
                    LEFT JOIN compare_merchants m ON m.merchant_id = l.merchant_id
                    WHERE NOT coalesce(({price}) < {BELOW_MARKET} * p.median_price, false)
                ),
                best AS (
                    SELECT product_id, min(value_cny) AS best_value,
                           arg_min(listing_id, value_cny) AS best_listing
                    FROM offers GROUP BY product_id
                )
                SELECT p.product_id, p.title, p.brand, p.listings, p.merchants, p.median_price,
                       round(b.best_value, 2) AS best_value_cny, b.best_listing
                FROM product_prices p JOIN best b ON b.product_id = p.product_id
                WHERE p.category = {_literal(str(category))} AND p.product_id <> {_literal(str(product_id))}
                  AND p.median_price BETWEEN {float(market) * 0.5} AND {float(market) * 2.0}
                ORDER BY best_value_cny NULLS LAST, p.product_id LIMIT {int(limit)}""",
            step="compare: alternatives",
        ).to_pylist()
    return ListingComparison(
        listing_id=listing_id,
        product_id=str(product_id),
        title=str(title),
        category=None if category is None else str(category),
        market_price=None if market is None else float(market),
        currency=CURRENCY,
        offers=offers,
        alternatives=alternatives,
        explanation=VALUE_EXPLANATION,
    )
