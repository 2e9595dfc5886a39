"""Per-merchant credit from the rated reviews: points, level, rates, DSR, defects, robust score.

Smoothing is Bayesian (Beta for the positive rate, Dirichlet for the 1–5 detailed ratings),
not the Wilson lower bound: DSRs are five-point ratings, for which Wilson has no form, and a
prior centred on the platform's own figures shows a shop with three ratings near the platform
average instead of near zero, with a strength ("as if ``prior_strength`` typical ratings were
added") a buyer can be told. The posterior mean of a Dirichlet over the five stars is simply
(sum of stars + m · platform mean) / (count + m).

Everything is read from the working tables of ``_rules`` (``BASE``, ``PAIRS``, ``MULTI``) and
one pass over the orders, not from the written ``credit_ratings``: the per-merchant figures
need the stars, the merchant and the order of each rating, which that table no longer repeats.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pyarrow as pa

from sentinella.engine import Backend, literal

from ._config import CreditConfig, level_sql
from ._inputs import FLAGGED, REFUNDS, utc_midnight
from ._robust import RobustParams, robust_scores
from ._rules import BASE, MULTI, PAIRS, REASONS, UNIVERSE, dsr_start, points_sql, reason_text

ROBUST = "__credit_robust"
DSR = ("described", "service", "shipping")
MERCHANT_COLUMNS = (
    "merchant_id",
    "as_of",
    "timezone",
    "points",
    "level",
    "level_tier",
    "level_name",
    "level_symbol",
    "ratings",
    "ratings_counted",
    "ratings_not_counted",
    "positive",
    "neutral",
    "negative",
    "positive_rate",
    "positive_rate_smoothed",
    *(f"not_counted_{reason}" for reason in REASONS),
    *(f"dsr_{d}_{kind}" for d in DSR for kind in ("avg", "count", "smoothed")),
    "orders_60d",
    "defect_orders_60d",
    "refunded_60d",
    "disputed_60d",
    "negative_60d",
    "defect_rate_60d",
    "robust_score",
    "robust_raters",
    "robust_effective_raters",
    "flagged_orders",
    "brushing_flagged",
    "explanation",
)


def robust_params(config: CreditConfig) -> RobustParams:
    return RobustParams(
        iterations=config.robust_iterations,
        tolerance=config.robust_tolerance,
        prior_raters=config.robust_prior_raters,
        noise=config.robust_noise,
        min_variance=config.robust_min_variance,
        scale=config.robust_scale,
        prior_votes=config.robust_prior_votes,
        prior_quantile=config.robust_prior_quantile,
    )


def universe_sql(cutoff: str) -> str:
    """Every merchant known by the as-of date (opened, or with an order) with a dense code (by
    ID, so stable) and its owner, for the self-rating rule."""
    return f"""
SELECT u.merchant_id, CAST(row_number() OVER (ORDER BY u.merchant_id) - 1 AS INTEGER) AS code,
  m.member_id AS owner
FROM (
  SELECT merchant_id FROM merchants WHERE opened_at IS NULL OR opened_at < {cutoff}
  UNION
  SELECT DISTINCT merchant_id FROM orders WHERE merchant_id IS NOT NULL AND placed_at < {cutoff}
) u
LEFT JOIN merchants m ON m.merchant_id = u.merchant_id"""


def build_universe(backend: Backend, cutoff: str) -> None:
    backend.execute(
        f"CREATE OR REPLACE TEMP TABLE {UNIVERSE} AS {universe_sql(cutoff)}", step="credit: merchants"
    )


def votes_sql() -> str:
    """One vote per (buyer, merchant): the mean of the pair's ratings rules 1–7 let through
    (a changed rating votes with its final value; duplicates and capped ratings still vote).

    Raters are coded by the rank of their buyer ID and the votes come sorted by merchant and
    rater: a fixed order, so the floating-point sums (and the scores) are the same on every run
    and on every engine. Not by the buyer's hash, which the pairs are grouped by: each engine
    hashes differently (Spark's ``hash`` is 32 bits), which reordered the sums (scores differed
    in the last bit), and two buyers whose hashes collide must stay two raters.
    DuckDB sorts on both cores; numpy's unique and argsort took a second more on one."""
    return f"""
SELECT CAST(dense_rank() OVER (ORDER BY buyer_id) - 1 AS INTEGER) AS rater, merchant, vote FROM (
  SELECT rater_id AS buyer_id, merchant, CAST(stars AS DOUBLE) / n_valid AS vote
  FROM {PAIRS} WHERE NOT multi AND n_valid = 1
  UNION ALL
  SELECT buyer_id, merchant, avg(rating) AS vote FROM {MULTI} WHERE active GROUP BY buyer_id, merchant
) ORDER BY merchant, buyer_id"""


