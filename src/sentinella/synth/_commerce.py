"""Honest commerce: shops of heavy-tailed size, loyal and one-off buyers, the order lifecycle."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from . import _fmt as F
from ._chunk import (
    FAKE,
    HONEST,
    MERCHANT_ROLES,
    OTHER_ADDRESS,
    SECOND_DEVICE,
    STATUS,
    Chunk,
    Orders,
    Ties,
    orders_batch,
)
from ._time import Calendar

_ROLE_FIELDS = ("counterfeit_share", "daigou_share", "clearance_share", "secondhand_share")


def plant_honest_merchants(chunk: Chunk) -> np.ndarray:
    """Ordinary shops (some with the goods roles) drawn from the unreserved members."""
    rng = chunk.rng(10)
    prof = chunk.profile
    k = max(5, int(rng.binomial(chunk.free, prof.merchant_share))) if chunk.free > 20 else 0
    k = min(k, chunk.free // 4)
    if k == 0:
        return np.zeros(0, dtype=np.int64)
    owners = chunk.take(k, HONEST)
    shares = np.array([getattr(prof, f) for f in _ROLE_FIELDS])
    p = np.concatenate([[max(0.0, 1.0 - shares.sum())], shares])
    role = rng.choice(len(MERCHANT_ROLES), size=k, p=p / p.sum()).astype(np.int8)
    if chunk.index == 0 and k >= 10:  # every role at least once, even in a tiny world
        for r in range(1, len(MERCHANT_ROLES)):
            if shares[r - 1] > 0 and not (role == r).any():
                role[r] = r
    opened = F.DAY_US + np.maximum(
        chunk.joined[owners],
        F_uniform(rng, chunk.start_us - 540 * F.DAY_US, chunk.end_us - 60 * F.DAY_US, k),
    )
    weight = rng.pareto(prof.merchant_pareto, k) + 1.0
    for r in range(1, len(MERCHANT_ROLES)):
        chunk.count(f"merchants_{MERCHANT_ROLES[r]}", int((role == r).sum()))
    return chunk.add_merchants(chunk.glob(owners), role, opened, weight=weight)


def F_uniform(rng: np.random.Generator, lo: int, hi: int, k: int) -> np.ndarray:
    return lo + (rng.random(k) * (hi - lo)).astype(np.int64)


def merchant_quality(merchant: np.ndarray) -> np.ndarray:
    """A fixed quality per shop (a hash of its number) so every module agrees on it."""
    u = (F.mix64(merchant, 21) >> np.uint64(11)).astype(np.float64) / float(2**53)
    return 0.55 + 0.45 * np.sqrt(u)


class Shelf:
    """The chunk's listings by shop: orders of a listed shop use a listed price."""

    def __init__(self, chunk: Chunk, listings: pa.Table) -> None:
        self.first = chunk.merchant_first
        n_m = chunk.counters.merchant - self.first
        self.n_merchants = n_m
        mids = F.ids("S", np.arange(self.first, self.first + n_m), 8)
        if listings.num_rows:
            idx = pc.index_in(listings.column("merchant_id"), value_set=mids)
            local = idx.fill_null(-1).to_numpy().astype(np.int64)
        else:
            local = np.zeros(0, dtype=np.int64)
        valid = local >= 0
        self.rows = np.flatnonzero(valid)[np.argsort(local[valid], kind="stable")]
        self.counts = np.bincount(local[valid], minlength=n_m)
        self.starts = np.concatenate([[0], np.cumsum(self.counts)[:-1]]) if n_m else np.zeros(0, np.int64)
        self.price = decimal_units(listings.column("price")) if listings.num_rows else np.zeros(0, np.int64)
        cur = listings.column("currency") if listings.num_rows else pa.array([], pa.string())
        for code in pc.unique(cur).to_pylist():
            if code is not None and code not in chunk.currencies:
                chunk.currencies.append(code)
        self.currency = (
            pc.index_in(cur, value_set=pa.array(chunk.currencies)).fill_null(0).to_numpy().astype(np.int16)
            if listings.num_rows
            else np.zeros(0, np.int16)
        )
        listed = listings.column("listed_at") if listings.num_rows else None
        if listed is not None:
            arr = pc.cast(listed, pa.int64()).fill_null(-1).to_numpy()
            self.listed = np.asarray(arr, dtype=np.int64)
        else:
            self.listed = np.zeros(0, np.int64)

    def pick(self, rng: np.random.Generator, merchant: np.ndarray) -> np.ndarray:
        """A listing of each shop (chunk-local listing row), -1 for a shop with none."""
        lm = np.asarray(merchant, dtype=np.int64) - self.first
        c = self.counts[lm]
        r = self.starts[lm] + (rng.random(len(lm)) * c).astype(np.int64)
        out = np.full(len(lm), -1, dtype=np.int64)
        has = c > 0
        out[has] = self.rows[r[has]]
        return out

    def amounts(
        self, rng: np.random.Generator, listing: np.ndarray, quantity: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(amount units, currency code, listed_at lower bound) of each order line."""
        has = listing >= 0
        row = np.where(has, listing, 0)
        fallback = (np.exp(rng.normal(np.log(90), 0.9, len(listing))) * 100).astype(np.int64) * 100
        if len(self.price):
            unit = np.where(has, self.price[row], fallback)
            cur = np.where(has, self.currency[row], 0).astype(np.int16)
            listed = np.where(has, self.listed[row], -1)
        else:
            unit, cur, listed = fallback, np.zeros(len(listing), np.int16), np.full(len(listing), -1)
        return unit * quantity, cur, listed


def decimal_units(col: pa.ChunkedArray | pa.Array) -> np.ndarray:
    """Unscaled integers of a decimal128(18, 4) column (its low 64 bits)."""
    arr = col.combine_chunks() if isinstance(col, pa.ChunkedArray) else col
    if arr.type != F.MONEY:
        arr = pc.cast(arr, F.MONEY)
    raw = np.frombuffer(arr.buffers()[1], dtype=np.int64)
    out = raw[2 * arr.offset : 2 * (arr.offset + len(arr)) : 2].copy()
    if arr.null_count:
        out[np.asarray(arr.is_null())] = 0
    return out


def lifecycle(
    chunk: Chunk, rng: np.random.Generator, placed: np.ndarray, merchant: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Status and completion time from the shop's quality and the order's age at export time."""
    prof = chunk.profile
    k = len(placed)
    q = merchant_quality(merchant)
    u = rng.random(k)
    p_refund = prof.refund_share * (2.0 - q) / 1.5
    p_dispute = prof.dispute_share * (2.0 - q) / 1.5
    p_cancel = prof.cancel_share
    status = np.full(k, STATUS["completed"], dtype=np.int8)
    status[u < p_refund + p_dispute + p_cancel] = STATUS["cancelled"]
    status[u < p_refund + p_dispute] = STATUS["disputed"]
    status[u < p_refund] = STATUS["refunded"]
    age = (chunk.end_us - placed) / F.DAY_US
    fresh = status == STATUS["completed"]
    status[fresh & (age < 10)] = STATUS["delivered"]
    status[fresh & (age < 6)] = STATUS["shipped"]
    status[fresh & (age < 2)] = STATUS["paid"]
    status[fresh & (age < 0.05)] = STATUS["placed"]
    delay = ((3 + rng.gamma(2.0, 2.0, k)) * F.DAY_US).astype(np.int64)
    completed = np.minimum(placed + delay, chunk.end_us - 1)
    after = (status == STATUS["refunded"]) & (rng.random(k) < 0.35)
    has = (status == STATUS["completed"]) | after
    return status, np.where(has, completed, -1)


def honest_orders(chunk: Chunk, shelf: Shelf, calendar: Calendar) -> None:
    """Buyers with a favourite shop (repeat pairs) plus wandering purchases by shop size."""
    rng = chunk.rng(11)
    prof = chunk.profile
    m = chunk.merchants
    if not m.weight:
        return
    weight = np.concatenate(m.weight)
    market = np.flatnonzero(weight > 0)
    if len(market) == 0:
        return
    cum = np.cumsum(weight[market])
    cum /= cum[-1]
    eligible = np.flatnonzero(chunk.role != FAKE)
    n_buyers = int(rng.binomial(len(eligible), prof.buyer_share))
    buyers = rng.choice(eligible, size=n_buyers, replace=False) if n_buyers else eligible[:0]
    buyers.sort()
    per = 1 + rng.negative_binomial(1, 1.0 / max(prof.orders_per_buyer, 1.0), n_buyers)
    favourite = market[np.searchsorted(cum, rng.random(n_buyers))]
    buyer_local = np.repeat(buyers, per)
    fav = np.repeat(favourite, per)
    k = len(buyer_local)
    wander = market[np.searchsorted(cum, rng.random(k))]
    merchant_local = np.where(rng.random(k) < prof.loyalty, fav, wander)
    merchant = merchant_local + chunk.merchant_first
    _emit(chunk, rng, calendar, shelf, buyer_local, merchant, review_p=prof.review_share)
    # word of mouth: friends and neighbours of shop owners buying from them
    k_f = int(k * prof.friend_purchase_share)
    if k_f:
        shop = market[np.searchsorted(cum, rng.random(k_f))]
        owner = chunk.local(np.concatenate(m.owner)[shop])
        offset = rng.integers(1, 50, k_f) * np.where(rng.random(k_f) < 0.5, 1, -1)
        friend = (owner + offset) % chunk.n
        ok = chunk.role[friend] != FAKE
        shop, owner, friend = shop[ok], owner[ok], friend[ok]
        _emit(chunk, rng, calendar, shelf, friend, shop + chunk.merchant_first, review_p=prof.review_share)
        since = np.maximum(chunk.joined[owner], chunk.joined[friend])
        chunk.add_ties(Ties(chunk.glob(owner), chunk.glob(friend), np.full(len(owner), -1), since))


def _emit(
    chunk: Chunk,
    rng: np.random.Generator,
    calendar: Calendar,
    shelf: Shelf,
    buyer_local: np.ndarray,
    merchant: np.ndarray,
    *,
    review_p: float,
    protected: bool = False,
    lo: np.ndarray | None = None,
    listing: np.ndarray | None = None,
    status: np.ndarray | None = None,
    forced_rating: np.ndarray | int = 0,
    placed: np.ndarray | None = None,
    address: np.ndarray | None = None,
    device: np.ndarray | None = None,
    price: tuple[int, int] | None = None,
) -> Orders:
    """Orders placed after the buyer joined and the shop and listing existed; sorted by time.

    ``price`` (units, currency code) fixes every line at one item of that price: a starter
    package sold at a set price to everyone who joins.
    """
    k = len(buyer_local)
    listing = shelf.pick(rng, merchant) if listing is None else listing
    quantity = 1 + rng.geometric(0.75, k) - 1
    if price is not None:
        quantity = np.ones(k, dtype=quantity.dtype)
    amount, cur, listed = shelf.amounts(rng, listing, quantity)
    if price is not None:
        amount = np.full(k, price[0], dtype=amount.dtype)
        cur = np.full(k, price[1], dtype=cur.dtype)
    opened = np.concatenate(chunk.merchants.opened)[merchant - chunk.merchant_first]
    floor = np.maximum(np.maximum(chunk.joined[buyer_local], opened), listed) + F.HOUR_US
    if lo is not None:
        floor = np.maximum(floor, lo)
    placed = calendar.sample(rng, floor) if placed is None else np.maximum(placed, floor)
    placed = np.minimum(placed, chunk.end_us - F.HOUR_US)
    order = np.argsort(placed, kind="stable")
    buyer_local, merchant, listing, quantity = (
        buyer_local[order],
        merchant[order],
        listing[order],
        quantity[order],
    )
    amount, cur, placed = amount[order], cur[order], placed[order]
    forced = np.broadcast_to(np.asarray(forced_rating, dtype=np.int8), (k,))[order]
    drawn_status, completed = lifecycle(chunk, rng, placed, merchant)
    if status is None:
        status = drawn_status
    else:
        status = np.broadcast_to(status, (k,)).astype(np.int8)
        completed = np.where(
            status == STATUS["completed"],
            np.minimum(placed + ((2 + 3 * rng.random(k)) * F.DAY_US).astype(np.int64), chunk.end_us - 1),
            -1,
        )
    glob = chunk.glob(buyer_local)
    home = np.where(rng.random(k) < 0.1, glob + OTHER_ADDRESS, glob)
    address = home if address is None else address[order]
    own_device = np.where(chunk.device[buyer_local] >= 0, chunk.device[buyer_local], glob)
    usual = np.where(rng.random(k) < 0.15, glob + SECOND_DEVICE, own_device)
    device = usual if device is None else device[order]
    batch = orders_batch(
        buyer=glob,
        merchant=merchant,
        listing=listing,
        quantity=quantity,
        amount=amount,
        currency=cur,
        placed=placed,
        status=status,
        completed=completed,
        address=address,
        device=device,
        review_p=review_p,
        forced_rating=forced,
        protected=protected,
    )
    batch.perm = order
    chunk.add_orders(batch)
    return batch


emit_orders = _emit
