"""Manipulation resistance: robustness targets on a fixed seed, brushing cannot move honest shops."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from credit_helpers import T0, Case, merchant
from sentinella.credit._robust import robust_scores
from sentinella.credit._simulate import evaluate, kendall_tau_b

SMALL = {"merchants": 100, "raters": 2000, "per_rater": 10}


def test_kendall_tau_b_known_values() -> None:
    x = np.array([1.0, 2.0, 3.0, 4.0])
    assert kendall_tau_b(x, x) == pytest.approx(1.0)
    assert kendall_tau_b(x, -x) == pytest.approx(-1.0)
    assert kendall_tau_b(x, np.array([1.0, 3.0, 2.0, 4.0])) == pytest.approx(4 / 6)
    # tau-b with a tie: 5 concordant of 6 pairs, one tied in y -> 5 / sqrt(6 * 5)
    assert kendall_tau_b(x, np.array([1.0, 1.0, 2.0, 3.0])) == pytest.approx(5 / np.sqrt(30))


@pytest.mark.slow
def test_robustness_targets_on_a_fixed_seed() -> None:
    honest = evaluate("none", 0.0, **SMALL)
    assert honest.tau["robust"] >= 0.94
    for spam in ("random", "extreme"):
        assert evaluate(spam, 0.3, **SMALL).tau["robust"] >= 0.93, spam
    for attack in ("ballot", "badmouth", "sybil", "onoff", "whitewash"):
        outcome = evaluate(attack, 1 / 3, **SMALL)
        assert outcome.held["robust"], attack  # worst 5% in the bottom 10%, best 5% in the top 10%
        assert not outcome.held["mean"], attack  # the attack is strong enough to move a plain mean


def test_a_ring_lifts_the_robust_score_far_less_than_the_mean() -> None:
    rng = np.random.default_rng(3)
    raters, merchants = 300, 20
    rater = np.repeat(np.arange(raters), 5)
    merchant = rng.integers(0, merchants, rater.size)
    quality = np.linspace(1.2, 4.8, merchants)
    vote = np.clip(np.rint(quality[merchant] + rng.normal(0, 0.7, rater.size)), 1, 5)
    before = robust_scores(rater, merchant, vote, raters, merchants).score[0]
    honest_votes = int(np.sum(merchant == 0))
    ring = np.arange(raters, raters + honest_votes // 2)  # a third of merchant 0's votes
    rater2 = np.concatenate([rater, ring])
    merchant2 = np.concatenate([merchant, np.zeros(ring.size, np.int64)])
    vote2 = np.concatenate([vote, np.full(ring.size, 5.0)])
    after = robust_scores(rater2, merchant2, vote2, raters + ring.size, merchants).score[0]
    mean_before = vote[merchant == 0].mean()
    mean_after = vote2[merchant2 == 0].mean()
    assert mean_after - mean_before > 1.0
    assert after - before < 0.25 * (mean_after - mean_before)


def _honest_shop(case: Case) -> None:
    case.merchants.append({"merchant_id": "HONEST", "member_id": "OWNER-H"})
    for k in range(12):
        rating = 5 if k % 4 else 3
        case.rated(
            rating,
            buyer_id=f"B{k}",
            merchant_id="HONEST",
            placed_at=T0 + k * dt.timedelta(days=2),
        )
        case.reviews[-1].update(dsr_described=rating, dsr_service=4, dsr_shipping=5)
    for k in range(12):
        case.rated(4, buyer_id=f"B{k}", merchant_id="S1", placed_at=T0 + k * dt.timedelta(days=3))


FIELDS = ("points", "level", "positive_rate", "dsr_described_avg", "defect_rate_60d", "robust_score")


def test_brushing_another_shop_does_not_change_an_honest_merchants_score() -> None:
    clean = Case()
    _honest_shop(clean)
    before = merchant(clean.run(), "HONEST")
    brushed = Case()
    _honest_shop(brushed)
    ring_orders = []
    for member in range(8):  # a ring boosting S1 and camouflaging at the honest shop
        for k in range(5):
            ring_orders.append(
                brushed.order(buyer_id=f"RING{member}", placed_at=T0 + k * dt.timedelta(hours=3))
            )
            brushed.review(ring_orders[-1], 5)
        ring_orders.append(brushed.order(buyer_id=f"RING{member}", merchant_id="HONEST", placed_at=T0))
        brushed.review(ring_orders[-1], 5)
    flagged = merchant(brushed.run(flagged=ring_orders), "HONEST")
    assert {f: flagged[f] for f in FIELDS[:-1]} == {f: before[f] for f in FIELDS[:-1]}
    assert flagged["robust_score"] == pytest.approx(before["robust_score"], abs=1e-9)
    assert flagged["flagged_orders"] == 8 and flagged["not_counted_flagged"] == 8
    assert merchant(brushed.run(flagged=ring_orders), "S1")["points"] == merchant(clean.run(), "S1")["points"]
    # unflagged brushing of S1 alone (no camouflage at the honest shop): the honest shop's
    # Taobao figures are untouched and its robust score moves by less than 0.05
    only_s1 = Case()
    _honest_shop(only_s1)
    for member in range(8):
        for k in range(5):
            only_s1.rated(5, buyer_id=f"RING{member}", placed_at=T0 + k * dt.timedelta(hours=3))
    unflagged = merchant(only_s1.run(), "HONEST")
    assert {f: unflagged[f] for f in FIELDS[:-1]} == {f: before[f] for f in FIELDS[:-1]}
    assert unflagged["robust_score"] == pytest.approx(before["robust_score"], abs=0.05)
