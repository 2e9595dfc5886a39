"""Reading rings back: the strongest rings, and one ring's accounts, shop, orders and evidence.

Plain dataclasses, printed as text and as JSON (``to_dict``) from the same values; the API and
the console reuse them.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from sentinella._query import did_you_mean, nearest, one, plain, rows
from sentinella.engine import Backend
from sentinella.errors import SentinellaError

ORDERS_SHOWN = 200


class RingLookupError(SentinellaError, LookupError):
    """An unknown ring, or no ring results in the store."""


@dataclass(frozen=True)
class RingRow:
    ring_id: str
    merchant_id: str
    members: int
    orders: int
    score: float
    first_order_at: str | None
    last_order_at: str | None
    evidence: str

    def to_dict(self) -> dict[str, Any]:
        return dict(plain(asdict(self)))


@dataclass(frozen=True)
class RingAccount:
    member_id: str
    score: float
    orders: int
    five_star_share: float
    age_days: float
    shared_identifiers: bool
    chat_group: bool
    cashback: bool


@dataclass(frozen=True)
class RingOrder:
    order_id: str
    buyer_id: str
    placed_at: str | None
    score: float
    reasons: str


@dataclass(frozen=True)
class RingView:
    ring: RingRow
    accounts: list[RingAccount]
    orders: list[RingOrder]
    orders_total: int

    def to_dict(self) -> dict[str, Any]:
        return dict(plain(asdict(self)))


_RING_COLUMNS = "ring_id, merchant_id, members, orders, score, first_order_at, last_order_at, evidence"


def _ring(r: dict[str, Any]) -> RingRow:
    return RingRow(
        ring_id=str(r["ring_id"]),
        merchant_id=str(r["merchant_id"]),
        members=int(r["members"]),
        orders=int(r["orders"]),
        score=float(r["score"]),
        first_order_at=plain(r["first_order_at"]),
        last_order_at=plain(r["last_order_at"]),
        evidence=str(r["evidence"] or ""),
    )


def _require(backend: Backend) -> None:
    if not backend.table_exists("ring_groups"):
        raise RingLookupError("no ring results in this store: run `sentinella rings --db FILE` first")


def list_rings(backend: Backend, *, limit: int = 10) -> list[RingRow]:
    """The strongest rings first, each with its evidence line."""
    _require(backend)
    found = rows(
        backend,
        f"SELECT {_RING_COLUMNS} FROM ring_groups ORDER BY score DESC, members DESC, ring_id "
        f"LIMIT {max(int(limit), 0)}",
        step="rings: list",
    )
    return [_ring(r) for r in found]


def ring_view(backend: Backend, ring_id: str, *, orders: int = ORDERS_SHOWN) -> RingView:
    """One ring: its accounts (strongest first), its flagged orders in time order, its evidence."""
    _require(backend)
    params = {"id": [ring_id]}
    row = one(
        backend,
        f"SELECT g.* FROM (SELECT {_RING_COLUMNS} FROM ring_groups) g JOIN {{p}} p ON p.id = g.ring_id",
        params,
        step="rings: ring",
    )
    if row is None:
        raise RingLookupError(
            did_you_mean("ring", ring_id, nearest(backend, "ring_groups", "ring_id", ring_id))
        )
    accounts = [
        RingAccount(
            member_id=str(r["member_id"]),
            score=float(r["score"]),
            orders=int(r["orders"]),
            five_star_share=float(r["five_star_share"]),
            age_days=float(r["age_days"]),
            shared_identifiers=bool(r["shared_identifiers"]),
            chat_group=bool(r["chat_group"]),
            cashback=bool(r["cashback"]),
        )
        for r in rows(
            backend,
            "SELECT m.* FROM ring_members m JOIN {p} p ON p.id = m.ring_id "
            "ORDER BY m.score DESC, m.member_id",
            params,
            step="rings: accounts",
        )
    ]
    total = one(
        backend,
        "SELECT count(*) AS n FROM ring_order_scores s JOIN {p} p ON p.id = s.ring_id",
        params,
        step="rings: order count",
    )
    listed = rows(
        backend,
        "SELECT s.order_id, s.buyer_id, o.placed_at, s.score, s.reasons FROM ring_order_scores s "
        "JOIN {p} p ON p.id = s.ring_id LEFT JOIN orders o ON o.order_id = s.order_id "
        f"ORDER BY o.placed_at, s.order_id LIMIT {max(int(orders), 0)}",
        params,
        step="rings: orders",
    )
    return RingView(
        ring=_ring(row),
        accounts=accounts,
        orders=[
            RingOrder(
                order_id=str(r["order_id"]),
                buyer_id=str(r["buyer_id"]),
                placed_at=plain(r["placed_at"]),
                score=float(r["score"]),
                reasons=str(r["reasons"] or ""),
            )
            for r in listed
        ],
        orders_total=int(total["n"]) if total else 0,
    )
