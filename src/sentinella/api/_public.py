"""Public routes: what a buyer may see, with no personal data and a rate limit.

The merchant credit card is built from ``credit_merchants`` alone. The shop's name is left out:
in social commerce a shop is often named after its owner, a private person. A listing's
comparison (compare/'s ``compare_listing``) shows the same product's offers across merchants
ranked by the credit-aware value: prices, credit levels and rates, never a shop's or a person's
name.

Answers are kept, serialised, in bounded caches (``Service.cards``, ``Service.products``) keyed
by the store generation: while the server runs it is the store's only writer, so an answer can
change only when the server itself changes the store, and then the generation moves on
(``Service.changed``). A DuckDB lookup of the wide card row costs milliseconds; a cached answer
costs microseconds, and :class:`CreditFastPath` sends a cached card before FastAPI's routing and
dependencies run at all.
"""

from __future__ import annotations

import json
import threading
from typing import Annotated, Any

import duckdb
from fastapi import APIRouter, FastAPI, Path, Request, Response
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Receive, Scope, Send

from sentinella.credit import REASONS
from sentinella.engine import DuckDBBackend

from ._errors import Problem
from ._http import Caller, PublicCaller, service_of
from ._service import Service

router = APIRouter(prefix="/v1/public", tags=["public"])
IdPath = Annotated[str, Path(min_length=1, max_length=128, description="The merchant's ID.")]
ListingPath = Annotated[str, Path(min_length=1, max_length=128, description="The listing's ID.")]
CREDIT_PREFIX, CREDIT_SUFFIX = "/v1/public/merchants/", "/credit"

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


def _card_bytes(service: Service, merchant_id: str) -> bytes | None:
    try:  # one query per miss: a missing table is told apart by its error, not by asking first
        row = service.one(_CARD, [merchant_id])
    except duckdb.CatalogException:
        if service.has_table("credit_merchants"):
            raise
        detail = "merchant credit has not been computed on this store yet"
        raise Problem(404, "Not computed", detail) from None
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
    service = service_of(request)
    key = (service.generation, merchant_id)  # the generation before the read: never newer than the data
    body = service.cards.get(key)
    if body is None:
        body = await run_in_threadpool(_card_bytes, service, merchant_id)
        if body is None:
            raise Problem(404, "Not found", f"no credit for merchant {merchant_id!r}", field="merchant_id")
        service.cards.put(key, body)
    return Response(body, media_type="application/json")


class CreditFastPath:
    """Send a cached credit card straight from the ASGI layer (rate limit included).

    The hot public path skips routing, dependency resolution and response classes; everything
    else, a cache miss included, goes on to the FastAPI route, which fills the cache. The
    answer is byte for byte the one the route gives.
    """

    def __init__(self, app: ASGIApp, api: FastAPI) -> None:
        self.app, self.api = app, api

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "GET":
            path: str = scope["path"]
            if path.startswith(CREDIT_PREFIX) and path.endswith(CREDIT_SUFFIX):
                merchant = path[len(CREDIT_PREFIX) : -len(CREDIT_SUFFIX)]
                service: Service = self.api.state.service
                body = service.cards.get((service.generation, merchant)) if "/" not in merchant else None
                if body is not None:
                    client = scope.get("client")
                    if self.api.state.limiter.allow(client[0] if client else "unknown") == 0:
                        await send(
                            {
                                "type": "http.response.start",
                                "status": 200,
                                "headers": [
                                    (b"content-type", b"application/json"),
                                    (b"content-length", str(len(body)).encode("ascii")),
                                ],
                            }
                        )
                        await send({"type": "http.response.body", "body": body})
                        return
        await self.app(scope, receive, send)


_backends = threading.local()


def _backend(service: Service) -> DuckDBBackend:
    """This thread's backend over its read cursor (compare/ reads through the engine seam)."""
    backend: DuckDBBackend | None = getattr(_backends, "backend", None)
    cursor = service.cursor()
    if backend is None or getattr(_backends, "cursor", None) is not cursor:
        backend = DuckDBBackend(cursor, service.store.backend.settings)
        _backends.backend, _backends.cursor = backend, cursor
    return backend


def _comparison_bytes(service: Service, listing_id: str) -> bytes | None:
    from sentinella.compare import RESULT_TABLES, compare_listing

    for table in RESULT_TABLES:
        if not service.has_table(table):
            raise Problem(404, "Not computed", "product comparison has not been run on this store yet")
    # The request's text is only ever a bound parameter: the comparison is built for the ID as
    # the store holds it.
    found = service.one("SELECT listing_id FROM product_clusters WHERE listing_id = ?", [listing_id])
    if found is None:
        return None
    comparison = compare_listing(_backend(service), str(found["listing_id"]))
    return json.dumps(comparison.to_dict(), ensure_ascii=False, separators=(",", ":"), default=str).encode()


@router.get(
    "/listings/{listing_id}/compare",
    summary="The same product across merchants, ranked by credit-aware value; alternatives",
    response_class=Response,
    responses={200: {"content": {"application/json": {}}, "description": "The listing's comparison"}},
)
async def listing_comparison(
    listing_id: ListingPath, request: Request, caller: Caller = PublicCaller
) -> Response:
    service = service_of(request)
    key = (service.generation, listing_id)
    body = service.products.get(key)
    if body is None:
        body = await run_in_threadpool(_comparison_bytes, service, listing_id)
        if body is None:
            raise Problem(404, "Not found", f"no compared listing {listing_id!r}", field="listing_id")
        service.products.put(key, body)
    return Response(body, media_type="application/json")
