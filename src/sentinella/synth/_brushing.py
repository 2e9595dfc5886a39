"""Brushing rings (fake buyers and 5-star reviews) and the honest crowds that resemble them."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from . import _fmt as F
from ._chunk import FAKE, FAMILY_DEVICE, HONEST, LOOKALIKE, RING_DEVICE, STATUS, Chunk, Ties, payments_batch
from ._commerce import Shelf, emit_orders
from ._people import member_id
from ._time import Calendar
from ._truth import lookalikes_table

RING_ADDRESS = 6_000_000_000


@dataclass
class Ring:
    number: int
    merchant: int
    owner: int  # global member number
    fakes: np.ndarray  # local
    pattern: str
    start: int
    devices: np.ndarray  # device key per fake
    addresses: np.ndarray  # the ring's drop addresses
    shared_bank: bool


@dataclass
class Lookalike:
    kind: str
    merchant: int
    owner: int
    buyers: np.ndarray  # local


def plant_rings(chunk: Chunk) -> list[Ring]:
    """Reserve fake accounts (fresh, sharing devices) and open the shops they boost."""
    rng = chunk.rng(30)
    prof = chunk.profile
    n = chunk.stochastic_count(prof.rings_per_million, rng)
    if chunk.index == 0:
        n = max(n, prof.min_rings)
    rings: list[Ring] = []
    for _ in range(n):
        k = int(rng.integers(10, 31))
        if chunk.free < 4 * (k + 1):
            break
        fakes = chunk.take(k, FAKE)
        owner = chunk.take(1, HONEST)
        number = chunk.counters.ring
        chunk.counters.ring += 1
        start = int(rng.integers(chunk.start_us + 60 * F.DAY_US, chunk.end_us - 90 * F.DAY_US))
        opened = max(int(chunk.joined[owner[0]]) + F.DAY_US, start - int(rng.integers(30, 200)) * F.DAY_US)
        merchant = int(
            chunk.add_merchants(
                chunk.glob(owner), 0, np.array([opened]), weight=np.array([0.3]), protected=True
            )[0]
        )
        chunk.joined[fakes] = start - (rng.uniform(1, 20, k) * F.DAY_US).astype(np.int64)
        n_dev = max(1, k // int(rng.integers(3, 7)))
        devices = RING_DEVICE + number * 64 + rng.integers(0, n_dev, k)
        chunk.device[fakes] = devices
        shared_bank = bool(rng.random() < 0.5)
        if shared_bank:
            chunk.bank[fakes] = chunk.glob(fakes[:1])[0]
        addresses = RING_ADDRESS + number * 8 + np.arange(int(rng.integers(1, 4)))
        chunk.protected_members[fakes] = True
        pattern = ("burst", "drip")[number % 2]
        rings.append(
            Ring(
                number,
                merchant,
                int(chunk.glob(owner)[0]),
                fakes,
                pattern,
                start,
                devices,
                addresses,
                shared_bank,
            )
        )
        chunk.count("rings", 1)
        chunk.count("ring_members", k)
    return rings


def trade_rings(chunk: Chunk, rings: list[Ring], shelf: Shelf, calendar: Calendar) -> None:
    """Target orders with forced 5-star reviews, camouflage purchases, and the cashback."""
    rng = chunk.rng(31)
    weight = np.concatenate(chunk.merchants.weight) if chunk.merchants.weight else np.zeros(0)
    market = np.flatnonzero(weight > 0)
    cum = np.cumsum(weight[market]) / weight[market].sum() if len(market) else np.zeros(0)
    for ring in rings:
        k = len(ring.fakes)
        # the campaign runs on listings already up when it starts
        lm = ring.merchant - shelf.first
        rows = shelf.rows[shelf.starts[lm] : shelf.starts[lm] + shelf.counts[lm]]
        opened = int(np.concatenate(chunk.merchants.opened)[lm])
        first_listed = int(shelf.listed[rows].min()) if len(rows) else opened
        ring.start = min(max(ring.start, opened, first_listed) + F.DAY_US, chunk.end_us - 62 * F.DAY_US)
        usable = rows[shelf.listed[rows] < ring.start] if len(rows) else rows
        per = rng.integers(1, 3, k) if ring.pattern == "burst" else rng.integers(2, 6, k)
        who = np.repeat(np.arange(k), per)
        m = len(who)
        if ring.pattern == "burst":
            centers = ring.start + rng.integers(0, 30, int(rng.integers(1, 4))) * F.DAY_US
            placed = centers[rng.integers(0, len(centers), m)] + (rng.random(m) * 2 * F.HOUR_US).astype(
                np.int64
            )
        else:
            placed = ring.start + (rng.random(m) * 60 * F.DAY_US).astype(np.int64)
        if len(usable):
            cheap = usable[np.argmin(shelf.price[usable])]
            anyone = usable[rng.integers(0, len(usable), m)]
            listing = np.where(rng.random(m) < 0.7, cheap, anyone)
        else:
            listing = np.full(m, -1, dtype=np.int64)
        target = emit_orders(
            chunk,
            rng,
            calendar,
            shelf,
            ring.fakes[who],
            np.full(m, ring.merchant),
            review_p=1.0,
            protected=True,
            listing=listing,
            status=np.array(STATUS["completed"]),
            forced_rating=5,
            placed=placed,
            address=ring.addresses[rng.integers(0, len(ring.addresses), m)],
            device=ring.devices[who],
        )
        # camouflage: the same accounts buying ordinary things from ordinary shops
        per_c = rng.integers(1, 4, k) if len(market) else np.zeros(k, np.int64)
        who_c = np.repeat(np.arange(k), per_c)
        shops = market[np.searchsorted(cum, rng.random(len(who_c)))] + chunk.merchant_first
        who_c, shops = who_c[shops != ring.merchant], shops[shops != ring.merchant]
        mc = len(who_c)
        camo_numbers = np.zeros(0, np.int64)
        if mc:
            when = ring.start + ((rng.random(mc) * 100 - 20) * F.DAY_US).astype(np.int64)
            camo = emit_orders(
                chunk,
                rng,
                calendar,
                shelf,
                ring.fakes[who_c],
                shops,
                review_p=0.6,
                protected=True,
                placed=when,
                address=ring.addresses[rng.integers(0, len(ring.addresses), mc)],
                device=ring.devices[who_c],
            )
            camo_numbers = camo.first + np.arange(mc)
        fee = rng.integers(3, 16, m) * F.MONEY_UNIT
        chunk.add_payments(
            payments_batch(
                payer=np.full(m, ring.owner),
                payee=target.buyer,
                amount=target.amount + fee,
                kind="other",
                paid=np.minimum(
                    np.maximum(target.completed, target.placed)
                    + (rng.random(m) * 2 * F.DAY_US).astype(np.int64),
                    chunk.end_us - 1,
                ),
                currency=target.currency,
            )
        )
        gid = chunk.counters.group
        chunk.counters.group += 1
        glob = chunk.glob(ring.fakes)
        chunk.add_ties(
            Ties(np.full(k - 1, glob[0]), glob[1:], np.full(k - 1, gid), chunk.joined[ring.fakes[1:]])
        )
        rid = F.ids("BR", np.full(1, ring.number), 6)
        target_numbers = target.first + np.arange(m)
        chunk.count("ring_orders", m)
        chunk.add_truth(
            "brushing_rings",
            pa.table(
                {
                    "ring_id": rid,
                    "merchant_id": F.ids("S", np.array([ring.merchant]), 8),
                    "pattern": [ring.pattern],
                    "members": F.ints(np.array([k])),
                    "target_orders": F.ints(np.array([m])),
                    "camouflage_orders": F.ints(np.array([mc])),
                    "devices": F.ints(np.array([len(np.unique(ring.devices))])),
                    "addresses": F.ints(np.array([len(ring.addresses)])),
                    "shared_bank_account": [ring.shared_bank],
                    "chat_group_id": F.ids("G", np.array([gid]), 8),
                    "first_order_at": F.timestamps(np.array([target.placed.min()])),
                    "last_order_at": F.timestamps(np.array([target.placed.max()])),
                }
            ),
        )
        chunk.add_truth(
            "ring_members",
            pa.table(
                {
                    "ring_id": F.ids("BR", np.full(k, ring.number), 6),
                    "member_id": member_id(glob),
                    "device_id": F.devices(ring.devices),
                }
            ),
        )
        numbers = np.concatenate([target_numbers, camo_numbers])
        chunk.add_truth(
            "ring_orders",
            pa.table(
                {
                    "ring_id": F.ids("BR", np.full(len(numbers), ring.number), 6),
                    "order_id": F.ids("O", numbers, 10),
                    "role": pa.array(["target"] * m + ["camouflage"] * mc),
                }
            ),
        )


def plant_lookalikes(chunk: Chunk) -> list[Lookalike]:
    """Loyal repeat buyers, a family buying from a relative, a flash sale: all honest."""
    rng = chunk.rng(32)
    prof = chunk.profile
    n = chunk.stochastic_count(prof.ring_lookalikes_per_million, rng)
    kinds = ["loyal_buyers", "family_shop", "flash_sale"]
    plan = kinds * (prof.min_ring_lookalikes if chunk.index == 0 else 0)
    plan += [kinds[i % 3] for i in rng.integers(0, 3, n)]
    weight = np.concatenate(chunk.merchants.weight) if chunk.merchants.weight else np.zeros(0)
    owners = np.concatenate(chunk.merchants.owner) if chunk.merchants.owner else np.zeros(0, np.int64)
    ranked = np.argsort(-weight, kind="stable")
    ranked = ranked[weight[ranked] > 0]
    out: list[Lookalike] = []
    used_top = 0
    for kind in plan:
        if chunk.free < 60:
            break
        if kind == "loyal_buyers":
            if used_top >= len(ranked):
                continue
            local_m = int(ranked[used_top])
            used_top += 1
            buyers = chunk.take(int(rng.integers(20, 41)), LOOKALIKE)
            out.append(Lookalike(kind, local_m + chunk.merchant_first, int(owners[local_m]), buyers))
        elif kind == "family_shop":
            relative = chunk.take(1, LOOKALIKE)
            family = chunk.take(int(rng.integers(3, 9)), LOOKALIKE)
            kids = family[1 : 1 + int(rng.integers(0, 3))]
            chunk.device[kids] = FAMILY_DEVICE + chunk.glob(relative)[0]
            opened = int(chunk.joined[relative[0]]) + F.DAY_US
            shop = int(
                chunk.add_merchants(
                    chunk.glob(relative), 0, np.array([opened]), weight=np.array([0.5]), protected=True
                )[0]
            )
            chunk.protected_members[family] = True
            out.append(Lookalike(kind, shop, int(chunk.glob(relative)[0]), family))
        else:
            mid = ranked[len(ranked) // 3 : max(len(ranked) // 3 + 1, 2 * len(ranked) // 3)]
            if len(mid) == 0:
                continue
            local_m = int(rng.choice(mid))
            honest = np.flatnonzero(chunk.role == HONEST)
            size = min(int(rng.integers(60, 251)), len(honest))
            buyers = rng.choice(honest, size=size, replace=False)
            out.append(Lookalike(kind, local_m + chunk.merchant_first, int(owners[local_m]), buyers))
    return out


def trade_lookalikes(chunk: Chunk, looks: list[Lookalike], shelf: Shelf, calendar: Calendar) -> None:
    rng = chunk.rng(33)
    for lk in looks:
        b = lk.buyers
        if lk.kind == "loyal_buyers":
            per = rng.integers(4, 13, len(b))
            who = np.repeat(b, per)
            emit_orders(
                chunk, rng, calendar, shelf, who, np.full(len(who), lk.merchant), review_p=0.7, protected=True
            )
        elif lk.kind == "family_shop":
            per = rng.integers(2, 7, len(b))
            who = np.repeat(b, per)
            head = chunk.glob(b[:1])[0]
            tablet = FAMILY_DEVICE + lk.owner
            own = np.where(chunk.device[who] >= 0, chunk.device[who], chunk.glob(who))
            device = np.where(rng.random(len(who)) < 0.4, tablet, own)
            forced = np.where(rng.random(len(who)) < 0.8, 5, 0)
            emit_orders(
                chunk,
                rng,
                calendar,
                shelf,
                who,
                np.full(len(who), lk.merchant),
                review_p=0.8,
                protected=True,
                address=np.full(len(who), head),
                device=device,
                forced_rating=forced,
            )
            fam = chunk.glob(np.concatenate([b, chunk.local(np.array([lk.owner]))]))
            a, c = fam[:-1], fam[1:]
            since = np.maximum(chunk.joined[chunk.local(a)], chunk.joined[chunk.local(c)])
            chunk.add_ties(Ties(a, c, np.full(len(a), -1), since))
        else:
            item = shelf.pick(rng, np.array([lk.merchant]))[0]
            opened = np.concatenate(chunk.merchants.opened)[lk.merchant - chunk.merchant_first]
            listed = shelf.listed[item] if item >= 0 and len(shelf.listed) else -1
            day = max(_sale_day(chunk, rng), int(opened) + F.DAY_US, int(listed) + F.DAY_US)
            day = min(day, chunk.end_us - 2 * F.HOUR_US)
            placed = day + (rng.random(len(b)) * F.HOUR_US).astype(np.int64)
            chunk.joined[b] = np.minimum(chunk.joined[b], day - F.DAY_US)
            emit_orders(
                chunk,
                rng,
                calendar,
                shelf,
                b,
                np.full(len(b), lk.merchant),
                review_p=0.5,
                protected=True,
                placed=placed,
                listing=np.full(len(b), item),
                lo=np.full(len(b), day),
            )
        roles = ["merchant", "buyer"]
        ids = [F.ids("S", np.array([lk.merchant]), 8), member_id(chunk.glob(b))]
        if lk.kind == "family_shop":
            roles.append("owner")
            ids.append(member_id(np.array([lk.owner])))
        chunk.add_truth("lookalikes", lookalikes_table(chunk, lk.kind, "merchant", ids, roles))


def _sale_day(chunk: Chunk, rng: np.random.Generator) -> int:
    """Midnight of a Singles' Day inside the window, else of a random day."""
    from datetime import UTC, datetime

    start = datetime.fromtimestamp(chunk.start_us / 1e6, tz=UTC)
    for year in range(start.year, start.year + 3):
        t = int(datetime(year, 11, 11, tzinfo=UTC).timestamp()) * F.US - 8 * F.HOUR_US
        if chunk.start_us <= t < chunk.end_us - 30 * F.DAY_US and rng.random() < 0.7:
            return t
    days = (chunk.end_us - chunk.start_us) // F.DAY_US - 30
    return chunk.start_us + int(rng.integers(0, max(days, 1))) * F.DAY_US