def build_robust(backend: Backend, config: CreditConfig) -> int:
    """Votes as integer codes (merchants by the universe's code, raters by the rank of the buyer
    ID), scored by ``robust_scores``; returns the iterations."""
    votes = backend.query(votes_sql(), step="credit: votes")
    rater = np.asarray(votes.column("rater").to_numpy(zero_copy_only=False), dtype=np.int64)
    merchant = np.asarray(votes.column("merchant").to_numpy(zero_copy_only=False), dtype=np.int64)
    vote = np.asarray(votes.column("vote").to_numpy(zero_copy_only=False), dtype=np.float64)
    n_raters = int(rater.max()) + 1 if rater.size else 0
    n_merchants = int(str(backend.scalar(f"SELECT count(*) FROM {UNIVERSE}", step="credit: votes")))
    result = robust_scores(rater, merchant, vote, n_raters, n_merchants, robust_params(config))
    rated = np.flatnonzero(result.raters > 0)
    table = pa.table(
        {
            "code": pa.array(rated.astype(np.int32)),
            "robust_score": result.score[rated],
            "robust_raters": result.raters[rated],
            "robust_effective_raters": result.effective[rated],
        }
    )
    backend.register_arrow(f"{ROBUST}_arrow", table)
    try:
        backend.execute(
            f"CREATE OR REPLACE TEMP TABLE {ROBUST} AS SELECT * FROM {ROBUST}_arrow", step="credit: robust"
        )
    finally:
        backend.unregister(f"{ROBUST}_arrow")
    return result.iterations


def _count(n: str, text: str) -> str:
    return f"CASE WHEN {n} > 0 THEN concat(CAST({n} AS VARCHAR), {literal(' ' + text)}) END"


def _explanation(config: CreditConfig, as_of: dt.date) -> str:
    texts = reason_text(config)
    skipped = ", ".join(
        _count(f"not_counted_{reason}", f"{reason.replace('_', ' ')} ({texts[reason]})") for reason in REASONS
    )
    dsr = ", ".join(
        f"CASE WHEN dsr_{d}_count > 0 THEN concat({literal(d + ' ')}, "
        f"CAST(round(dsr_{d}_avg, 2) AS VARCHAR), "
        f"' from ', CAST(dsr_{d}_count AS VARCHAR), ', smoothed ', "
        f"CAST(round(dsr_{d}_smoothed, 2) AS VARCHAR)) END"
        for d in DSR
    )
    return f"""concat_ws(' ',
  concat('As of {as_of.isoformat()} ({config.timezone}):', ' ', CAST(ratings AS VARCHAR), ' ratings, ',
    CAST(ratings_counted AS VARCHAR), ' counted (', CAST(positive AS VARCHAR), ' positive, ',
    CAST(neutral AS VARCHAR), ' neutral, ', CAST(negative AS VARCHAR), ' negative) = ',
    CAST(points AS VARCHAR), ' points.'),
  CASE WHEN level > 0 THEN concat('Level ', CAST(level AS VARCHAR), ': ', level_name, ' ', level_symbol, '.')
       ELSE 'No level yet ({config.level_minima[0]} points reach the first heart).' END,
  CASE WHEN positive_rate IS NOT NULL THEN concat('Positive rate ',
    CAST(round(100 * positive_rate, 2) AS VARCHAR), '% (smoothed ',
    CAST(round(100 * positive_rate_smoothed, 2) AS VARCHAR), '%).') END,
  CASE WHEN ratings_not_counted > 0 THEN concat('Not counted: ', concat_ws('; ', {skipped}), '.') END,
  CASE WHEN flagged_orders > 0 THEN concat(CAST(flagged_orders AS VARCHAR),
    ' orders flagged as brushing were removed with their ratings.') END,
  CASE WHEN robust_score IS NOT NULL THEN concat('Robust score ', CAST(round(robust_score, 2) AS VARCHAR),
    ' of 5 from ', CAST(robust_raters AS VARCHAR), ' raters (weight of ',
    CAST(round(robust_effective_raters, 1) AS VARCHAR), ' ordinary raters).') END,
  CASE WHEN orders_60d > 0 THEN concat('Defect rate over {config.defect_days} days ',
    CAST(round(100 * defect_rate_60d, 2) AS VARCHAR), '% (', CAST(defect_orders_60d AS VARCHAR), ' of ',
    CAST(orders_60d AS VARCHAR), ' orders: ', CAST(refunded_60d AS VARCHAR), ' refunded, ',
    CAST(disputed_60d AS VARCHAR), ' disputed, ', CAST(negative_60d AS VARCHAR), ' rated negative).') END,
  CASE WHEN dsr_described_count + dsr_service_count + dsr_shipping_count > 0 THEN
    concat('Detailed ratings since {dsr_start(as_of, config).isoformat()} ({config.dsr_months} months): ',
      concat_ws('; ', {dsr}), '.') END
)"""


