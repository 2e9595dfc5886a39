"""Public routes: what a buyer may see, with no personal data and a rate limit.

The merchant credit card is built from ``credit_merchants`` alone. The shop's name is left out:
in social commerce a shop is often named after its owner, a private person.

Cards are kept, serialised, in a bounded cache (``Service.cards``): while the server runs it is
the store's only writer, so a card can change only when the server itself changes the store,
and then it clears the cache (``Service.changed``). A DuckDB lookup of the wide card row costs
milliseconds; a cached answer costs microseconds.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Path, Request, Response
from starlette.concurrency import run_in_threadpool

from sentinella.credit import REASONS

from ._errors import Problem
from ._http import Caller, PublicCaller, service_of

router = APIRouter(prefix="/v1/public", tags=["public"])
IdPath = Annotated[str, Path(min_length=1, max_length=128, description="The merchant's ID.")]

_CARD = (
    "SELECT merchant_id, as_of, timezone, points, level, level_tier, level_name, level_symbol, ratings, "
    "ratings_counted, ratings_not_counted, positive, neutral, negative, positive_rate, "
    "positive_rate_smoothed, "
    + ", ".join(f"not_counted_{reason}" for reason in REASONS)
    + ", dsr_described_avg, dsr_described_count, dsr_described_smoothed, dsr_service_avg, dsr_service_count, "
    "dsr_service_smoothed, dsr_shipping_avg, dsr_shipping_count, dsr_shipping_smoothed, orders_60d, "
    "defect_orders_60d, refunded_60d, disputed_60d, negative_60d, defect_rate_60d, robust_score, "
    "robust_raters, flagged_orders, brushing_flagged, explanation FROM credit_merchants WHERE merchant_id = ?"
)


def credit_card(row: dict[str, Any]) -> dict[str, Any]:
    """The card a buyer sees: level, points, rates with their counts, what was not counted and why."""
    dsr = {
        part: {
            "average": row[f"dsr_{part}_avg"],
            "count": row[f"dsr_{part}_count"],
            "smoothed": row[f"dsr_{part}_smoothed"],
        }
        for part in ("described", "service", "shipping")
    }
    not_counted = [
        {"reason": reason, "ratings": int(row[f"not_counted_{reason}"]), "why": text}
        for reason, text in REASONS.items()
        if row[f"not_counted_{reason}"]
    ]
    return {
        "merchant_id": row["merchant_id"],
        "as_of": row["as_of"].isoformat() if row["as_of"] is not None else None,
        "timezone": row["timezone"],
        "level": {
            "level": row["level"],
            "tier": row["level_tier"],
            "name": row["level_name"],
            "symbol": row["level_symbol"],
        },
        "points": row["points"],
        "ratings": {
            "total": row["ratings"],
            "counted": row["ratings_counted"],
            "not_counted": row["ratings_not_counted"],
            "positive": row["positive"],
            "neutral": row["neutral"],
            "negative": row["negative"],
        },
        "positive_rate": row["positive_rate"],
        "positive_rate_smoothed": row["positive_rate_smoothed"],
        "detailed_ratings_180d": dsr,
        "defects_60d": {
            "orders": row["orders_60d"],
            "defect_orders": row["defect_orders_60d"],
            "refunded": row["refunded_60d"],
            "disputed": row["disputed_60d"],
            "rated_negative": row["negative_60d"],
            "rate": row["defect_rate_60d"],
        },
        "not_counted": not_counted,
        "brushing": {"flagged": bool(row["brushing_flagged"]), "orders_removed": row["flagged_orders"]},
        "robust_score": {"score": row["robust_score"], "raters": row["robust_raters"]},
        "explanation": row["explanation"],
    }


def _card_bytes(request: Request, merchant_id: str) -> bytes | None:
    service = service_of(request)
    if not service.has_table("credit_merchants"):
        raise Problem(404, "Not computed", "merchant credit has not been computed on this store yet")
    row = service.one(_CARD, [merchant_id])
    if row is None:
        return None
    return json.dumps(credit_card(row), ensure_ascii=False, separators=(",", ":")).encode("utf-8")


@router.get(
    "/merchants/{merchant_id}/credit",
    summary="A merchant's credit card, as a buyer sees it",
    response_class=Response,
    responses={200: {"content": {"application/json": {}}, "description": "The credit card"}},
)
async def merchant_credit_card(
    merchant_id: IdPath, request: Request, caller: Caller = PublicCaller
) -> Response:
    cards = service_of(request).cards
    body = cards.get(merchant_id)
    if body is None:
        body = await run_in_threadpool(_card_bytes, request, merchant_id)
        if body is None:
            raise Problem(404, "Not found", f"no credit for merchant {merchant_id!r}", field="merchant_id")
        cards.put(merchant_id, body)
    return Response(body, media_type="application/json")
