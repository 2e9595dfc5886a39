"""Recruitment networks: pyramids of several shapes and their legitimate look-alikes.

Trees come from vectorised parent formulas (every parent precedes its child), so a network of
any size is a few array operations; sizes straddle the Chinese thresholds (30 members and 3
levels, 120 "serious") so detectors are judged at the edges. Entry is paid as an entry fee, or
(``pay="starter"``) as a starter package every recruit buys at one price on joining, the
disguised fee of Criminal Law art. 224-1 and Regulations art. 7(2); the free-to-join
multi-level bonus look-alike has no payment to join, so art. 224-1 does not apply to it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa

from . import _fmt as F
from ._chunk import (
    HONEST,
    NETWORK,
    STATUS,
    Chunk,
    Orders,
    Payments,
    Ties,
    payments_batch,
)
from ._commerce import Shelf, emit_orders
from ._people import member_id, persons_table
from ._time import Calendar
from ._truth import lookalikes_table

ORGANIZER_MEMBERS = 30
ORGANIZER_LEVELS = 3
SERIOUS_MEMBERS = 120
SERIOUS_FEES = 2_500_000 * 10_000  # ¥2.5M in 1/10,000 units
CNY = 0


@dataclass(frozen=True)
class NetPlan:
    """What to plant: kind (pyramid or a look-alike), tree shape and size."""

    kind: str
    shape: str
    size: int
    width: int = 3
    depth: int = 3
    sub: int = 0
    parts: tuple[int, ...] = ()
    pay: str = "recruitment"
    note: str = ""
    fee_cny: int = 0  # 0: drawn (small for the threshold catalogue, so fees stay below ¥2.5M)


def _p(kind: str, shape: str, size: int, note: str, **kw: object) -> NetPlan:
    return NetPlan(kind, shape, size, note=note, **kw)  # type: ignore[arg-type]


SMALL_CATALOGUE = (
    _p("pyramid", "unilevel", 29, "29 members: one below the 30-member threshold"),
    _p("pyramid", "unilevel", 31, "31 members: just above 30"),
    _p("pyramid", "binary", 31, "binary, 31 members, 5 levels"),
    _p("pyramid", "matrix", 40, "3-wide matrix with spill-over", width=3, pay="mixed"),
    _p("pyramid", "chain", 30, "a chain: 30 members, 30 levels"),
    _p("pyramid", "wide", 40, "≥ 30 members but only 2 levels", depth=2),
    _p("pyramid", "sub_leader", 36, "sub-leader below the root with exactly 30 and 3 levels", sub=30),
    _p("pyramid", "split", 35, "one person's 2 accounts: 20 + 15 accounts, 34 merged", parts=(20, 15)),
    _p("referral", "unilevel", 40, "single-level referral, no fee"),
    _p("direct_selling", "unilevel", 35, "licensed direct selling: pay on own sales only"),
    _p("friends_shop", "star", 12, "a plain shop whose buyers are friends"),
)
FULL_CATALOGUE = (
    *SMALL_CATALOGUE,
    _p("pyramid", "unilevel", 30, "30 members: exactly at the threshold"),
    _p("pyramid", "unilevel", 119, "119: one below 'serious'"),
    _p("pyramid", "unilevel", 120, "120: exactly 'serious'"),
    _p("pyramid", "unilevel", 121, "121: above 'serious'"),
    _p("pyramid", "binary", 15, "binary, 15 members, 4 levels: below 30"),
    _p("pyramid", "matrix", 13, "3-wide matrix, 13 members, exactly 3 levels", width=3),
    _p("pyramid", "chain", 29, "a chain of 29"),
    _p("pyramid", "chain", 400, "a very deep chain", pay="mixed"),
    _p("pyramid", "wide", 200, "wide and shallow: 200 members, 2 levels", depth=2),
    _p("pyramid", "wide", 60, "wide, 3 levels", depth=3),
    _p("pyramid", "sub_leader", 45, "sub-leader with 29: one below", sub=29),
    _p("pyramid", "split", 36, "3 accounts of 12: 34 merged", parts=(12, 12, 12)),
    _p("pyramid", "unilevel", 300, "team pay on sales only (§5)", pay="sales"),
    _p("referral", "wide", 200, "referral program, one level of bonus", depth=3),
    _p("direct_selling", "unilevel", 150, "direct selling, 150 sellers"),
    _p("friends_shop", "star", 25, "friends' shop"),
    _p("pyramid", "unilevel", 40, "fees ¥2.73M: 'serious' by fees", fee_cny=69800),
    _p("pyramid", "unilevel", 36, "fees ¥2.44M: just below 'serious' by fees", fee_cny=69800),
)

ENTRY_CATALOGUE = (
    _p("pyramid", "unilevel", 40, "¥398 starter package, no entry fee, direct-referral bonus", pay="starter"),
    _p("free_bonus", "unilevel", 60, "free to join, recruitment bonuses on 3 levels (no art. 224-1 entry)"),
)
"""Planted after every other network, in worlds whose profile asks for them (``entry_catalogue``)."""

_PYRAMID_SHAPES = ("unilevel", "binary", "matrix", "chain", "wide", "sub_leader")
_PYRAMID_SHAPE_P = (0.35, 0.15, 0.15, 0.05, 0.15, 0.15)
_FEES_CNY = (680, 980, 2980, 3980, 6980, 21800, 69800)
STARTER_CNY = 398
_BONUS_LEVELS = {"referral": (1.0,), "free_bonus": (1.0, 1.0, 1.0)}


@dataclass
class Net:
    """A planted network: its members in tree order and the figures its truth rows need."""

    number: int
    plan: NetPlan
    local: np.ndarray  # chunk-local member index per tree position
    parent: np.ndarray  # tree position of the sponsor, -1 for a root
    top: np.ndarray  # tree position of the root of each member's tree
    depth: np.ndarray
    headcount: np.ndarray
    height: np.ndarray
    shop: int
    fee: int = 0
    levels: int = 0
    rec_rates: tuple[float, ...] = ()
    sale_rates: tuple[float, ...] = ()
    own_rate: float = 0.0
    micro_owner: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    micro_shop: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))


# --- trees --------------------------------------------------------------------------------


def build_tree(plan: NetPlan, rng: np.random.Generator) -> np.ndarray:
    """Parent positions (-1 for roots), every parent before its child."""
    n = plan.size
    i = np.arange(n, dtype=np.int64)
    if plan.shape == "split":
        parts = [_unilevel(s, rng) for s in plan.parts]
        offsets = np.concatenate([[0], np.cumsum(plan.parts)[:-1]])
        return np.concatenate([np.where(p >= 0, p + o, -1) for p, o in zip(parts, offsets, strict=True)])
    if plan.shape == "unilevel":
        return _unilevel(n, rng)
    if plan.shape == "binary":
        return np.where(i > 0, (i - 1) // 2, -1)
    if plan.shape == "matrix":
        return np.where(i > 0, (i - 1) // plan.width, -1)
    if plan.shape == "chain":
        return i - 1
    if plan.shape == "wide":
        if plan.depth <= 2:
            return np.where(i > 0, 0, -1)
        k = max(2, n // 3)
        parent = np.where(i > 0, 0, -1)
        deep = i > k
        parent[deep] = 1 + (rng.random(int(deep.sum())) * k).astype(np.int64)
        return parent
    if plan.shape == "sub_leader":
        # root -> intermediate -> sub-leader, whose own tree has plan.sub members and 3 levels
        s = plan.sub
        parent = np.full(n, -1, dtype=np.int64)
        parent[1] = 0
        parent[2] = 1
        front = max(2, (s - 1) // 4)
        j = np.arange(3, 2 + s)
        direct = j < 3 + front
        parent[j[direct]] = 2
        parent[j[~direct]] = 3 + (rng.random(int((~direct).sum())) * front).astype(np.int64)
        rest = np.arange(2 + s, n)
        parent[rest] = (rng.random(len(rest)) * 2).astype(np.int64)
        return parent
    if plan.shape == "star":
        return np.full(n, -1, dtype=np.int64)
    raise ValueError(f"unknown network shape {plan.shape!r}")


def _unilevel(n: int, rng: np.random.Generator) -> np.ndarray:
    """A random recursive tree (parent = floor(u * i)), with at least 3 levels when n ≥ 3."""
    i = np.arange(n, dtype=np.int64)
    parent = np.where(i > 0, (rng.random(n) * i).astype(np.int64), -1)
    if n >= 3:
        parent[2] = 1
    return parent


def tree_stats(parent: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(depth, headcount incl. self, height below, root) by pointer jumping and per-level sums."""
    n = len(parent)
    dist = (parent >= 0).astype(np.int64)
    anc = parent.copy()
    while True:
        m = anc >= 0
        if not m.any():
            break
        a = anc[m]
        dist[m] += dist[a]
        anc[m] = anc[a]
    root = np.where(parent >= 0, parent, np.arange(n))
    while True:
        nxt = root[root]
        if np.array_equal(nxt, root):
            break
        root = nxt
    size = np.ones(n, dtype=np.int64)
    height = np.zeros(n, dtype=np.int64)
    order = np.argsort(-dist, kind="stable")
    d_sorted = dist[order]
    bounds = np.flatnonzero(np.diff(d_sorted)) + 1
    for group in np.split(order, bounds):
        if len(group) == 0 or dist[group[0]] == 0:
            continue
        np.add.at(size, parent[group], size[group])
        np.maximum.at(height, parent[group], height[group] + 1)
    return dist, size, height, root


