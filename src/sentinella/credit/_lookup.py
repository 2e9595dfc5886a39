"""Reading credit results back: one merchant's card, and the merchants worth looking at first.

Each function returns plain values that the terminal prints as text and as JSON from the same
object (``to_dict``); the API and the console reuse them.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Literal

from sentinella._query import did_you_mean, nearest, one, plain, rows
from sentinella.engine import Backend

from ._errors import CreditError
from ._rules import REASONS

_DSR = ("described", "service", "shipping")
MerchantRanking = Literal["lowest", "penalised"]


class CreditLookupError(CreditError):
    """An unknown merchant, or no credit results in the store."""


@dataclass(frozen=True)
class NotCounted:
    reason: str
    ratings: int
    why: str


@dataclass(frozen=True)
class DetailedRating:
    """A detailed seller rating (DSR) over 180 days: the average and how many ratings it is of."""

    part: str
    average: float | None
    count: int
    smoothed: float | None


@dataclass(frozen=True)
class CreditCard:
    """What a buyer sees of a merchant, with what was left out and why."""

    merchant_id: str
    as_of: str
    timezone: str
    level: int | None
    level_name: str | None
    level_symbol: str | None
    points: int
    ratings: int
    ratings_counted: int
    positive: int
    neutral: int
    negative: int
    positive_rate: float | None
    positive_rate_smoothed: float | None
    detailed_ratings: list[DetailedRating]
    orders_60d: int
    defect_orders_60d: int
    defect_rate_60d: float | None
    not_counted: list[NotCounted]
    brushing_flagged: bool
    flagged_orders: int
    robust_score: float | None
    robust_raters: int
    explanation: str

    def to_dict(self) -> dict[str, Any]:
        return dict(plain(asdict(self)))


@dataclass(frozen=True)
class MerchantRow:
    """A merchant in a ranking: its level and rates, and how many ratings were not counted."""

    merchant_id: str
    points: int
    level_name: str | None
    positive_rate: float | None
    positive_rate_smoothed: float | None
    ratings: int
    ratings_not_counted: int
    flagged_orders: int
    robust_score: float | None
    top_reason: str | None

    def to_dict(self) -> dict[str, Any]:
        return dict(plain(asdict(self)))


def _require(backend: Backend) -> None:
    if not backend.table_exists("credit_merchants"):
        raise CreditLookupError("no credit results in this store: run `sentinella credit --db FILE` first")


def credit_card(backend: Backend, merchant_id: str) -> CreditCard:
    """One merchant's card; an unknown ID is an error naming the nearest ones."""
    _require(backend)
    row = one(
        backend,
        "SELECT c.* FROM credit_merchants c JOIN {p} p ON p.id = c.merchant_id",
        {"id": [merchant_id]},
        step="credit: card",
    )
    if row is None:
        near = nearest(backend, "credit_merchants", "merchant_id", merchant_id)
        raise CreditLookupError(did_you_mean("merchant", merchant_id, near))
    return CreditCard(
        merchant_id=str(row["merchant_id"]),
        as_of=str(row["as_of"]),
        timezone=str(row["timezone"]),
        level=row["level"],
        level_name=row["level_name"],
        level_symbol=row["level_symbol"],
        points=int(row["points"]),
        ratings=int(row["ratings"]),
        ratings_counted=int(row["ratings_counted"]),
        positive=int(row["positive"]),
        neutral=int(row["neutral"]),
        negative=int(row["negative"]),
        positive_rate=row["positive_rate"],
        positive_rate_smoothed=row["positive_rate_smoothed"],
        detailed_ratings=[
            DetailedRating(
                part,
                row[f"dsr_{part}_avg"],
                int(row[f"dsr_{part}_count"] or 0),
                row[f"dsr_{part}_smoothed"],
            )
            for part in _DSR
        ],
        orders_60d=int(row["orders_60d"] or 0),
        defect_orders_60d=int(row["defect_orders_60d"] or 0),
        defect_rate_60d=row["defect_rate_60d"],
        not_counted=[
            NotCounted(reason, int(row[f"not_counted_{reason}"]), text)
            for reason, text in REASONS.items()
            if row.get(f"not_counted_{reason}")
        ],
        brushing_flagged=bool(row["brushing_flagged"]),
        flagged_orders=int(row["flagged_orders"] or 0),
        robust_score=row["robust_score"],
        robust_raters=int(row["robust_raters"] or 0),
        explanation=str(row["explanation"] or ""),
    )


def rank_merchants(backend: Backend, by: MerchantRanking = "lowest", *, limit: int = 10) -> list[MerchantRow]:
    """``lowest``: lowest smoothed positive rate among merchants with counted ratings (then
    fewest points); ``penalised``: most ratings not counted (brushing, refunds, duplicates...)."""
    _require(backend)
    if by == "lowest":
        where, order = "ratings_counted > 0", "positive_rate_smoothed ASC, points ASC"
    elif by == "penalised":
        where, order = "ratings_not_counted > 0", "ratings_not_counted DESC, points DESC"
    else:
        raise CreditLookupError(f"unknown ranking {by!r}: choose lowest or penalised")
    reasons = list(REASONS)
    biggest = (
        "CASE "
        + " ".join(
            f"WHEN not_counted_{r} = greatest({', '.join(f'not_counted_{x}' for x in reasons)}) "
            f"AND not_counted_{r} > 0 THEN '{r}'"
            for r in reasons
        )
        + " END"
    )
    found = rows(
        backend,
        "SELECT merchant_id, points, level_name, positive_rate, positive_rate_smoothed, ratings, "
        f"ratings_not_counted, flagged_orders, robust_score, {biggest} AS top_reason "
        f"FROM credit_merchants WHERE {where} ORDER BY {order}, merchant_id LIMIT {max(int(limit), 0)}",
        step=f"credit: {by} merchants",
    )
    return [
        MerchantRow(
            merchant_id=str(r["merchant_id"]),
            points=int(r["points"]),
            level_name=r["level_name"],
            positive_rate=r["positive_rate"],
            positive_rate_smoothed=r["positive_rate_smoothed"],
            ratings=int(r["ratings"]),
            ratings_not_counted=int(r["ratings_not_counted"]),
            flagged_orders=int(r["flagged_orders"] or 0),
            robust_score=r["robust_score"],
            top_reason=r["top_reason"],
        )
        for r in found
    ]
