"""Per (buyer, shop) and per order signals: pure functions over the integer-coded arrays.

Every signal is scaled to [0, 1] so the scorer can combine them and the reasons can cite them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from . import _jit
from ._config import DAY_US, HOUR_US, RingsConfig
from ._fraudar import fraudar
from ._inputs import NO_TIME, RingInputs

I64 = NDArray[np.int64]
F64 = NDArray[np.float64]
# an "identifier" shared by more accounts than this is a placeholder (a shop's tablet, a
# pickup point), not evidence that binds a group
MAX_IDENTIFIER_ACCOUNTS = 200


@dataclass
class Pairs:
    """Each (buyer, shop) with at least one order; ``of_order`` maps an order to its pair."""

    of_order: I64
    buyer: I64
    merchant: I64

    @property
    def n(self) -> int:
        return int(self.buyer.shape[0])


def make_pairs(inputs: RingInputs) -> Pairs:
    key = inputs.buyer * np.int64(max(inputs.n_merchants, 1)) + inputs.merchant
    uniq, inv = np.unique(key, return_inverse=True)
    m = np.int64(max(inputs.n_merchants, 1))
    return Pairs(inv.astype(np.int64), (uniq // m).astype(np.int64), (uniq % m).astype(np.int64))


def unique_rows(*columns: I64) -> tuple[list[I64], I64]:
    """Distinct rows of integer columns (sorted) and each input row's index among them.

    ``np.unique(axis=1)`` sorts rows as opaque bytes and is an order of magnitude slower.
    """
    n = columns[0].shape[0]
    if n == 0:
        return [c[:0] for c in columns], np.zeros(0, dtype=np.int64)
    lows = [int(c.min()) for c in columns]
    spans = [int(c.max()) - lo + 1 for c, lo in zip(columns, lows, strict=True)]
    if float(np.prod(np.array(spans, dtype=np.float64))) < 2.0**62:
        # one int64 key sorts several times faster than a lexsort over the columns
        key = np.zeros(n, dtype=np.int64)
        for c, lo, span in zip(columns, lows, spans, strict=True):
            key = key * np.int64(span) + (c - lo)
        order = np.argsort(key, kind="stable")
        sk = key[order]
        new = np.r_[True, sk[1:] != sk[:-1]]
    else:
        order = np.lexsort(columns[::-1])
        new = np.zeros(n, dtype=np.bool_)
        new[0] = True
        for c in columns:
            s = c[order]
            new[1:] |= s[1:] != s[:-1]
    rank = np.cumsum(new) - 1
    inverse = np.empty(n, dtype=np.int64)
    inverse[order] = rank
    first = order[new]
    return [c[first] for c in columns], inverse


def _group_reduce(values: NDArray[np.generic], groups: I64, n: int, how: str) -> F64:
    out = np.zeros(n, dtype=np.float64)
    if values.shape[0] == 0:
        return out
    order = np.argsort(groups, kind="stable")
    g = groups[order]
    v = values[order].astype(np.float64)
    starts = np.flatnonzero(np.r_[True, g[1:] != g[:-1]])
    ufunc = {"sum": np.add, "min": np.minimum, "max": np.maximum}[how]
    out[g[starts]] = ufunc.reduceat(v, starts)
    return out


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


@dataclass
class PairSignals:
    young: F64
    five_star: F64
    concentration: F64
    shared: F64  # other buyers of the shop on the same device / address / payout account
    group: F64  # other buyers of the shop in the same chat group
    cashback: F64  # paid by the shop's owner outside any order
    owner_tie: F64  # a tie (friend, group) with the shop's owner
    lockstep: F64  # share of the pair's orders in a crowded window at the shop
    dense: F64  # in a dense FRAUDAR block of the shop's buyers
    global_dense: F64  # in a dense block of the global account-identifier graph
    orders: F64
    age_days: F64


def pair_signals(inputs: RingInputs, pairs: Pairs, config: RingsConfig) -> tuple[PairSignals, F64, F64]:
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


def _context_columns(inputs: RingInputs, config: RingsConfig) -> tuple[I64, I64]:
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


def merchant_blocks(inputs: RingInputs, pairs: Pairs, config: RingsConfig) -> F64:
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


def identifier_blocks(inputs: RingInputs, pairs: Pairs, config: RingsConfig) -> F64:
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
