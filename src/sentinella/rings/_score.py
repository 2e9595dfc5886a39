"""Combine the signals into suspicion scores in [0, 1], then group suspicious accounts into rings.

Unsupervised by default: a logistic combination whose weights are stated priors (binding
evidence such as shared identifiers, chat groups and the owner's cashback weighs most; a
5-star habit or a young account alone never reaches the flag threshold). With confirmed labels,
a model is trained on the same signals plus neighbour aggregates and replaces the priors.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from sentinella.errors import SentinellaError

from ._config import RingsConfig
from ._signals import F64, I64, Pairs, PairSignals, _group_reduce

# prior weights of the unsupervised score (log-odds per unit of each signal in [0, 1])
WEIGHTS: dict[str, float] = {
    "five_star": 1.5,
    "young": 1.0,
    "shared": 2.0,
    "group": 1.5,
    "cashback": 2.5,
    "owner_tie": 0.5,
    "lockstep": 1.0,
    "dense": 1.0,
    "concentration": 0.5,
}
BIAS = -5.0
# FRAUDAR densities below DENSE_FLOOR are what honest shops show; DENSE_FULL and above count fully
DENSE_FLOOR = 0.8
DENSE_FULL = 1.3


def _sigmoid(z: F64) -> F64:
    return np.asarray(1.0 / (1.0 + np.exp(-z)), dtype=np.float64)


def dense_level(density: F64) -> F64:
    return np.clip((density - DENSE_FLOOR) / (DENSE_FULL - DENSE_FLOOR), 0.0, 1.0)


def order_features(
    signals: PairSignals, pairs: Pairs, rating: NDArray[np.int8], lockstep: F64, burst: F64
) -> dict[str, F64]:
    """Per order: its pair's signals, with the order's own rating and window in place of averages."""
    p = pairs.of_order
    return {
        "five_star": (rating == 5).astype(np.float64),
        "young": signals.young[p],
        "shared": signals.shared[p],
        "group": signals.group[p],
        "cashback": signals.cashback[p],
        "owner_tie": signals.owner_tie[p],
        "lockstep": lockstep,
        "dense": dense_level(signals.dense)[p],
        "concentration": signals.concentration[p],
        "burst": burst,
        "global_dense": dense_level(signals.global_dense)[p],
    }


def pair_features(signals: PairSignals) -> dict[str, F64]:
    return {
        "five_star": signals.five_star,
        "young": signals.young,
        "shared": signals.shared,
        "group": signals.group,
        "cashback": signals.cashback,
        "owner_tie": signals.owner_tie,
        "lockstep": signals.lockstep,
        "dense": dense_level(signals.dense),
        "concentration": signals.concentration,
    }


def prior_score(features: dict[str, F64]) -> F64:
    z = np.full(next(iter(features.values())).shape[0], BIAS, dtype=np.float64)
    for name, weight in WEIGHTS.items():
        z += weight * features[name]
    return _sigmoid(z)


@dataclass
class Rings:
    """Rings found: per pair its ring (-1 none); per ring its shop, strength and member pairs."""

    of_pair: I64
    merchant: I64
    strength: F64
    size: I64


Family = tuple[NDArray[np.bool_], NDArray[np.bool_]]  # (candidates, buyers showing the clue)


def candidates(signals: PairSignals, pair_score: F64, config: RingsConfig) -> list[Family]:
    """Families of buyers that may belong to a ring around their shop, one mask per family.

    Either the pair score alone is high (binding evidence), or the buyer 5-stars every order at
    the shop *and* shows one behavioural clue: a young account, a lockstep window, or repeat
    orders all rated 5. Rings that hide their wiring still have to rate and act together. Each
    family is tested against its own base rate in ``assemble_rings``: lockstep is rare, so a
    20-account burst stands out even among a popular shop's thousands of buyers.
    Each family comes with the buyers showing its clue: at a ring's shop nearly all of them
    5-star (``family_purity``); at a flash sale full of new accounts only some do.
    """
    extreme = signals.five_star >= 0.999
    everyone = np.ones(pair_score.shape[0], dtype=np.bool_)
    return [
        (np.asarray(pair_score >= config.pair_threshold, dtype=np.bool_), everyone),
        (np.asarray(extreme & (signals.lockstep > 0), dtype=np.bool_), signals.lockstep > 0),
        (np.asarray(extreme & (signals.young >= 0.5), dtype=np.bool_), signals.young >= 0.5),
        (np.asarray(extreme & (signals.orders >= 2), dtype=np.bool_), signals.orders >= 2),
    ]


def assemble_rings(pairs: Pairs, pair_score: F64, families: list[Family], config: RingsConfig) -> Rings:
    """One ring per shop whose candidate buyers are too many to be chance.

    For each family of candidates, a shop passes when it has at least ``min_ring_size`` of them
    and that count exceeds the platform's base rate for a shop of its size by ``excess_z``
    standard deviations and ``excess_ratio`` times (a well-liked big shop can be many deviations
    above the average without being several times above it). The ring is the union of the
    families that passed; its strength grows with the members' own scores and with the excess.
    """
    n_m = int(pairs.merchant.max()) + 1 if pairs.n else 0
    buyers = np.bincount(pairs.merchant, minlength=n_m).astype(np.float64)
    member = np.zeros(pairs.n, dtype=np.bool_)
    surprise = np.zeros(n_m, dtype=np.float64)
    for index, (candidate, clue) in enumerate(families):
        hits = np.bincount(pairs.merchant[candidate], minlength=n_m).astype(np.float64)
        showing = np.bincount(pairs.merchant[clue], minlength=n_m).astype(np.float64)
        pure = hits >= (config.family_purity if index > 0 else 0.0) * showing
        passed = np.zeros(n_m, dtype=np.bool_)
        # lockstep (family 1) is so rare that the rings themselves would set its base rate:
        # it is re-estimated without the shops that already look brushed, so a burst hidden
        # in a big shop is measured against honest shops only
        for _ in range(2 if index == 1 else 1):
            clean = ~passed
            base = hits[clean].sum() / max(buyers[clean].sum(), 1.0)
            expected = buyers * base
            excess = (hits - expected) / np.sqrt(np.maximum(expected * (1 - base), 1.0))
            passed = (
                (hits >= config.min_ring_size)
                & (excess >= config.excess_z)
                & (hits >= config.excess_ratio * expected)
                & pure
            )
        member |= candidate & passed[pairs.merchant]
        level = 1.0 - np.exp(-np.maximum(excess - config.excess_z, 0.0) / config.excess_z)
        surprise = np.maximum(surprise, np.where(passed, level, 0.0))
    size = np.bincount(pairs.merchant[member], minlength=n_m).astype(np.float64)
    mean_score = _group_reduce(pair_score * member, pairs.merchant, n_m, "sum") / np.maximum(size, 1)
    strength = np.maximum(mean_score, surprise)
    ring_shops = np.flatnonzero((size >= config.min_ring_size) & (strength >= config.ring_threshold))
    number = np.full(n_m, -1, dtype=np.int64)
    number[ring_shops] = np.arange(ring_shops.shape[0])
    of_pair = np.where(member, number[pairs.merchant], -1)
    return Rings(
        of_pair=of_pair.astype(np.int64),
        merchant=ring_shops.astype(np.int64),
        strength=strength[ring_shops],
        size=size[ring_shops].astype(np.int64),
    )


class ModelError(SentinellaError, ValueError):
    """The supervised model asked for is unknown or not installed."""


MODELS = ("lightgbm", "logistic")
DEFAULT_MODEL = "logistic"


def check_model(model: str) -> None:
    """Refuse an unknown model, or LightGBM when its extra is not installed, before any work."""
    if model not in MODELS:
        raise ModelError(f"--model: unknown model {model!r} (choose {' or '.join(MODELS)})")
    if model == "lightgbm":
        try:
            import lightgbm  # type: ignore[import-not-found, unused-ignore]  # noqa: F401
        except ImportError as error:
            raise ModelError('--model lightgbm needs LightGBM: pip install "sentinella[lightgbm]"') from error


def supervised_score(
    features: dict[str, F64],
    neighbours: I64,
    label: NDArray[np.int8],
    seed: int = 0,
    model: str = DEFAULT_MODEL,
) -> F64:
    """Train on the labelled orders (label 0/1, -1 unknown); score every order.

    Features are each order's signals plus their means over its neighbourhood (``neighbours``:
    a group code per order, e.g. shop and window) so a model sees the crowd an order is in.
    ``model`` is ``logistic`` (a small L2 logistic regression in numpy) or ``lightgbm``
    (gradient boosting, the ``lightgbm`` extra); the choice is the caller's, never what happens
    to be installed.
    """
    check_model(model)
    names = sorted(features)
    base = np.column_stack([features[n] for n in names])
    sums = np.zeros((int(neighbours.max()) + 1 if neighbours.size else 0, base.shape[1]))
    np.add.at(sums, neighbours, base)
    counts = np.bincount(neighbours, minlength=sums.shape[0]).astype(np.float64)
    means = sums[neighbours] / counts[neighbours, None]
    x = np.column_stack([base, means])
    known = label >= 0
    y = label[known].astype(np.float64)
    if known.sum() < 2 or y.min() == y.max():
        return prior_score(features)
    if model == "lightgbm":
        import lightgbm

        booster = lightgbm.LGBMClassifier(n_estimators=200, learning_rate=0.05, random_state=seed, verbose=-1)
        booster.fit(x[known], y)
        return np.asarray(booster.predict_proba(x)[:, 1], dtype=np.float64)
    return _logistic(x, known, y)


def _logistic(x: F64, known: NDArray[np.bool_], y: F64, steps: int = 500, l2: float = 1e-3) -> F64:
    mu = x[known].mean(axis=0)
    sd = x[known].std(axis=0) + 1e-9
    z = (x - mu) / sd
    zk = z[known]
    w = np.zeros(z.shape[1])
    b = 0.0
    pos = max(y.mean(), 1e-6)
    # balance the classes: confirmed fakes are usually a small minority
    sample = np.where(y > 0, 0.5 / pos, 0.5 / max(1 - pos, 1e-6))
    for _ in range(steps):
        p = _sigmoid(zk @ w + b)
        g = (p - y) * sample
        w -= 0.5 * (zk.T @ g / zk.shape[0] + l2 * w)
        b -= 0.5 * float(g.mean())
    return _sigmoid(z @ w + b)
