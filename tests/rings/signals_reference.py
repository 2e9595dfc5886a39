"""The numpy signals the SQL steps replaced, kept as the reference they must equal bit for bit.

This is the code as it was before the signals moved into the engine (``load_inputs`` and
``pair_signals``), with one change: chat groups are coded by their first tie (the UNION the
old query read them from has no order, so the global FRAUDAR's column order was arbitrary).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from numpy.typing import NDArray

from sentinella.engine import Backend
from sentinella.errors import MissingTableError
from sentinella.idcodes import code_ids
from sentinella.rings import _jit
from sentinella.rings._config import DAY_US, HOUR_US, RingsConfig
from sentinella.rings._fraudar import fraudar
from sentinella.rings._inputs import CASHBACK as _CASHBACK
from sentinella.rings._signals import (
    F64,
    I64,
    MAX_IDENTIFIER_ACCOUNTS,
    Pairs,
    PairSignals,
    _group_reduce,
    unique_rows,
)

NO_TIME = np.iinfo(np.int64).min
# payments from a shop's owner to a buyer that are not a purchase, a fee, a commission, a
# (referral) bonus or the refund of an order: the usual shape of brushing cashback ("pay back
# the order plus a fee"); referral bonuses are the pyramid analysis's business


@dataclass
class ReferenceInputs:
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


def load_reference_inputs(backend: Backend) -> ReferenceInputs:
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
    inputs = ReferenceInputs(
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
        # a group's code: by its first tie (the production code's order; a plain UNION has none)
        groups = backend.query(
            "SELECT member_id, group_id FROM (SELECT member_a AS member_id, group_id, 0 AS half, rowid AS r "
            "FROM ties WHERE group_id IS NOT NULL UNION ALL SELECT member_b, group_id, 1, rowid FROM ties "
            "WHERE group_id IS NOT NULL) GROUP BY member_id, group_id ORDER BY min(half), min(r)",
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


def distinct_partners(context: I64, member: I64, owner_rows: I64, n: int) -> F64:
    """Per row owner, the most other members sharing one of its contexts (rows with context < 0 skip).

    ``context`` codes e.g. (shop, device); ``member`` the account; ``owner_rows`` the pair each row
    belongs to. Returns per pair the largest count of *other* accounts on one of its contexts.
    """
    keep = context >= 0
    ctx, mem, own = context[keep], member[keep], owner_rows[keep]
    out = np.zeros(n, dtype=np.float64)
    if ctx.shape[0] == 0:
        return out
    trip, _ = unique_rows(ctx, mem, own)
    (cm_ctx, _), _ = unique_rows(trip[0], trip[1])
    c_uniq, c_inv = np.unique(trip[0], return_inverse=True)
    # distinct accounts per context
    per_ctx = np.bincount(np.searchsorted(c_uniq, cm_ctx), minlength=c_uniq.shape[0])
    others = (per_ctx[c_inv] - 1).astype(np.float64)
    best = _group_reduce(others, trip[2], n, "max")
    out = np.maximum(out, best)
    return out


def _combine(a: I64, b: I64, nb: int) -> I64:
    return np.where((a < 0) | (b < 0), -1, a * np.int64(nb) + b)


def _identifier(values: I64) -> I64:
    """Drop identifiers so common they cannot bind a group."""
    ok = values >= 0
    if not ok.any():
        return values
    counts = np.bincount(values[ok])
    out = values.copy()
    out[ok & (counts[np.maximum(values, 0)] > MAX_IDENTIFIER_ACCOUNTS)] = -1
    return out


def reference_signals(
    inputs: ReferenceInputs, pairs: Pairs, config: RingsConfig
) -> tuple[PairSignals, F64, F64]:
    """Signals per pair, plus per order: in a lockstep window, in a burst."""
    n = pairs.n
    p = pairs.of_order
    orders = np.bincount(p, minlength=n).astype(np.float64)
    first = _group_reduce(inputs.placed, p, n, "min")
    joined = inputs.joined[pairs.buyer]
    # unknown join time: the account's first order anywhere stands in for it
    buyer_first = _group_reduce(inputs.placed, inputs.buyer, inputs.n_members, "min")
    joined = np.where(joined == NO_TIME, buyer_first[pairs.buyer], joined).astype(np.float64)
    age = (first - joined) / DAY_US
    span = max(config.old_days - config.young_days, 1e-9)
    young = np.clip((config.old_days - age) / span, 0.0, 1.0)
    five = _group_reduce((inputs.rating == 5).astype(np.float64), p, n, "sum") / orders
    per_buyer = np.bincount(inputs.buyer, minlength=inputs.n_members).astype(np.float64)
    concentration = orders / per_buyer[pairs.buyer]

    nm = max(inputs.n_merchants, 1)
    shared = np.zeros(n, dtype=np.float64)
    for values in (
        inputs.device,
        inputs.address,
        inputs.bank[inputs.buyer],
        inputs.member_device[inputs.buyer],
    ):
        ident = _identifier(values)
        ctx = _combine(ident, inputs.merchant, nm)
        got = distinct_partners(ctx, inputs.buyer, p, n)
        shared = np.maximum(shared, got)
    shared = np.minimum(shared / config.shared_full, 1.0)

    group = np.zeros(n, dtype=np.float64)
    if inputs.group_member.shape[0]:
        order = np.argsort(inputs.group_member, kind="stable")
        gm, gc = inputs.group_member[order], inputs.group_code[order]
        start = np.searchsorted(gm, pairs.buyer, side="left")
        count = np.searchsorted(gm, pairs.buyer, side="right") - start
        rows = np.repeat(np.arange(n), count)
        offs = np.arange(rows.shape[0]) - np.repeat(np.cumsum(count) - count, count)
        gcode = gc[np.repeat(start, count) + offs]
        ctx = _combine(gcode, pairs.merchant[rows], nm)
        group = np.minimum(distinct_partners(ctx, pairs.buyer[rows], rows, n) / config.shared_full, 1.0)

    nmem = np.int64(max(inputs.n_members, 1))
    owner = inputs.owner[pairs.merchant]
    key = pairs.buyer * nmem + owner
    cashback = np.where(owner >= 0, np.isin(key, inputs.paid_to * nmem + inputs.paid_by), False).astype(
        np.float64
    )
    ties = np.concatenate([inputs.tie_a * nmem + inputs.tie_b, inputs.tie_b * nmem + inputs.tie_a])
    owner_tie = np.where(owner >= 0, np.isin(key, ties), False).astype(np.float64)

    window = max(int(config.lockstep_window_hours * HOUR_US), 1)
    in_lockstep = np.zeros(inputs.n_orders, dtype=np.bool_)
    best_crowd = np.zeros(inputs.n_orders, dtype=np.float64)
    for shift in (0, window // 2):
        bucket = (inputs.placed + shift) // window
        (ctx_shop, _), ctx = unique_rows(inputs.merchant, bucket)
        n_ctx = ctx_shop.shape[0]
        cb, _ = unique_rows(ctx, inputs.buyer)
        crowd = np.bincount(cb[0], minlength=n_ctx).astype(np.float64)
        # a crowd counts when it is unusual for the shop and rates as one: buying together
        # is what flash sales do too; 5-starring together is what they do not
        usual = _group_reduce(crowd, ctx_shop, inputs.n_merchants, "sum") / np.maximum(
            np.bincount(ctx_shop, minlength=inputs.n_merchants), 1
        )
        five_ctx = np.bincount(ctx, weights=(inputs.rating == 5).astype(np.float64), minlength=n_ctx)
        five_share = five_ctx / np.maximum(np.bincount(ctx, minlength=n_ctx), 1)
        hit = (
            (crowd >= config.lockstep_min_buyers)
            & (crowd >= config.lockstep_crowd_factor * usual[ctx_shop])
            & (five_share >= config.lockstep_five_star_share)
        )
        # each order is judged in the bucketing that holds the larger part of its crowd, so a
        # flash sale's tail cut off by a window edge is not read as a crowd of its own
        larger = crowd[ctx] > best_crowd
        in_lockstep = np.where(larger, hit[ctx], in_lockstep)
        best_crowd = np.maximum(best_crowd, crowd[ctx])
    lockstep = _group_reduce(in_lockstep.astype(np.float64), p, n, "sum") / orders

    hour = max(int(config.burst_window_hours * HOUR_US), 1)
    _, hctx = unique_rows(inputs.merchant, inputs.placed // hour)
    per_hour = np.bincount(hctx).astype(np.float64) if hctx.size else np.zeros(0)
    hb, _ = unique_rows(hctx, inputs.buyer)
    buyers_hour = np.bincount(hb[0], minlength=per_hour.shape[0]).astype(np.float64)
    in_burst = (per_hour[hctx] >= config.burst_min_orders) & (
        per_hour[hctx] >= config.burst_orders_per_buyer * buyers_hour[hctx]
    )

    dense = merchant_blocks(inputs, pairs, config)
    global_dense = identifier_blocks(inputs, pairs, config)
    signals = PairSignals(
        young=young,
        five_star=five,
        concentration=concentration,
        shared=shared,
        group=group,
        cashback=cashback,
        owner_tie=owner_tie,
        lockstep=lockstep,
        dense=dense,
        global_dense=global_dense,
        orders=orders,
        age_days=age,
    )
    return signals, in_lockstep.astype(np.float64), in_burst.astype(np.float64)


def _context_columns(inputs: ReferenceInputs, config: RingsConfig) -> tuple[I64, I64]:
    """Per order, (kind, value) columns of the per-shop graph: listing, hour, day, device, address."""
    window = max(int(config.lockstep_window_hours * HOUR_US), 1)
    cols = [
        (0, inputs.listing),
        (1, inputs.placed // window),
        (2, inputs.placed // DAY_US),
        (3, _identifier(inputs.device)),
        (4, _identifier(inputs.address)),
    ]
    order_idx = np.concatenate([np.arange(inputs.n_orders)] * len(cols))
    kind = np.concatenate([np.full(inputs.n_orders, k, np.int64) for k, _ in cols])
    value = np.concatenate([v for _, v in cols])
    keep = value >= 0
    return order_idx[keep], kind[keep] * np.int64(1 << 40) + value[keep]


def merchant_blocks(inputs: ReferenceInputs, pairs: Pairs, config: RingsConfig) -> F64:
    """FRAUDAR per shop over buyers × (listing, window, day, device, address): the block density.

    A 20-account ring is invisible among millions of edges but dense among one shop's buyers.
    All shops are peeled in one compiled loop; rows and columns are numbered within their shop.
    """
    order_idx, ctx = _context_columns(inputs, config)
    merchant = inputs.merchant[order_idx]
    pair = pairs.of_order[order_idx]
    (em, ep, ec), _ = unique_rows(merchant, pair, ctx)
    if em.shape[0] == 0:
        return np.zeros(pairs.n, dtype=np.float64)
    starts = np.flatnonzero(np.r_[True, em[1:] != em[:-1], True]).astype(np.int64)
    group = np.repeat(np.arange(starts.shape[0] - 1), np.diff(starts))
    # rows: pairs are sorted within a shop, so a running count of new pairs numbers them
    new_row = np.r_[True, (ep[1:] != ep[:-1]) | (em[1:] != em[:-1])]
    row_rank = np.cumsum(new_row) - 1
    row_first = row_rank[starts[:-1]]
    local_row = row_rank - row_first[group]
    n_rows = np.diff(np.r_[row_rank[starts[:-1]], row_rank[-1] + 1]).astype(np.int64)
    row_pair = ep[new_row]
    (cg, _), col_inv = unique_rows(group, ec)
    col_start = np.searchsorted(cg, np.arange(starts.shape[0] - 1), side="left")
    local_col = col_inv - col_start[group]
    n_cols = np.bincount(cg, minlength=starts.shape[0] - 1).astype(np.int64)
    degree = np.bincount(col_inv).astype(np.float64)
    weight = 1.0 / np.log(degree[col_inv] + 5.0)
    density = np.zeros(row_pair.shape[0], dtype=np.float64)
    _jit.peel_groups(
        starts,
        local_row.astype(np.int64),
        local_col.astype(np.int64),
        weight,
        n_rows,
        n_cols,
        config.blocks_per_merchant,
        max(config.block_min_rows, config.merchant_min_buyers),
        density,
    )
    out = np.zeros(pairs.n, dtype=np.float64)
    out[row_pair] = density
    return out


def identifier_blocks(inputs: ReferenceInputs, pairs: Pairs, config: RingsConfig) -> F64:
    """FRAUDAR over accounts × (device, address, payout account, chat group, shop), globally."""
    parts_r: list[I64] = []
    parts_c: list[I64] = []
    offset = 0
    for values, who in (
        (_identifier(inputs.device), inputs.buyer),
        (_identifier(inputs.address), inputs.buyer),
        (_identifier(inputs.bank), np.arange(inputs.n_members, dtype=np.int64)),
        (_identifier(inputs.member_device), np.arange(inputs.n_members, dtype=np.int64)),
        (inputs.group_code, inputs.group_member),
        (inputs.merchant, inputs.buyer),
    ):
        keep = values >= 0
        parts_r.append(who[keep])
        parts_c.append(values[keep] + offset)
        offset += int(values.max()) + 1 if keep.any() else 0
    rows = np.concatenate(parts_r)
    cols = np.concatenate(parts_c)
    edges, _ = unique_rows(rows, cols)
    member_density = np.zeros(inputs.n_members, dtype=np.float64)
    for block in fraudar(edges[0], edges[1], inputs.n_members, max(offset, 1), blocks=config.blocks_global):
        if block.rows.shape[0] >= config.block_min_rows:
            member_density[block.rows] = np.maximum(member_density[block.rows], block.density)
    return member_density[pairs.buyer]
