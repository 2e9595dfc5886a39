"""Merchant credit: Taobao's rules as the floor, manipulation resistance above.

Design: docs/capabilities.md, "Merchant credit".

``run_credit`` reads orders and reviews from the store and writes ``credit_ratings`` (one row
per review: counted or not, and why) and ``credit_merchants`` (points, level, rates, detailed
ratings, defect rate, a robust score and an explanation); ``merchant_credit`` reads one
merchant's row back, ``credit_card`` the card a buyer sees (with what was not counted and why)
and ``rank_merchants`` the lowest-credit or most-penalised merchants.

``credit_ratings`` (one row per review written by the as-of date, kept narrow): review_id,
order_id, counted, reason (an ENUM of ``REASONS``; NULL when counted), points (+1/0/−1 when
counted, else 0), dsr_counted. What the rating was about is in ``reviews`` and ``orders``; the
view ``credit_rating_details`` joins it back: review_id, order_id, merchant_id, buyer_id,
listing_id, rating, created_at, placed_at, month (local month of the order), rating_points,
counted, reason, reason_text (the reason in words), points, dsr_counted, dsr_described,
dsr_service, dsr_shipping.

``credit_merchants`` (one row per merchant): merchant_id, as_of, timezone, points, level,
level_tier, level_name, level_symbol, ratings, ratings_counted, ratings_not_counted, positive,
neutral, negative, positive_rate, positive_rate_smoothed, not_counted_<reason> for each reason,
dsr_<described|service|shipping>_<avg|count|smoothed>, orders_60d, defect_orders_60d,
refunded_60d, disputed_60d, negative_60d, defect_rate_60d, robust_score, robust_raters,
robust_effective_raters, flagged_orders, brushing_flagged, explanation.

``load_config`` reads the rules' numbers from TOML (the bundled ``taobao.toml``, each number
with the rule paragraph it comes from, or an edited copy), checked before any work starts. The
rules are quoted in docs/legal-credit.md.
"""

from __future__ import annotations

from ._analysis import INPUT_TABLES, RESULT_TABLES, CreditSummary, merchant_credit, run_credit
from ._config import LEVELS, CreditConfig, Level, level_for
from ._errors import CreditError, MissingTableError
from ._lookup import (
    CreditCard,
    CreditLookupError,
    DetailedRating,
    MerchantRow,
    NotCounted,
    credit_card,
    rank_merchants,
)
from ._rules import REASONS
from ._settings import bundled_text, load_config

__all__ = [
    "INPUT_TABLES",
    "LEVELS",
    "REASONS",
    "RESULT_TABLES",
    "CreditCard",
    "CreditConfig",
    "CreditError",
    "CreditLookupError",
    "CreditSummary",
    "DetailedRating",
    "Level",
    "MerchantRow",
    "MissingTableError",
    "NotCounted",
    "bundled_text",
    "credit_card",
    "level_for",
    "load_config",
    "merchant_credit",
    "rank_merchants",
    "run_credit",
]