def merchants_sql(config: CreditConfig, as_of: dt.date, cutoff: str) -> str:
    """credit_merchants: the ratings per merchant (with the platform's figures as priors), the
    orders pass, the robust score, a level and an explanation; every merchant of the universe."""
    m = float(config.prior_strength)
    start = utc_midnight(as_of - dt.timedelta(days=int(config.defect_days) - 1), config)
    counted = "reason IS NULL"
    reasons = ",\n    ".join(
        f"count(*) FILTER (WHERE reason = {literal(reason)}) AS not_counted_{reason}" for reason in REASONS
    )
    reason_cols = ", ".join(
        f"coalesce(r.not_counted_{reason}, 0) AS not_counted_{reason}" for reason in REASONS
    )
    dsr_aggs = ",\n    ".join(
        f"avg(dsr_{d}) FILTER (WHERE dsr_counted) AS dsr_{d}_avg, "
        f"count(dsr_{d}) FILTER (WHERE dsr_counted) AS dsr_{d}_count, "
        f"sum(dsr_{d}) FILTER (WHERE dsr_counted) AS dsr_{d}_sum"
        for d in DSR
    )
    dsr_platform = ", ".join(
        f"CAST(sum(dsr_{d}_sum) AS DOUBLE) / nullif(sum(dsr_{d}_count), 0) AS mean_{d}" for d in DSR
    )
    dsr_cols = ",\n  ".join(
        f"r.dsr_{d}_avg, coalesce(r.dsr_{d}_count, 0) AS dsr_{d}_count, "
        f"(coalesce(r.dsr_{d}_sum, 0) + {m!r} * p.mean_{d}) / (coalesce(r.dsr_{d}_count, 0) + {m!r}) "
        f"AS dsr_{d}_smoothed"
        for d in DSR
    )
    stars = points_sql("rating")
    levels = config.levels()
    return f"""
WITH r AS (
  SELECT merchant, count(*) AS ratings,
    count(*) FILTER (WHERE {counted}) AS ratings_counted,
    CAST(sum(points) AS BIGINT) AS points,
    count(*) FILTER (WHERE {counted} AND {stars} = 1) AS positive,
    count(*) FILTER (WHERE {counted} AND {stars} = 0) AS neutral,
    count(*) FILTER (WHERE {counted} AND {stars} = -1) AS negative,
    {reasons},
    {dsr_aggs}
  FROM {BASE} GROUP BY merchant
),
p AS (
  SELECT CAST(sum(positive) AS DOUBLE) / nullif(sum(ratings_counted), 0) AS positive_rate, {dsr_platform}
  FROM r
),
negative_orders AS (
  SELECT DISTINCT order_id FROM {BASE}
  WHERE rating <= 2 AND coalesce(reason NOT IN ('flagged', 'unverified', 'revised'), TRUE)
    AND placed_at >= {start} AND placed_at < {cutoff}
),
recent AS (
  SELECT o.merchant_id,
    count(*) AS orders_60d,
    count(*) FILTER (WHERE o.status = 'refunded' OR rf.order_id IS NOT NULL) AS refunded_60d,
    count(*) FILTER (WHERE o.status = 'disputed') AS disputed_60d,
    count(*) FILTER (WHERE n.order_id IS NOT NULL) AS negative_60d,
    count(*) FILTER (WHERE o.status IN ('refunded', 'disputed') OR rf.order_id IS NOT NULL
                     OR n.order_id IS NOT NULL) AS defect_orders_60d
  FROM orders o
  LEFT JOIN {FLAGGED} f ON f.order_id = o.order_id
  LEFT JOIN {REFUNDS} rf ON rf.order_id = o.order_id
  LEFT JOIN negative_orders n ON n.order_id = o.order_id
  WHERE o.placed_at >= {start} AND o.placed_at < {cutoff}
    AND o.status IN ('paid', 'shipped', 'delivered', 'completed', 'refunded', 'disputed')
    AND f.order_id IS NULL
  GROUP BY o.merchant_id
),
flags AS (
  SELECT o.merchant_id, count(*) AS flagged_orders
  FROM {FLAGGED} f JOIN orders o ON o.order_id = f.order_id
  WHERE o.placed_at < {cutoff}
  GROUP BY o.merchant_id
),
joined AS (
  SELECT u.merchant_id,
    coalesce(r.points, 0) AS points,
    coalesce(r.ratings, 0) AS ratings,
    coalesce(r.ratings_counted, 0) AS ratings_counted,
    coalesce(r.ratings, 0) - coalesce(r.ratings_counted, 0) AS ratings_not_counted,
    coalesce(r.positive, 0) AS positive,
    coalesce(r.neutral, 0) AS neutral,
    coalesce(r.negative, 0) AS negative,
    CAST(r.positive AS DOUBLE) / nullif(r.ratings_counted, 0) AS positive_rate,
    (coalesce(r.positive, 0) + {m!r} * p.positive_rate) / (coalesce(r.ratings_counted, 0) + {m!r})
      AS positive_rate_smoothed,
    {reason_cols},
    {dsr_cols},
    coalesce(d.orders_60d, 0) AS orders_60d,
    coalesce(d.defect_orders_60d, 0) AS defect_orders_60d,
    coalesce(d.refunded_60d, 0) AS refunded_60d,
    coalesce(d.disputed_60d, 0) AS disputed_60d,
    coalesce(d.negative_60d, 0) AS negative_60d,
    CAST(d.defect_orders_60d AS DOUBLE) / nullif(d.orders_60d, 0) AS defect_rate_60d,
    b.robust_score,
    coalesce(b.robust_raters, 0) AS robust_raters,
    coalesce(b.robust_effective_raters, 0.0) AS robust_effective_raters,
    coalesce(g.flagged_orders, 0) AS flagged_orders,
    coalesce(g.flagged_orders, 0) > 0 AS brushing_flagged
  FROM {UNIVERSE} u
  CROSS JOIN p
  LEFT JOIN r ON r.merchant = u.code
  LEFT JOIN recent d ON d.merchant_id = u.merchant_id
  LEFT JOIN {ROBUST} b ON b.code = u.code
  LEFT JOIN flags g ON g.merchant_id = u.merchant_id
),
levelled AS (
  SELECT {literal(as_of)} AS as_of, {literal(config.timezone)} AS timezone, *,
    {level_sql("points", "level", levels)} AS level,
    {level_sql("points", "tier", levels)} AS level_tier,
    {level_sql("points", "name", levels)} AS level_name,
    {level_sql("points", "symbol", levels)} AS level_symbol
  FROM joined
)
SELECT {", ".join(MERCHANT_COLUMNS[:-1])},
  {_explanation(config, as_of)} AS explanation
FROM levelled
ORDER BY merchant_id"""
