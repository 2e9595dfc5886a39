"""Turn a chunk's integer columns into contract tables: reviews and payments follow from orders."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ..contract import COMMISSION_BASES, ORDER_STATUSES, PAYMENT_KINDS, TABLES
from . import _fmt as F
from ._chunk import KIND, MERCHANT_ROLES, STATUS, Chunk, Orders, Payments, payments_batch
from ._commerce import Shelf, merchant_quality
from ._people import members_table


@dataclass
class Assembled:
    """Contract tables of one chunk, each with the rows dirty data must never touch."""

    tables: dict[str, pa.Table]
    protected: dict[str, np.ndarray]


_TEXTS = (
    (
        "假货！差评",
        "Terrible, the item arrived broken",
        "Pessimo, prodotto rotto",
        "退款了，不推荐",
        "Fake product, do not buy",
    ),
    ("质量一般，有点失望", "Not as described", "Non corrisponde alla descrizione", "尺码不对"),
    ("一般般吧", "Average quality for the price", "Nella media", "还行"),
    ("还不错，包装有点简陋", "Good, but delivery was slow", "Buono, ma la spedizione è lenta", "挺好的"),
    (
        "非常好，物流很快！",
        "质量很好，会回购",
        "Great quality, fast shipping",
        "Ottimo venditore, consigliato",
        "宝贝收到了，和描述一致",
        "Perfect, exactly as described",
        "正品，很满意",
    ),
)
_RING_TEXTS = ("好评", "五星好评！！", "Good", "很好很好很好", "满意", "good good")
_SHOP_SUFFIX = {
    "honest": ("小店", "优选", "Store", "Bottega", "生活馆", "Shop"),
    "counterfeit": ("名品折扣", "Outlet", "大牌特卖", "Luxury Deals"),
    "daigou": ("海外代购", "Daigou Milano", "意大利直邮", "HK代购"),
    "clearance": ("清仓特卖", "Clearance", "Stock Outlet"),
    "secondhand": ("二手好物", "Second Hand", "Usato Garantito", "闲置"),
}
_CATEGORIES = ("beauty", "fashion", "food", "electronics", "home", "baby", "health", "bags", "shoes")


def _cat(parts: list[np.ndarray], dtype: type = np.int64) -> np.ndarray:
    return np.concatenate(parts) if parts else np.zeros(0, dtype=dtype)


def reviews_and_money(chunk: Chunk) -> tuple[Orders, dict[str, np.ndarray], list[Payments]]:
    """Reviews of completed orders, purchase and refund payments; the order batch merged."""
    rng = chunk.rng(40)
    o = _merge_orders(chunk.orders)
    k = len(o.buyer)
    number = o.first + np.arange(k)
    refunded_after = (o.status == STATUS["refunded"]) & (o.completed >= 0)
    eligible = (o.status == STATUS["completed"]) | refunded_after
    has = eligible & (rng.random(k) < o.review_p)
    idx = np.flatnonzero(has)
    q = merchant_quality(o.merchant[idx])
    t = ((q - 0.55) / 0.45)[:, None]
    low = np.cumsum([0.12, 0.08, 0.15, 0.25])
    high = np.cumsum([0.01, 0.01, 0.03, 0.12])
    cum = (1 - t) * low + t * high
    rating = 1 + (rng.random(len(idx))[:, None] > cum).sum(axis=1)
    bad = refunded_after[idx] & (rng.random(len(idx)) < 0.7)
    rating[bad] = 1 + (rng.random(int(bad.sum())) < 0.4)
    forced = o.forced_rating[idx]
    rating = np.where(forced > 0, forced, rating).astype(np.int32)
    created = np.minimum(
        o.completed[idx] + ((0.1 + rng.gamma(1.5, 1.5, len(idx))) * F.DAY_US).astype(np.int64),
        chunk.end_us - 1,
    )
    dsr = [np.clip(rating + rng.choice((-1, 0, 0, 0, 1), len(idx)), 1, 5) for _ in range(3)]
    is_forced = forced > 0
    dsr = [np.where(is_forced, 5, d) for d in dsr]
    dsr_null = (rng.random(len(idx)) < 0.15) & ~is_forced
    text_null = (rng.random(len(idx)) < 0.3) & ~is_forced
    review = {
        "order": number[idx],
        "rating": rating,
        "created": created,
        "d1": dsr[0],
        "d2": dsr[1],
        "d3": dsr[2],
        "dsr_null": dsr_null,
        "text_null": text_null,
        "forced": is_forced,
        "protected": o.protected[idx],
        "u": rng.random(len(idx)),
    }
    # money for each paid order, and back for each refund
    owner = _cat(chunk.merchants.owner)[o.merchant - chunk.merchant_first]
    paid = ~np.isin(o.status, (STATUS["placed"], STATUS["cancelled"]))
    p_idx = np.flatnonzero(paid)
    pays = [
        payments_batch(
            payer=o.buyer[p_idx],
            payee=owner[p_idx],
            amount=o.amount[p_idx],
            kind="purchase",
            paid=o.placed[p_idx] + (rng.random(len(p_idx)) * 20 * F.MINUTE_US).astype(np.int64) + F.MINUTE_US,
            currency=o.currency[p_idx],
            order=number[p_idx],
            protected=False,
        )
    ]
    pays[0].protected = o.protected[p_idx]
    r_idx = np.flatnonzero(o.status == STATUS["refunded"])
    review_time = np.full(k, -1, np.int64)
    review_time[idx] = created
    base = np.maximum(np.maximum(o.completed[r_idx], review_time[r_idx]), o.placed[r_idx] + 2 * F.DAY_US)
    partial = rng.random(len(r_idx)) < 0.2
    refund = np.where(partial, o.amount[r_idx] // 2, o.amount[r_idx])
    pays.append(
        payments_batch(
            payer=owner[r_idx],
            payee=o.buyer[r_idx],
            amount=refund,
            kind="refund",
            paid=np.minimum(
                base + ((1 + rng.random(len(r_idx)) * 4) * F.DAY_US).astype(np.int64), chunk.end_us - 1
            ),
            currency=o.currency[r_idx],
            order=number[r_idx],
            protected=False,
        )
    )
    pays[1].protected = o.protected[r_idx]
    return o, review, pays


def _merge_orders(batches: list[Orders]) -> Orders:
    if not batches:
        z = np.zeros(0, np.int64)
        return Orders(
            z,
            z,
            z,
            z.astype(np.int32),
            z,
            z.astype(np.int16),
            z,
            z.astype(np.int8),
            z,
            z,
            z,
            z.astype(np.float32),
            z.astype(np.int8),
            z.astype(bool),
        )

    def cat(name: str) -> np.ndarray:
        return np.concatenate([getattr(b, name) for b in batches])

    merged = Orders(
        buyer=cat("buyer"),
        merchant=cat("merchant"),
        listing=cat("listing"),
        quantity=cat("quantity"),
        amount=cat("amount"),
        currency=cat("currency"),
        placed=cat("placed"),
        status=cat("status"),
        completed=cat("completed"),
        address=cat("address"),
        device=cat("device"),
        review_p=cat("review_p"),
        forced_rating=cat("forced_rating"),
        protected=cat("protected"),
    )
    merged.first = batches[0].first
    return merged


def assemble(chunk: Chunk, shelf: Shelf, listings: pa.Table) -> Assembled:
    o, review, derived = reviews_and_money(chunk)
    tables: dict[str, pa.Table] = {}
    protected: dict[str, np.ndarray] = {}
    tables["members"] = members_table(chunk)
    protected["members"] = chunk.protected_members
    tables["merchants"], protected["merchants"] = _merchants(chunk, shelf, listings)
    currencies = chunk.currencies
    k = len(o.buyer)
    numbers = o.first + np.arange(k)
    shipped = np.isin(
        o.status, [STATUS[s] for s in ("shipped", "delivered", "completed", "refunded", "disputed")]
    )
    tables["orders"] = pa.Table.from_arrays(
        [
            F.ids("O", numbers, 10),
            F.ids("M", o.buyer, 9),
            F.ids("S", o.merchant, 8),
            F.money(o.amount),
            F.pick(currencies, o.currency),
            F.timestamps(_sec(o.placed)),
            F.pick(ORDER_STATUSES, o.status),
            _listing_ids(listings, o.listing),
            F.ints(o.quantity),
            F.timestamps(_sec(np.maximum(o.completed, 0)), null=o.completed < 0),
            F.addresses(o.address),
            F.devices(o.device),
            F.nullify(F.tracking_numbers(numbers), ~shipped),
        ],
        schema=TABLES["orders"].arrow_schema(),
    )
    protected["orders"] = o.protected
    # reviews
    n_r = len(review["order"])
    first = chunk.counters.review
    chunk.counters.review += n_r
    texts = [t for pool in _TEXTS for t in pool] + list(_RING_TEXTS)
    sizes = np.array([len(p) for p in _TEXTS] + [len(_RING_TEXTS)])
    offsets = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    pool = np.where(review["forced"] & (review["rating"] == 5), 5, review["rating"] - 1)
    text_idx = offsets[pool] + (review["u"] * sizes[pool]).astype(np.int64)
    tables["reviews"] = pa.Table.from_arrays(
        [
            F.ids("R", first + np.arange(n_r), 10),
            F.ids("O", review["order"], 10),
            F.ints(review["rating"]),
            F.timestamps(_sec(review["created"])),
            F.ints(review["d1"], null=review["dsr_null"]),
            F.ints(review["d2"], null=review["dsr_null"]),
            F.ints(review["d3"], null=review["dsr_null"]),
            F.pick(texts, text_idx, null=review["text_null"]),
        ],
        schema=TABLES["reviews"].arrow_schema(),
    )
    protected["reviews"] = review["protected"]
    # payments: the modules' (fees, commissions, cashback) then purchases and refunds
    pays = chunk.payments + derived
    fields = ("payer", "payee", "amount", "currency", "kind", "paid", "order", "basis", "level", "protected")
    p = {f: np.concatenate([getattr(b, f) for b in pays]) for f in fields}
    order = np.argsort(p["paid"], kind="stable")
    p = {f: v[order] for f, v in p.items()}
    n_p = len(p["payer"])
    first = chunk.counters.payment
    chunk.counters.payment += n_p
    tables["payments"] = pa.Table.from_arrays(
        [
            F.ids("P", first + np.arange(n_p), 10),
            F.ids("M", p["payer"], 9),
            F.ids("M", p["payee"], 9),
            F.money(p["amount"]),
            F.pick(currencies, p["currency"]),
            F.pick(PAYMENT_KINDS, p["kind"]),
            F.timestamps(_sec(p["paid"])),
            F.opt_ids("O", p["order"], 10),
            F.pick(COMMISSION_BASES, np.maximum(p["basis"], 0), null=p["basis"] < 0),
            F.ints(p["level"], null=p["level"] <= 0),
            pa.nulls(n_p, pa.string()),  # memo: the generator records bases, not ledger names
        ],
        schema=TABLES["payments"].arrow_schema(),
    )
    protected["payments"] = p["protected"] | (p["kind"] != KIND["purchase"]) & (p["kind"] != KIND["refund"])
    tables["ties"], protected["ties"] = _ties(chunk)
    return Assembled(tables, protected)


def _sec(us: np.ndarray) -> np.ndarray:
    return np.asarray(us - us % F.US, dtype=np.int64)


def _listing_ids(listings: pa.Table, rows: np.ndarray) -> pa.Array:
    if listings.num_rows == 0:
        return pa.nulls(len(rows), pa.string())
    col = listings.column("listing_id").combine_chunks()
    taken = col.take(pa.array(np.maximum(rows, 0)))
    return F.nullify(taken, rows < 0)


def _merchants(chunk: Chunk, shelf: Shelf, listings: pa.Table) -> tuple[pa.Table, np.ndarray]:
    m = chunk.merchants
    owner = _cat(m.owner)
    role = _cat(m.role, np.int8)
    opened = _cat(m.opened)
    k = len(owner)
    number = chunk.merchant_first + np.arange(k)
    h = F.mix64(number, 31)
    suffix_words: list[str] = []
    offsets, sizes = [], []
    for r in MERCHANT_ROLES:
        offsets.append(len(suffix_words))
        sizes.append(len(_SHOP_SUFFIX[r]))
        suffix_words.extend(_SHOP_SUFFIX[r])
    off, sz = np.array(offsets), np.array(sizes)
    suffix = F.pick(suffix_words, off[role] + (h % sz[role].astype(np.uint64)).astype(np.int64))
    name = F.join(F.names(owner), suffix)
    fallback = F.pick(_CATEGORIES, ((h >> np.uint64(17)) % np.uint64(len(_CATEGORIES))).astype(np.int64))
    if listings.num_rows and "category" in listings.column_names and k:
        first_row = np.where(
            shelf.counts > 0, shelf.rows[np.minimum(shelf.starts, max(len(shelf.rows) - 1, 0))], 0
        )
        cat = listings.column("category").combine_chunks().take(pa.array(first_row))
        cat = pc.if_else(pc.and_(pa.array(shelf.counts > 0), pc.is_valid(cat)), cat, fallback)
    else:
        cat = fallback
    table = pa.Table.from_arrays(
        [F.ids("S", number, 8), F.ids("M", owner, 9), name, F.timestamps(_sec(opened)), cat],
        schema=TABLES["merchants"].arrow_schema(),
    )
    return table, _cat(m.protected, bool)


def _ties(chunk: Chunk) -> tuple[pa.Table, np.ndarray]:
    """Friend ties undirected and deduplicated; group ties once per (group, member)."""
    if not chunk.ties:
        empty = TABLES["ties"].arrow_schema().empty_table()
        return empty, np.zeros(0, bool)
    a = np.concatenate([t.a for t in chunk.ties])
    b = np.concatenate([t.b for t in chunk.ties])
    g = np.concatenate([t.group for t in chunk.ties])
    s = np.concatenate([t.since for t in chunk.ties])
    friend = g < 0
    lo, hi = np.minimum(a, b), np.maximum(a, b)
    a = np.where(friend, lo, a)
    b = np.where(friend, hi, b)
    key_hi = np.where(friend, -1, g)
    order = np.lexsort((b, a, key_hi))
    a, b, g, s, key_hi = a[order], b[order], g[order], s[order], key_hi[order]
    keep = np.r_[True, (a[1:] != a[:-1]) | (b[1:] != b[:-1]) | (key_hi[1:] != key_hi[:-1])]
    keep &= a != b
    a, b, g, s = a[keep], b[keep], g[keep], s[keep]
    table = pa.Table.from_arrays(
        [
            F.ids("M", a, 9),
            F.ids("M", b, 9),
            F.pick(("friend", "group"), (g >= 0).astype(np.int64)),
            F.opt_ids("G", g, 8),
            F.timestamps(_sec(s)),
        ],
        schema=TABLES["ties"].arrow_schema(),
    )
    return table, np.ones(len(a), bool)
