"""Code the store's accounts, shops and orders in the engine; collect only what scoring needs.

Accounts and shops get integer codes in SQL (working tables the signal steps join), so that the
relational signals run wherever the engine runs. The driver then collects the orders (codes,
time, rating) and the ID of each code: what the scorer and the result tables read.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from numpy.typing import NDArray

from sentinella.engine import Backend
from sentinella.errors import MissingTableError as MissingTableError  # re-exported: the one class

# working tables: accounts and shops with their codes, and the orders coded with them
MEMBERS = "__rings_members"
SHOPS = "__rings_shops"
ORDERS = "__rings_orders"
# payments from a shop's owner to a buyer that are not a purchase, a fee, a commission, a
# (referral) bonus or the refund of an order: the usual shape of brushing cashback ("pay back
# the order plus a fee"); referral bonuses are the pyramid analysis's business
CASHBACK = (
    "kind NOT IN ('purchase', 'entry_fee', 'commission', 'bonus') "
    "AND NOT (kind = 'refund' AND order_id IS NOT NULL)"
)


@dataclass
class RingInputs:
    """Orders as arrays (in ``order_id`` order); codes index ``member_id`` and ``merchant_id``."""

    order_id: pa.Array
    buyer: NDArray[np.int64]
    merchant: NDArray[np.int64]
    placed: NDArray[np.int64]
    rating: NDArray[np.int8]  # highest review rating of the order, 0 when unreviewed
    member_id: pa.Array
    merchant_id: pa.Array

    @property
    def n_orders(self) -> int:
        return int(self.buyer.shape[0])

    @property
    def n_members(self) -> int:
        return len(self.member_id)

    @property
    def n_merchants(self) -> int:
        return len(self.merchant_id)


def _ints(column: pa.ChunkedArray | pa.Array, fill: int) -> NDArray[np.int64]:
    return np.asarray(pc.fill_null(column, fill).to_numpy(zero_copy_only=False), dtype=np.int64)


def code_tables(backend: Backend) -> None:
    """Working tables of codes: accounts (the members table's, by row, then buyers it lacks by
    their first order), shops (likewise, with their owner's account code) and orders.

    The order of codes is what ties are broken by downstream (pairs sorted by buyer, FRAUDAR's
    peeling), so it is the store's row order, the same on every engine."""
    if not backend.has_rows("orders"):
        raise MissingTableError("rings analysis needs the orders table: ingest a case with orders first")
    d = backend.dialect
    members = (
        f"SELECT {d.row_id()} AS code, member_id, {d.epoch_us('joined_at')} AS joined, device_id, "
        "bank_account FROM members"
        if backend.has_rows("members")
        else "SELECT CAST(NULL AS BIGINT) AS code, CAST(NULL AS VARCHAR) AS member_id, "
        "CAST(NULL AS BIGINT) AS joined, CAST(NULL AS VARCHAR) AS device_id, "
        "CAST(NULL AS VARCHAR) AS bank_account WHERE FALSE"
    )
    backend.execute(f"CREATE OR REPLACE TEMP TABLE {MEMBERS}_known AS {members}", step="rings: members")
    backend.execute(
        f"CREATE OR REPLACE TEMP TABLE {MEMBERS} AS SELECT * FROM {MEMBERS}_known UNION ALL "
        f"SELECT (SELECT coalesce(max(code) + 1, 0) FROM {MEMBERS}_known) "
        "+ row_number() OVER (ORDER BY first_order) - 1, buyer_id, CAST(NULL AS BIGINT), "
        "CAST(NULL AS VARCHAR), CAST(NULL AS VARCHAR) "
        "FROM (SELECT o.buyer_id, min(o.order_id) AS first_order FROM orders o "
        f"LEFT JOIN {MEMBERS}_known m ON m.member_id = o.buyer_id "
        "WHERE m.member_id IS NULL AND o.buyer_id IS NOT NULL GROUP BY o.buyer_id) strangers",
        step="rings: accounts",
    )
    shops = (
        f"SELECT {d.row_id()} AS code, merchant_id, member_id AS owner_id FROM merchants"
        if backend.has_rows("merchants")
        else "SELECT CAST(NULL AS BIGINT) AS code, CAST(NULL AS VARCHAR) AS merchant_id, "
        "CAST(NULL AS VARCHAR) AS owner_id WHERE FALSE"
    )
    backend.execute(f"CREATE OR REPLACE TEMP TABLE {SHOPS}_known AS {shops}", step="rings: merchants")
    backend.execute(
        f"CREATE OR REPLACE TEMP TABLE {SHOPS} AS SELECT s.code, s.merchant_id, s.owner_id, "
        f"m.code AS owner FROM (SELECT * FROM {SHOPS}_known UNION ALL "
        f"SELECT (SELECT coalesce(max(code) + 1, 0) FROM {SHOPS}_known) "
        "+ row_number() OVER (ORDER BY first_order) - 1, merchant_id, CAST(NULL AS VARCHAR) "
        "FROM (SELECT o.merchant_id, min(o.order_id) AS first_order FROM orders o "
        f"LEFT JOIN {SHOPS}_known k ON k.merchant_id = o.merchant_id "
        "WHERE k.merchant_id IS NULL AND o.merchant_id IS NOT NULL GROUP BY o.merchant_id) extra) s "
        f"LEFT JOIN {MEMBERS} m ON m.member_id = s.owner_id",
        step="rings: shops",
    )
    reviews = backend.has_rows("reviews")
    rating = "coalesce(r.rating, 0)" if reviews else "0"
    join = (
        "LEFT JOIN (SELECT order_id, max(rating) AS rating FROM reviews GROUP BY order_id) r "
        "ON r.order_id = o.order_id "
        if reviews
        else ""
    )
    backend.execute(
        f"CREATE OR REPLACE TEMP TABLE {ORDERS} AS SELECT o.order_id, b.code AS buyer, "
        f"s.code AS merchant, coalesce({d.epoch_us('o.placed_at')}, 0) AS placed, "
        f"CAST({rating} AS INTEGER) AS rating, o.listing_id, o.device_id, o.ship_to, "
        "b.bank_account AS buyer_bank, b.device_id AS buyer_device "
        f"FROM orders o JOIN {MEMBERS} b ON b.member_id = o.buyer_id "
        f"JOIN {SHOPS} s ON s.merchant_id = o.merchant_id {join}",
        step="rings: orders",
    )
    for name in (f"{MEMBERS}_known", f"{SHOPS}_known"):
        backend.execute(f"DROP TABLE IF EXISTS {name}", step="rings: clean up")


def _ids(backend: Backend, table: str, column: str, step: str) -> pa.Array:
    """The ID of each code, indexed by code (a gap in the codes reads as a null ID)."""
    rows = backend.query(f"SELECT code, {column} AS id FROM {table} ORDER BY code", step=step)
    codes = _ints(rows.column("code"), 0)
    ids = rows.column("id").combine_chunks().cast(pa.string())
    size = int(codes[-1]) + 1 if codes.size else 0
    if size == codes.size:
        return ids
    where = np.full(size, -1, dtype=np.int64)
    where[codes] = np.arange(codes.size)
    return ids.take(pa.array(where, mask=where < 0))


def collect_inputs(backend: Backend) -> RingInputs:
    """The orders (codes, time, rating) and the IDs of the codes, for scoring and the results."""
    orders = backend.query(
        f"SELECT order_id, buyer, merchant, placed, rating FROM {ORDERS} ORDER BY order_id",
        step="rings: collect orders",
    )
    return RingInputs(
        order_id=orders.column("order_id").combine_chunks(),
        buyer=_ints(orders.column("buyer"), 0),
        merchant=_ints(orders.column("merchant"), 0),
        placed=_ints(orders.column("placed"), 0),
        rating=np.asarray(_ints(orders.column("rating"), 0), dtype=np.int8),
        member_id=_ids(backend, MEMBERS, "member_id", "rings: account IDs"),
        merchant_id=_ids(backend, SHOPS, "merchant_id", "rings: shop IDs"),
    )
