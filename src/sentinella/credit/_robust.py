"""A quality score a brushing ring cannot lift cheaply: iterative filtering with earned reputation.

Each rater has one vote per merchant (the mean of their verified ratings there), so buying fifty
times from a shop gives one account one say. Then, alternately:

- a merchant's score is a weighted M-estimate of its votes: each vote's weight is its rater's
  reputation times the Cauchy weight 1 / (1 + (residual / c)²), which lets votes near the
  consensus count almost fully and all but ignores a vote three or four stars away, however
  many such votes an attacker casts (a Huber weight, tried first, still let on-off attackers at
  a third of the ratings lift the worst shops out of the bottom 10%);
- a rater's reputation is the inverse of their variance around the current scores, estimated
  with a prior (``prior_raters`` pseudo-votes of the honest ``noise`` variance) and floored, so a
  fresh account is an ordinary, never a heavy, voter and no account can outweigh many.

It starts from each merchant's median vote, which a minority cannot move, so attackers who are
fewer than about half of a merchant's raters start, and stay, far from the consensus and lose
their weight. Ratings that agree with the consensus earn reputation, which is what makes lifting
a score expensive: sybil accounts start ordinary and lose weight with every dishonest vote;
on-off attackers spend reputation built on honest votes.

Small merchants are pulled towards a prior set at a low quantile of merchant scores: a newcomer
(or a shop that re-opened under a new name to shed its ratings) is presumed weaker than typical
until its raters say otherwise.

Every step is a ``numpy.bincount`` over integer-coded votes, O(votes) per iteration.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray


@dataclass(frozen=True)
class RobustParams:
    iterations: int = 10
    tolerance: float = 1e-3
    prior_raters: float = 3.0
    noise: float = 0.6
    min_variance: float = 0.15
    scale: float = 1.0
    prior_votes: float = 3.0
    prior_quantile: float = 0.25


@dataclass(frozen=True)
class RobustResult:
    score: NDArray[np.float64]  # per merchant code; NaN without votes
    raters: NDArray[np.int64]  # votes per merchant
    effective: NDArray[np.float64]  # sum of vote weights in units of a fresh rater
    reputation: NDArray[np.float64]  # per rater code, in units of a fresh rater
    iterations: int


def _median_votes(merchant: NDArray[np.int64], vote: NDArray[np.float64], n: int) -> NDArray[np.float64]:
    """Each merchant's median vote (lower median), vectorised through one lexsort."""
    order = np.lexsort((vote, merchant))
    counts = np.bincount(merchant, minlength=n)
    starts = np.concatenate(([0], np.cumsum(counts)[:-1]))
    sorted_votes = vote[order]
    out = np.full(n, np.nan)
    has = counts > 0
    lower = starts[has] + (counts[has] - 1) // 2
    upper = starts[has] + counts[has] // 2
    out[has] = (sorted_votes[lower] + sorted_votes[upper]) / 2.0
    return out


def robust_scores(
    rater: NDArray[np.int64],
    merchant: NDArray[np.int64],
    vote: NDArray[np.float64],
    n_raters: int,
    n_merchants: int,
    params: RobustParams | None = None,
) -> RobustResult:
    """Scores on the rating scale (1–5) from one vote per (rater, merchant)."""
    p = params or RobustParams()
    counts = np.bincount(merchant, minlength=n_merchants).astype(np.int64)
    if vote.size == 0:
        return RobustResult(np.full(n_merchants, np.nan), counts, np.zeros(n_merchants), np.ones(n_raters), 0)
    rated = counts > 0
    score = _median_votes(merchant, vote, n_merchants)
    fresh_weight = 1.0 / p.noise  # a rater with no history: prior variance only
    votes_per_rater = np.bincount(rater, minlength=n_raters).astype(np.float64)
    prior = float(np.quantile(score[rated], p.prior_quantile))
    weight_of_vote = np.ones(vote.size)
    reputation = np.full(n_raters, fresh_weight)
    done = 0
    for done in range(1, p.iterations + 1):  # noqa: B007 - the count is reported
        residual = vote - score[merchant]
        spread = np.bincount(rater, residual * residual, minlength=n_raters)
        variance = (spread + p.prior_raters * p.noise) / (votes_per_rater + p.prior_raters)
        reputation = 1.0 / np.maximum(variance, p.min_variance)
        distance = np.abs(residual)
        weight_of_vote = reputation[rater] / (1.0 + (distance / p.scale) ** 2)
        total = np.bincount(merchant, weight_of_vote, minlength=n_merchants)
        weighted = np.bincount(merchant, weight_of_vote * vote, minlength=n_merchants)
        pseudo = p.prior_votes * fresh_weight
        new = np.where(rated, (weighted + pseudo * prior) / (total + pseudo), np.nan)
        change = float(np.nanmax(np.abs(new - score))) if rated.any() else 0.0
        score = new
        if change < p.tolerance:
            break
    effective = np.bincount(merchant, weight_of_vote, minlength=n_merchants) / fresh_weight
    return RobustResult(score, counts, effective, reputation / fresh_weight, done)