def subtree_sum(parent: np.ndarray, depth: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Sum of ``values`` over each node's downline (excluding itself), level by level."""
    total = values.astype(np.int64).copy()
    order = np.argsort(-depth, kind="stable")
    bounds = np.flatnonzero(np.diff(depth[order])) + 1
    for group in np.split(order, bounds):
        if len(group) and depth[group[0]] > 0:
            np.add.at(total, parent[group], total[group])
    return np.asarray(total - values, dtype=np.int64)


# --- planning -----------------------------------------------------------------------------


def _plans(chunk: Chunk, rng: np.random.Generator) -> list[NetPlan]:
    prof = chunk.profile
    plans: list[NetPlan] = []
    budget = int(chunk.free * 0.6)
    if chunk.index == 0 and prof.edge_catalogue > 0:
        for catalogue in (FULL_CATALOGUE, SMALL_CATALOGUE):
            if catalogue is FULL_CATALOGUE and prof.edge_catalogue < 1:
                continue
            if sum(p.size for p in catalogue) <= budget:
                plans.extend(catalogue)
                break
    entry = list(ENTRY_CATALOGUE) if prof.entry_catalogue and plans else []
    budget -= sum(p.size for p in entry)  # kept for the entry shapes, planted last
    used = sum(p.size for p in plans)
    for kind, share in (
        ("pyramid", prof.pyramid_share),
        ("referral", prof.referral_share),
        ("direct_selling", prof.direct_selling_share),
        ("friends_shop", prof.friends_shop_share),
    ):
        target = min(share * chunk.n, max(0, budget - used))
        placed = 0.0
        while target - placed >= 10:
            cap = min(prof.max_network_size, target - placed)
            if kind == "friends_shop":
                cap = min(cap, 40)
            size = int(np.exp(rng.uniform(np.log(10), np.log(max(cap, 10.5)))))
            size = max(10, min(size, int(target - placed)))
            if kind == "pyramid":
                shape = str(rng.choice(_PYRAMID_SHAPES, p=_PYRAMID_SHAPE_P))
                if shape == "chain":
                    size = min(size, 3000)
                if shape == "sub_leader" and size < 34:
                    shape = "unilevel"
                pay = str(rng.choice(("recruitment", "mixed", "sales"), p=(0.5, 0.35, 0.15)))
                sub = int(rng.integers(29, min(size - 3, 200) + 1)) if shape == "sub_leader" else 0
                plan = NetPlan(
                    kind,
                    shape,
                    size,
                    width=int(rng.integers(2, 6)),
                    depth=int(rng.integers(2, 4)),
                    sub=sub,
                    pay=pay,
                )
            elif kind == "referral":
                plan = NetPlan(kind, str(rng.choice(("unilevel", "wide"))), size, depth=3)
            elif kind == "direct_selling":
                plan = NetPlan(kind, "unilevel", size)
            else:
                plan = NetPlan(kind, "star", size)
            plans.append(plan)
            placed += size
        used += int(placed)
    # split-downline persons: 2-3 accounts each under 30, together at least 30
    n_split = chunk.stochastic_count(prof.split_persons_per_million, rng)
    for _ in range(n_split):
        k = int(rng.integers(2, 4))
        parts = tuple(int(x) for x in rng.integers(max(8, 32 // k + 1), 30, k))
        if used + sum(parts) > budget:
            break
        plans.append(NetPlan("pyramid", "split", sum(parts), parts=parts, note="split downline"))
        used += sum(parts)
    return plans + entry


def plant_networks(chunk: Chunk, calendar: Calendar) -> list[Net]:
    """Reserve members, set sponsors and join times, open the networks' shops."""
    rng = chunk.rng(20)
    nets: list[Net] = []
    for plan in _plans(chunk, rng):
        if plan.size > chunk.free:
            break
        local = chunk.take(plan.size, NETWORK)
        parent = build_tree(plan, rng)
        depth, headcount, height, top = tree_stats(parent)
        n = plan.size
        # joins: parents first, spread over a growth period
        start = chunk.start_us + int(rng.random() * max(1, chunk.end_us - chunk.start_us - 200 * F.DAY_US))
        span = int(rng.uniform(30, 400) * F.DAY_US)
        offsets = np.sort((rng.random(n) * span).astype(np.int64))
        offsets[0] = 0
        joined = np.minimum(start + offsets, chunk.end_us - F.DAY_US)
        chunk.joined[local] = joined
        has = parent >= 0
        chunk.sponsor[local[has]] = chunk.glob(local[parent[has]])
        hidden = has & (rng.random(n) < chunk.profile.hidden_sponsor_share)
        chunk.sponsor[local[hidden]] = -1  # truth keeps it; the export lost it
        chunk.protected_members[local] = True
        number = chunk.counters.network
        chunk.counters.network += 1
        root_local = local[0]
        shop = int(
            chunk.add_merchants(
                chunk.glob(np.array([root_local])),
                0,
                np.array([joined[0] + F.HOUR_US]),
                weight=np.array([0.0]),
                protected=True,
            )[0]
        )
        net = Net(number, plan, local, parent, top, depth, headcount, height, shop)
        if plan.kind == "pyramid":
            fees = _FEES_CNY[:3] if plan.note else _FEES_CNY
            fee = plan.fee_cny or int(rng.choice(fees))
            net.fee = 0 if plan.pay in ("sales", "starter") else fee * F.MONEY_UNIT
            net.levels = int(rng.integers(10, 31)) if plan.shape == "chain" else int(rng.integers(3, 10))
            base = rng.uniform(0.12, 0.3)
            rates = tuple(round(base * 0.6**i, 4) for i in range(net.levels))
            if plan.pay in ("recruitment", "mixed"):
                net.rec_rates = rates
            if plan.pay == "starter":  # a bonus per recruit to the direct sponsor only
                net.rec_rates, net.levels = (1.0,), 1
            if plan.pay in ("mixed", "sales"):
                net.sale_rates = tuple(round(r / 2, 4) for r in rates)
            # micro-shops: members reselling to outsiders
            k = int(rng.binomial(n - 1, chunk.profile.micro_shop_share)) if n > 1 else 0
            owners = 1 + rng.choice(n - 1, size=k, replace=False) if k else np.zeros(0, np.int64)
            owners.sort()
            net.micro_owner = owners
            net.micro_shop = chunk.add_merchants(
                chunk.glob(local[owners]),
                0,
                joined[owners] + F.DAY_US,
                weight=np.zeros(k),
                protected=True,
            )
        elif plan.kind == "direct_selling":
            net.own_rate = round(float(rng.uniform(0.1, 0.3)), 4)
        elif plan.kind in _BONUS_LEVELS:
            net.fee = 0
            net.rec_rates = _BONUS_LEVELS[plan.kind]
            net.levels = len(net.rec_rates)
        if plan.shape == "split":
            _split_person(chunk, net)
        nets.append(net)
        chunk.count(f"networks_{plan.kind}", 1)
    return nets


def _split_person(chunk: Chunk, net: Net) -> None:
    """Give the roots of a split network one person's phone, ID number and bank account."""
    roots = net.local[net.parent < 0]
    first = chunk.glob(roots[:1])[0]
    for arr in (chunk.phone, chunk.id_number, chunk.bank):
        arr[roots] = first
    chunk.name_key[roots] = first
    person = chunk.counters.person
    chunk.counters.person += 1
    k = len(roots)
    chunk.add_truth(
        "persons",
        persons_table(
            np.full(k, person),
            chunk.glob(roots),
            np.arange(k) == 0,
            pa.array(["phone|id_number|bank_account"] * k),
            split=True,
            network=np.full(k, net.number),
        ),
    )
    chunk.count("split_persons", 1)


# --- money ---------------------------------------------------------------------------------


def trade_networks(chunk: Chunk, nets: list[Net], shelf: Shelf, calendar: Calendar) -> None:
    """Fees, own purchases, sales to outsiders and the commissions they trigger; then truth."""
    rng = chunk.rng(21)
    outsiders = np.flatnonzero(chunk.role == HONEST)
    ties: list[Ties] = []
    for net in nets:
        plan = net.plan
        n = plan.size
        glob = chunk.glob(net.local)
        joined = chunk.joined[net.local]
        pays: list[Payments] = []
        fees = np.zeros(n, np.int64)
        comm = np.zeros(n, np.int64)
        purchases = np.zeros(n, np.int64)
        sales = np.zeros(n, np.int64)
        nonroot = np.flatnonzero(net.parent >= 0)
        # entry fees, paid to the top of the member's tree
        if net.fee and len(nonroot):
            paid = joined[nonroot] + (rng.random(len(nonroot)) * 2 * F.HOUR_US).astype(np.int64)
            pays.append(
                payments_batch(
                    payer=glob[nonroot],
                    payee=glob[net.top[nonroot]],
                    amount=np.full(len(nonroot), net.fee),
                    kind="entry_fee",
                    paid=paid,
                )
            )
            fees[nonroot] += net.fee
        # a starter package every recruit buys on joining, at one price (a disguised entry fee)
        if plan.pay == "starter" and len(nonroot):
            batch = emit_orders(
                chunk,
                rng,
                calendar,
                shelf,
                net.local[nonroot],
                np.full(len(nonroot), net.shop),
                review_p=0.3,
                protected=True,
                listing=np.full(len(nonroot), -1),
                status=np.full(len(nonroot), STATUS["completed"], dtype=np.int8),
                placed=joined[nonroot] + F.HOUR_US,
                price=(STARTER_CNY * F.MONEY_UNIT, CNY),
            )
            pos = _positions(net, chunk.local(batch.buyer))
            np.add.at(purchases, pos, batch.amount)
        # recruitment rewards up the line: a bonus per recruit (referral programs, starter
        # schemes, free-to-join bonus plans) or a share of the entry fee
        if net.rec_rates and len(nonroot):
            if plan.kind in _BONUS_LEVELS or plan.pay == "starter":
                bonus = int(rng.choice((10, 20, 30, 50))) * F.MONEY_UNIT
                pays.extend(
                    _upline(
                        net,
                        nonroot,
                        joined[nonroot],
                        np.full(len(nonroot), bonus),
                        net.rec_rates,
                        "recruitment",
                        rng,
                        glob,
                        comm,
                        kind="bonus",
                    )
                )
            else:
                pays.extend(
                    _upline(
                        net,
                        nonroot,
                        joined[nonroot],
                        np.full(len(nonroot), net.fee),
                        net.rec_rates,
                        "recruitment",
                        rng,
                        glob,
                        comm,
                    )
                )
        # participants' own purchases at the company shop
        if plan.kind != "friends_shop" and len(nonroot):
            mean = {"pyramid": 2.0, "referral": 0.8, "free_bonus": 0.8, "direct_selling": 0.5}[plan.kind]
            per = rng.poisson(mean, len(nonroot))
            who = np.repeat(nonroot, per)
            if len(who):
                batch = emit_orders(
                    chunk,
                    rng,
                    calendar,
                    shelf,
                    net.local[who],
                    np.full(len(who), net.shop),
                    review_p=0.5,
                    protected=True,
                )
                pos = _positions(net, chunk.local(batch.buyer))
                ok = _paid(batch.status)
                np.add.at(purchases, pos[ok], batch.amount[ok])
                pays.extend(_team_pay(net, batch, pos, ok, rng, glob, comm))
        # sales to outsiders: at members' micro-shops (pyramids), or credited to a seller
        if len(outsiders) and plan.kind == "pyramid" and len(net.micro_owner):
            per = rng.poisson(chunk.profile.outsider_buyers_per_shop, len(net.micro_owner))
            seller = np.repeat(net.micro_owner, per)
            shops = np.repeat(net.micro_shop, per)
            if len(seller):
                buyers = outsiders[rng.integers(0, len(outsiders), len(seller))]
                batch = emit_orders(
                    chunk,
                    rng,
                    calendar,
                    shelf,
                    buyers,
                    shops,
                    review_p=0.5,
                    protected=True,
                    lo=joined[seller] + F.DAY_US,
                )
                pos = _positions_by_shop(net, batch.merchant)
                ok = _paid(batch.status)
                np.add.at(sales, pos[ok], batch.amount[ok])
                pays.extend(_team_pay(net, batch, pos, ok, rng, glob, comm))
        if len(outsiders) and plan.kind == "direct_selling" and len(nonroot):
            per = rng.poisson(chunk.profile.outsider_buyers_per_shop, len(nonroot))
            seller = np.repeat(nonroot, per)
            if len(seller):
                buyers = outsiders[rng.integers(0, len(outsiders), len(seller))]
                batch = emit_orders(
                    chunk,
                    rng,
                    calendar,
                    shelf,
                    buyers,
                    np.full(len(seller), net.shop),
                    review_p=0.5,
                    protected=True,
                    lo=joined[seller] + F.DAY_US,
                )
                seller = seller[batch.perm]  # the batch is sorted by time
                ok = _paid(batch.status)
                np.add.at(sales, seller[ok], batch.amount[ok])
                amount = (batch.amount[ok] * net.own_rate).astype(np.int64)
                np.add.at(comm, seller[ok], amount)
                onums = batch.first + np.arange(len(seller))
                pays.append(
                    payments_batch(
                        payer=np.full(int(ok.sum()), glob[0]),
                        payee=glob[seller[ok]],
                        amount=amount,
                        kind="commission",
                        paid=np.minimum(batch.placed[ok] + 7 * F.DAY_US, chunk.end_us - 1),
                        order=onums[ok],
                        basis="own_sales",
                        currency=batch.currency[ok],
                    )
                )
        if plan.kind == "friends_shop" and n > 1:
            friends = np.arange(1, n)
            per = rng.integers(1, 6, n - 1)
            who = np.repeat(friends, per)
            emit_orders(
                chunk,
                rng,
                calendar,
                shelf,
                net.local[who],
                np.full(len(who), net.shop),
                review_p=0.7,
                protected=True,
                forced_rating=np.where(rng.random(len(who)) < 0.5, 5, 0),
            )
        for p in pays:
            chunk.add_payments(p)
        ties.extend(_network_ties(chunk, net, rng))
        _truth(chunk, net, fees, comm, purchases, sales)
    for t in ties:
        chunk.add_ties(t)


def _paid(status: np.ndarray) -> np.ndarray:
    return ~np.isin(status, (STATUS["placed"], STATUS["cancelled"]))


def _positions(net: Net, local: np.ndarray) -> np.ndarray:
    order = np.argsort(net.local)
    return order[np.searchsorted(net.local[order], local)]


def _positions_by_shop(net: Net, shop: np.ndarray) -> np.ndarray:
    return net.micro_owner[np.searchsorted(net.micro_shop, shop)]


def _team_pay(
    net: Net,
    batch: Orders,
    pos: np.ndarray,
    ok: np.ndarray,
    rng: np.random.Generator,
    glob: np.ndarray,
    comm: np.ndarray,
) -> list[Payments]:
    """Commissions on a batch of paid orders, up the seller's line, three days after each sale."""
    if not net.sale_rates:
        return []
    onums = batch.first + np.arange(len(pos))
    return _upline(
        net,
        pos[ok],
        batch.placed[ok] + 3 * F.DAY_US,
        batch.amount[ok],
        net.sale_rates,
        "downline_sales",
        rng,
        glob,
        comm,
        order=onums[ok],
        currency=batch.currency[ok],
    )


def _upline(
    net: Net,
    pos: np.ndarray,
    when: np.ndarray,
    base: np.ndarray,
    rates: tuple[float, ...],
    basis: str,
    rng: np.random.Generator,
    glob: np.ndarray,
    comm: np.ndarray,
    *,
    order: np.ndarray | None = None,
    currency: np.ndarray | None = None,
    kind: str = "commission",
) -> list[Payments]:
    """Pay ``rates[l-1] * base`` to the upline ``l`` steps above each position (not the top)."""
    out: list[Payments] = []
    cur = net.parent[pos]
    for level, rate in enumerate(rates, start=1):
        ok = (cur >= 0) & (cur != net.top[pos])
        if not ok.any():
            if not (cur >= 0).any():
                break
            cur = np.where(cur >= 0, net.parent[np.maximum(cur, 0)], -1)
            continue
        amount = base[ok] if kind == "bonus" else (base[ok] * rate).astype(np.int64)
        np.add.at(comm, cur[ok], amount)
        delay = ((1 + rng.random(int(ok.sum())) * 5) * F.DAY_US).astype(np.int64)
        out.append(
            payments_batch(
                payer=glob[net.top[pos[ok]]],
                payee=glob[cur[ok]],
                amount=amount,
                kind=kind,
                paid=when[ok] + delay,
                order=None if order is None else order[ok],
                basis=basis,
                level=level,
                currency=CNY if currency is None else currency[ok],
            )
        )
        cur = np.where(cur >= 0, net.parent[np.maximum(cur, 0)], -1)
    return out


def _network_ties(chunk: Chunk, net: Net, rng: np.random.Generator) -> list[Ties]:
    """Recruitment runs along friendships; a pyramid also has its group chat."""
    glob = chunk.glob(net.local)
    joined = chunk.joined[net.local]
    out = []
    has = np.flatnonzero(net.parent >= 0)
    if net.plan.shape == "star":
        has = np.arange(1, net.plan.size)
        sponsor = np.zeros(len(has), np.int64)
    else:
        sponsor = net.parent[has]
        if net.plan.shape == "matrix":  # spill-over: the real recruiter is often higher up
            up = net.parent[np.maximum(sponsor, 0)]
            spill = (up >= 0) & (rng.random(len(has)) < 0.5)
            sponsor = np.where(spill, up, sponsor)
    if len(has):
        since = np.maximum(
            joined[sponsor], joined[has] - (rng.random(len(has)) * 30 * F.DAY_US).astype(np.int64)
        )
        out.append(Ties(glob[sponsor], glob[has], np.full(len(has), -1), since))
    if net.plan.kind in ("pyramid", "direct_selling") and net.plan.size > 1:
        gid = chunk.counters.group
        chunk.counters.group += 1
        members = np.arange(1, net.plan.size)
        out.append(
            Ties(np.full(len(members), glob[0]), glob[members], np.full(len(members), gid), joined[members])
        )
    return out


def _truth(
    chunk: Chunk, net: Net, fees: np.ndarray, comm: np.ndarray, purchases: np.ndarray, sales: np.ndarray
) -> None:
    plan = net.plan
    n = plan.size
    glob = chunk.glob(net.local)
    levels = net.depth + 1
    headcount = net.headcount
    below = net.height + 1
    criminal = plan.kind == "pyramid" and plan.pay != "sales"
    organizer = criminal & (headcount >= ORGANIZER_MEMBERS) & (below >= ORGANIZER_LEVELS)
    downline_fees = subtree_sum(net.parent, net.depth, fees)
    serious = organizer & ((headcount >= SERIOUS_MEMBERS) | (downline_fees >= SERIOUS_FEES))
    roots = np.flatnonzero(net.parent < 0)
    merged = int(n - (len(roots) - 1)) if plan.shape == "split" else n
    tree_levels = int(levels.max()) if plan.shape != "star" else 1
    merged_org = np.zeros(n, bool)
    if plan.shape == "split" and criminal:
        merged_org[roots] = merged >= ORGANIZER_MEMBERS and tree_levels >= ORGANIZER_LEVELS
        chunk.count("split_organizers", int(merged_org.any()))
    chunk.count("organizers", int(organizer.sum()))
    net_income = comm + sales - fees - purchases
    micro = np.full(n, -1, np.int64)
    micro[net.micro_owner] = net.micro_shop
    nid = F.ids("N", np.full(n, net.number), 6)
    chunk.add_truth(
        "pyramid_members",
        pa.table(
            {
                "member_id": member_id(glob),
                "network_id": nid,
                "level": F.ints(levels),
                "sponsor_hidden": pa.array((net.parent >= 0) & (chunk.sponsor[net.local] < 0)),
                "sponsor_id": F.opt_ids(
                    "M", np.where(net.parent >= 0, glob[np.maximum(net.parent, 0)], -1), 9
                ),
                "headcount": F.ints(headcount),
                "levels_below": F.ints(below),
                "organizer": pa.array(organizer),
                "organizer_merged": pa.array(organizer | merged_org),
                "serious": pa.array(serious),
                "fees_paid": F.money(fees),
                "downline_fees": F.money(downline_fees),
                "commissions_received": F.money(comm),
                "purchases": F.money(purchases),
                "sales_to_outsiders": F.money(sales),
                "net_income": F.money(net_income),
                "micro_shop_id": F.opt_ids("S", micro, 8),
            }
        ),
    )
    legit = plan.kind != "pyramid"
    chunk.add_truth(
        "pyramid_networks",
        pa.table(
            {
                "network_id": nid[:1],
                "kind": [plan.kind],
                "shape": [plan.shape],
                "legit": [legit],
                "pay_basis": [
                    plan.pay
                    if plan.kind == "pyramid"
                    else {
                        "referral": "recruitment",
                        "free_bonus": "recruitment",
                        "direct_selling": "own_sales",
                        "friends_shop": "none",
                    }[plan.kind]
                ],
                "root_member_id": member_id(glob[:1]),
                "merchant_id": F.ids("S", np.array([net.shop]), 8),
                "members": F.ints(np.array([n])),
                "persons": F.ints(np.array([merged])),
                "levels": F.ints(np.array([tree_levels])),
                "entry_fee": F.money(np.array([net.fee])),
                "currency": ["CNY"],
                "commission_levels": F.ints(
                    np.array(
                        [
                            len(net.rec_rates)
                            if plan.kind in _BONUS_LEVELS
                            else max(len(net.rec_rates), len(net.sale_rates))
                        ]
                    )
                ),
                "recruitment_rates": [
                    "bonus"
                    if plan.kind in _BONUS_LEVELS or plan.pay == "starter"
                    else ",".join(f"{r:g}" for r in net.rec_rates)
                ],
                "sales_rates": [",".join(f"{r:g}" for r in net.sale_rates)],
                "own_sales_rate": [net.own_rate],
                "fees_total": F.money(np.array([int(fees.sum())])),
                "commissions_total": F.money(np.array([int(comm.sum())])),
                "share_losing_money": [float((net_income < 0).mean())],
                "organizers": F.ints(np.array([int(organizer.sum())])),
                "matrix_width": F.ints(np.array([plan.width if plan.shape == "matrix" else 0])),
                "note": [plan.note],
            }
        ),
    )
    if legit:
        kind = plan.kind
        chunk.add_truth(
            "lookalikes",
            lookalikes_table(chunk, kind, "network", [F.ids("N", np.array([net.number]), 6)], ["network"]),
        )
