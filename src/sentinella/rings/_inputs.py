"""Read the store into integer-coded arrays: the only place the rings analysis does input."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from numpy.typing import NDArray

from sentinella.engine import Backend
from sentinella.errors import MissingTableError as MissingTableError  # re-exported: the one class
from sentinella.idcodes import code_ids

NO_TIME = np.iinfo(np.int64).min
# payments from a shop's owner to a buyer that are not a purchase, a fee, a commission, a
# (referral) bonus or the refund of an order: the usual shape of brushing cashback ("pay back
# the order plus a fee"); referral bonuses are the pyramid analysis's business
_CASHBACK = (
    "kind NOT IN ('purchase', 'entry_fee', 'commission', 'bonus') "
    "AND NOT (kind = 'refund' AND order_id IS NOT NULL)"
)


@dataclass
class RingInputs:
    """Orders, accounts and shops as arrays; codes index ``member_id`` and ``merchant_id``."""

    order_id: pa.Array
    buyer: NDArray[np.int64]
    merchant: NDArray[np.int64]
    listing: NDArray[np.int64]
    placed: NDArray[np.int64]
    rating: NDArray[np.int8]  # highest review rating of the order, 0 when unreviewed
    device: NDArray[np.int64]  # order device code, -1 when missing
    address: NDArray[np.int64]  # ship_to code, -1 when missing
    member_id: pa.Array
    joined: NDArray[np.int64]  # NO_TIME when unknown
    member_device: NDArray[np.int64]
    bank: NDArray[np.int64]
    merchant_id: pa.Array
    owner: NDArray[np.int64]  # member code of the shop's owner, -1 when unknown
    group_member: NDArray[np.int64] = field(default_factory=lambda: np.zeros(0, np.int64))
    group_code: NDArray[np.int64] = field(default_factory=lambda: np.zeros(0, np.int64))
    tie_a: NDArray[np.int64] = field(default_factory=lambda: np.zeros(0, np.int64))
    tie_b: NDArray[np.int64] = field(default_factory=lambda: np.zeros(0, np.int64))
    paid_by: NDArray[np.int64] = field(default_factory=lambda: np.zeros(0, np.int64))
    paid_to: NDArray[np.int64] = field(default_factory=lambda: np.zeros(0, np.int64))

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


def _codes(values: pa.ChunkedArray | pa.Array, ids: pa.Array) -> NDArray[np.int64]:
    return code_ids(ids, values)


def _dictionary(*columns: pa.ChunkedArray) -> list[NDArray[np.int64]]:
    """One shared dictionary code per value across columns (-1 for nulls)."""
    lengths = [len(c) for c in columns]
    joined = pa.chunked_array([chunk for c in columns for chunk in c.chunks], type=pa.string())
    encoded = pc.dictionary_encode(joined).combine_chunks()
    codes = _ints(encoded.indices, -1)
    return list(np.split(codes, np.cumsum(lengths)[:-1]))


def load_inputs(backend: Backend) -> RingInputs:
    if not backend.has_rows("orders"):
        raise MissingTableError("rings analysis needs the orders table: ingest a case with orders first")
    reviews = backend.has_rows("reviews")
    rating = "r.rating" if reviews else "CAST(NULL AS INTEGER)"
    join = (
        "LEFT JOIN (SELECT order_id, max(rating) AS rating FROM reviews GROUP BY order_id) r "
        "ON r.order_id = o.order_id "
        if reviews
        else ""
    )
    orders = backend.query(
        "SELECT o.order_id, o.buyer_id, o.merchant_id, o.listing_id, "
        f"{backend.dialect.epoch_us('o.placed_at')} AS placed, "
        f"o.device_id, o.ship_to, {rating} AS rating FROM orders o {join}ORDER BY o.order_id",
        step="rings: orders",
    )
    has_members = backend.has_rows("members")
    members = (
        backend.query(
            f"SELECT member_id, {backend.dialect.epoch_us('joined_at')} AS joined, device_id, bank_account "
            "FROM members",
            step="rings: members",
        )
        if has_members
        else pa.table(
            {
                "member_id": pa.array([], pa.string()),
                "joined": pa.array([], pa.int64()),
                "device_id": pa.array([], pa.string()),
                "bank_account": pa.array([], pa.string()),
            }
        )
    )
    known = members.column("member_id").combine_chunks()
    strangers = pc.unique(
        pc.filter(orders.column("buyer_id"), pc.invert(pc.is_in(orders.column("buyer_id"), value_set=known)))
    )
    strangers = pc.drop_null(strangers)
    member_id = (
        pa.concat_arrays([known.cast(pa.string()), strangers.combine_chunks().cast(pa.string())])
        if isinstance(strangers, pa.ChunkedArray)
        else pa.concat_arrays([known.cast(pa.string()), strangers.cast(pa.string())])
    )
    n_members = len(member_id)
    joined = np.full(n_members, NO_TIME, dtype=np.int64)
    joined[: members.num_rows] = _ints(members.column("joined"), NO_TIME)
    order_device, member_device = _dictionary(orders.column("device_id"), members.column("device_id"))
    (address,) = _dictionary(orders.column("ship_to"))
    (bank_known,) = _dictionary(members.column("bank_account"))
    pad = np.full(n_members - members.num_rows, -1, dtype=np.int64)
    has_merchants = backend.has_rows("merchants")
    shops = (
        backend.query("SELECT merchant_id, member_id FROM merchants", step="rings: merchants")
        if has_merchants
        else pa.table({"merchant_id": pa.array([], pa.string()), "member_id": pa.array([], pa.string())})
    )
    shop_ids = shops.column("merchant_id").combine_chunks().cast(pa.string())
    extra = pc.drop_null(
        pc.unique(
            pc.filter(
                orders.column("merchant_id"),
                pc.invert(pc.is_in(orders.column("merchant_id"), value_set=shop_ids)),
            )
        )
    )
    extra_arr = extra.combine_chunks() if isinstance(extra, pa.ChunkedArray) else extra
    merchant_id = pa.concat_arrays([shop_ids, extra_arr.cast(pa.string())])
    owner = np.full(len(merchant_id), -1, dtype=np.int64)
    owner[: shops.num_rows] = _codes(shops.column("member_id"), member_id)
    listing = _dictionary(orders.column("listing_id"))[0]
    inputs = RingInputs(
        order_id=orders.column("order_id").combine_chunks(),
        buyer=_codes(orders.column("buyer_id"), member_id),
        merchant=_codes(orders.column("merchant_id"), merchant_id),
        listing=listing,
        placed=_ints(orders.column("placed"), 0),
        rating=np.asarray(_ints(orders.column("rating"), 0), dtype=np.int8),
        device=order_device,
        address=address,
        member_id=member_id,
        joined=joined,
        member_device=np.concatenate([member_device, pad]),
        bank=np.concatenate([bank_known, pad]),
        merchant_id=merchant_id,
        owner=owner,
    )
    if backend.has_rows("ties"):
        groups = backend.query(
            "SELECT member_a AS member_id, group_id FROM ties WHERE group_id IS NOT NULL "
            "UNION SELECT member_b, group_id FROM ties WHERE group_id IS NOT NULL",
            step="rings: chat groups",
        )
        gm = _codes(groups.column("member_id"), member_id)
        (gc,) = _dictionary(groups.column("group_id"))
        keep = (gm >= 0) & (gc >= 0)
        inputs.group_member, inputs.group_code = gm[keep], gc[keep]
        ties = backend.query("SELECT member_a, member_b FROM ties", step="rings: ties")
        a = _codes(ties.column("member_a"), member_id)
        b = _codes(ties.column("member_b"), member_id)
        keep = (a >= 0) & (b >= 0)
        inputs.tie_a, inputs.tie_b = a[keep], b[keep]
    if backend.has_rows("payments"):
        paid = backend.query(
            f"SELECT DISTINCT payer_id, payee_id FROM payments WHERE {_CASHBACK}", step="rings: cashback"
        )
        a = _codes(paid.column("payer_id"), member_id)
        b = _codes(paid.column("payee_id"), member_id)
        keep = (a >= 0) & (b >= 0)
        inputs.paid_by, inputs.paid_to = a[keep], b[keep]
    return inputs
