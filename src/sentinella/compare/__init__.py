"""Comparison (docs/capabilities.md, "Comparison"): the same product across merchants, and alternatives.

``run_compare`` matches listings whose titles (Chinese, English, Italian, ...) name the same
product and writes:

- ``product_clusters`` (one row per listing): listing_id, product_id (``P-`` + the smallest
  listing_id of the product), confidence (the match score that tied the listing to its product,
  or for a listing alone, one minus its best candidate's score);
- ``product_prices`` (one row per product): product_id, listings, merchants, title, brand,
  category, currency (CNY), median_price (median over merchants of each merchant's median),
  trimmed_mean_price (10-90%), p25_price, p75_price, min_price, max_price, priced_listings;
- ``compare_merchants`` (one row per merchant with a listing): merchant_id, level_name,
  level_symbol, ratings_counted, positive_rate, positive_rate_smoothed, defect_rate_60d,
  orders_completed, delivery_days (median completed_at − placed_at), success_chance.

``compare_listing`` reads one listing's comparison back: its product's offers ranked by a
credit-aware value (price ÷ chance the order ends well) and alternatives in its category.
"""

from __future__ import annotations

from ._analysis import (
    INPUT_TABLES,
    RESULT_TABLES,
    VALUE_EXPLANATION,
    CompareSummary,
    ListingComparison,
    compare_listing,
    run_compare,
)
from ._errors import CompareError, EmbeddingsUnavailableError, MissingTableError, UnknownListingError
from ._match import Matches, match_listings
from ._model import Scorer, default_scorer, fit_logistic

__all__ = [
    "INPUT_TABLES",
    "RESULT_TABLES",
    "VALUE_EXPLANATION",
    "CompareError",
    "CompareSummary",
    "EmbeddingsUnavailableError",
    "ListingComparison",
    "Matches",
    "MissingTableError",
    "Scorer",
    "UnknownListingError",
    "compare_listing",
    "default_scorer",
    "fit_logistic",
    "match_listings",
    "run_compare",
]
