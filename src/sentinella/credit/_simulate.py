"""Rating worlds with a planted true quality and attackers, for the robustness benchmark and tests.

Honest buyers rate ``per_rater`` distinct merchants: round(quality + N(0, noise)) clipped to 1–5.
Attackers are a share ``p`` of the raters (spammers) or of each target's ratings (coordinated):

- ``random`` / ``extreme``: spammers rating ``per_rater`` random merchants 1–5 uniformly, or 1 or 5;
- ``ballot``: persistent accounts giving 5 to the worst 5% of merchants;
- ``badmouth``: persistent accounts giving 1 to the best 5%;
- ``sybil``: one ring whose every account gives 5 to each of the worst 5% and 1 to each of the best 5%;
- ``onoff``: accounts that first rate ``per_rater`` merchants honestly (earning reputation), then
  give 5 to one of the worst 5%;
- ``whitewash``: every attacking rating from a brand-new account (identities shed after each
  use), 5 to the worst 5% and 1 to the best 5%.

The world is written as a store (one completed order per rating, distinct listings, spread over
150 days) and scored by :func:`run_credit`, so the figures are those of the real pipeline.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from numpy.typing import NDArray

from sentinella.store import Store

from ._analysis import run_credit

ATTACKS = ("none", "random", "extreme", "ballot", "badmouth", "sybil", "onoff", "whitewash")
SPAMMERS = ("random", "extreme")
AS_OF = dt.date(2024, 6, 30)


@dataclass(frozen=True)
class World:
    quality: NDArray[np.float64]  # per merchant
    rater: NDArray[np.int64]
    merchant: NDArray[np.int64]
    rating: NDArray[np.int64]
    boosted: NDArray[np.int64]  # merchants attackers push up (worst 5%)
    smeared: NDArray[np.int64]  # merchants attackers push down (best 5%)


@dataclass(frozen=True)
class Outcome:
    attack: str
    share: float
    tau: dict[str, float]  # method -> Kendall tau-b against the true quality
    held: dict[str, bool]  # method -> boosted stay in the bottom 10%, smeared in the top 10%


METHODS = ("mean", "taobao_points", "robust")


def simulate(
    attack: str,
    share: float,
    *,
    seed: int = 7,
    merchants: int = 200,
    raters: int = 2500,
    per_rater: int = 8,
    noise: float = 0.8,
) -> World:
    if attack not in ATTACKS:
        raise ValueError(f"unknown attack {attack!r}: one of {', '.join(ATTACKS)}")
    rng = np.random.default_rng(seed)
    quality = rng.uniform(1.0, 5.0, merchants)
    order = np.argsort(quality)
    k = max(1, merchants // 20)
    boosted, smeared = order[:k], order[-k:]
    raters_list, merchants_list, ratings_list = [], [], []

    def honest_votes(first_id: int, count: int) -> None:
        picks = np.argsort(rng.random((count, merchants)), axis=1)[:, :per_rater]
        who = np.repeat(np.arange(first_id, first_id + count), per_rater)
        where = picks.ravel()
        stars = np.clip(np.rint(quality[where] + rng.normal(0, noise, where.size)), 1, 5)
        raters_list.append(who)
        merchants_list.append(where)
        ratings_list.append(stars.astype(np.int64))

    def add(who: NDArray[np.int64], where: NDArray[np.int64], stars: NDArray[np.int64]) -> None:
        raters_list.append(who.astype(np.int64))
        merchants_list.append(where.astype(np.int64))
        ratings_list.append(stars.astype(np.int64))

    honest_votes(0, raters)
    next_id = raters
    per_target = raters * per_rater / merchants  # honest ratings a merchant gets on average
    attackers = round(share / (1.0 - share) * per_target) if share > 0 else 0
    if attack in SPAMMERS and share > 0:
        count = round(share / (1.0 - share) * raters)
        picks = np.argsort(rng.random((count, merchants)), axis=1)[:, :per_rater].ravel()
        who = np.repeat(np.arange(next_id, next_id + count), per_rater)
        if attack == "random":
            stars = rng.integers(1, 6, picks.size)
        else:
            stars = np.where(rng.random(picks.size) < 0.5, 1, 5)
        add(who, picks, stars)
    elif attackers:
        if attack in ("ballot", "badmouth"):
            targets = boosted if attack == "ballot" else smeared
            star = 5 if attack == "ballot" else 1
            who = np.tile(np.arange(next_id, next_id + attackers), targets.size)
            add(who, np.repeat(targets, attackers), np.full(who.size, star))
        elif attack == "sybil":
            targets = np.concatenate([boosted, smeared])
            stars = np.concatenate([np.full(boosted.size, 5), np.full(smeared.size, 1)])
            who = np.tile(np.arange(next_id, next_id + attackers), targets.size)
            add(who, np.repeat(targets, attackers), np.repeat(stars, attackers))
        elif attack == "onoff":
            count = attackers * boosted.size
            honest_votes(next_id, count)  # the "on" phase: honest ratings build reputation
            who = np.arange(next_id, next_id + count)
            add(who, np.repeat(boosted, attackers), np.full(count, 5))
        elif attack == "whitewash":
            targets = np.concatenate([boosted, smeared])
            stars = np.concatenate([np.full(boosted.size, 5), np.full(smeared.size, 1)])
            count = attackers * targets.size
            add(
                np.arange(next_id, next_id + count),
                np.repeat(targets, attackers),
                np.repeat(stars, attackers),
            )
    return World(
        quality,
        np.concatenate(raters_list),
        np.concatenate(merchants_list),
        np.concatenate(ratings_list),
        boosted,
        smeared,
    )


def world_store(world: World, *, seed: int = 7) -> Store:
    """One completed order and one review per rating, in an in-memory store."""
    rng = np.random.default_rng(seed + 1)
    n = world.rating.size
    start = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
    seconds = rng.integers(0, 150 * 86400, n)
    placed = pa.array(start.timestamp() + seconds, pa.float64())
    placed_at = pc.cast(pc.multiply(placed, 1_000_000).cast(pa.int64()), pa.timestamp("us", "UTC"))
    completed = pc.cast(
        pc.add(pc.multiply(placed, 1_000_000).cast(pa.int64()), 86_400_000_000),
        pa.timestamp("us", "UTC"),
    )
    review_at = pc.cast(
        pc.add(pc.multiply(placed, 1_000_000).cast(pa.int64()), 2 * 86_400_000_000),
        pa.timestamp("us", "UTC"),
    )
    ids = pa.array([f"O{i}" for i in range(n)])
    orders = pa.table(
        {
            "order_id": ids,
            "buyer_id": pa.array([f"U{r}" for r in world.rater]),
            "merchant_id": pa.array([f"S{m}" for m in world.merchant]),
            "amount": pa.array(np.full(n, 50.0)),
            "currency": pa.array(["CNY"] * n),
            "placed_at": placed_at,
            "status": pa.array(["completed"] * n),
            "listing_id": ids,
            "completed_at": completed,
        }
    )
    reviews = pa.table(
        {
            "review_id": pa.array([f"R{i}" for i in range(n)]),
            "order_id": ids,
            "rating": pa.array(world.rating.astype(np.int32)),
            "created_at": review_at,
        }
    )
    store = Store.open(":memory:")
    for name, table in (("orders", orders), ("reviews", reviews)):
        store.backend.append(name, table)
    return store


def kendall_tau_b(x: NDArray[np.float64], y: NDArray[np.float64]) -> float:
    """Kendall's tau-b (ties in either ranking counted as neither concordant nor discordant)."""
    dx = np.sign(x[:, None] - x[None, :])
    dy = np.sign(y[:, None] - y[None, :])
    upper = np.triu_indices(x.size, 1)
    a, b = dx[upper], dy[upper]
    concordance = float(np.sum(a * b))
    denominator = float(np.sqrt(np.sum(a != 0) * np.sum(b != 0)))
    return concordance / denominator if denominator else 0.0


