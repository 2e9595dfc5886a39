"""Merchant credit (PRODUCT.md §3): Taobao's rules as the floor, manipulation resistance above.

``run_credit`` reads orders and reviews from the store and writes ``credit_ratings`` (one row
per review: counted or not, and why) and ``credit_merchants`` (points, level, rates, detailed
ratings, defect rate, a robust score and an explanation); ``merchant_credit`` reads one
merchant's row back.
"""

from __future__ import annotations

from ._analysis import RESULT_TABLES, CreditSummary, merchant_credit, run_credit
from ._config import LEVELS, CreditConfig, Level, level_for
from ._errors import CreditError, MissingTableError
from ._rules import REASONS

__all__ = [
    "LEVELS",
    "REASONS",
    "RESULT_TABLES",
    "CreditConfig",
    "CreditError",
    "CreditSummary",
    "Level",
    "MissingTableError",
    "level_for",
    "merchant_credit",
    "run_credit",
]