def evaluate(attack: str, share: float, *, seed: int = 7, **size: int) -> Outcome:
    world = simulate(attack, share, seed=seed, **size)
    store = world_store(world, seed=seed)
    try:
        run_credit(store.backend, as_of=AS_OF)
        table = [
            (row["code"], row["points"], row["robust_score"], row["mean"])
            for row in store.backend.rows(
                "SELECT CAST(substr(m.merchant_id, 2) AS INTEGER) AS code, m.points, m.robust_score, "
                "avg(r.rating) AS mean FROM credit_merchants m "
                "LEFT JOIN credit_rating_details r ON r.merchant_id = m.merchant_id "
                "GROUP BY ALL ORDER BY code",
                step="simulation: scores",
            )
        ]
    finally:
        store.close()
    n = world.quality.size
    values = {name: np.full(n, np.nan) for name in METHODS}
    for code, points, robust, mean in table:
        values["taobao_points"][code] = points
        values["robust"][code] = robust
        values["mean"][code] = mean
    tau, held = {}, {}
    k = max(1, n // 10)
    for name, score in values.items():
        score = np.nan_to_num(score, nan=float(np.nanmin(score)))
        tau[name] = kendall_tau_b(world.quality, score)
        rank = np.argsort(np.argsort(score, kind="stable"), kind="stable")  # 0 = lowest score
        held[name] = bool(np.all(rank[world.boosted] < k) and np.all(rank[world.smeared] >= n - k))
    return Outcome(attack, share, tau, held)
