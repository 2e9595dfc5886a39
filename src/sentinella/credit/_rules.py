"""The per-rating rules as one SQL pipeline: which review counts, and if not, why.

Taobao's rules, in the order a rating meets them (the first that applies is its reason):

1. ``flagged``: its order was flagged as brushing (removed with its points).
2. ``unverified``: the order is unknown, or not completed as of the date (placed, paid,
   shipped, delivered, cancelled, or completed later).
3. ``refunded``: the order was refunded, by status or by a dated refund payment, even after the
   rating was written; ``disputed``: the order's latest status is an open or upheld dispute.
4. ``self_rating``: the buyer owns the shop.
5. ``outside_window``: written before the order was placed, or more than
   ``rating_window_days`` calendar days after completion.
6. ``unknown_currency`` / ``tiny_order``: the order, converted with the rate table, is not
   known or is worth ``tiny_amount`` or less.
7. ``repeat_review``: a later review of an order already reviewed.
8. ``duplicate``: the same buyer rated the same listing at the same shop for an order placed
   at most ``duplicate_days`` calendar days after their previous eligible order of it (a rolling
   window: each repeat purchase restarts it, which is stricter than fixed 14-day blocks and
   needs no recursion).
9. ``capped``: per buyer–merchant pair and calendar month of the order the counted net stays
   within ±``monthly_cap``; a rating that would push it outside does not count.

Like Taobao, the month and the 14 days are those of the order's placement. Calendar days and
months are taken in ``CreditConfig.timezone``.

The cap is a bounded running sum. Skipping a ±1 step that would leave the band is the same as
clamping, and where the plain running sum never leaves the band (nearly every pair) clamping
does nothing: SQL window sums settle those; the few pairs that reach the band's edge are
clamped in numpy, one step per position across all such pairs at once.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pyarrow as pa

from sentinella.engine import Backend, CTEPipeline
from sentinella.money import convert_sql

from ._config import CreditConfig
from ._inputs import FLAGGED, REFUNDS, day_number, local_day

CAPPED = "__credit_capped"
REASONS: dict[str, str] = {
    "flagged": "order flagged as brushing, removed with its points",
    "unverified": "order unknown, not completed, or completed after the as-of date",
    "refunded": "order refunded, even if after the rating",
    "disputed": "order under dispute",
    "self_rating": "the shop's owner rating their own shop",
    "outside_window": "written before the order or too long after completion",
    "unknown_currency": "order currency missing from the rate table",
    "tiny_order": "order too small to count",
    "repeat_review": "a further review of an order already reviewed",
    "duplicate": "the same listing from the same buyer again within the duplicate window",
    "capped": "beyond the net a buyer can give a shop in one calendar month",
}
ORDER_KEY = "placed_us, order_id, created_at, review_id"


def points_sql(rating: str) -> str:
    return f"(CASE WHEN {rating} >= 4 THEN 1 WHEN {rating} = 3 THEN 0 ELSE -1 END)"


def marks_pipeline(config: CreditConfig, as_of: dt.date, cutoff: str) -> CTEPipeline:
    """Every review known by the as-of date with its first rule-based reason and window marks.

    Keys are hashed to integers and times kept as epoch microseconds and day numbers, so the
    two window sorts move narrow rows.
    """
    amount = convert_sql("o.amount", "o.currency", config.currency, config.rates)
    review_day = local_day("r.created_at", config)
    base = f"""
SELECT r.review_id, r.order_id, CAST(r.rating AS INTEGER) AS rating, r.created_at,
  r.dsr_described, r.dsr_service, r.dsr_shipping,
  o.buyer_id, o.merchant_id, o.listing_id, o.placed_at,
  hash(o.buyer_id, o.merchant_id) AS pair,
  hash(o.listing_id) AS item,
  epoch_us(o.placed_at) AS placed_us,
  {local_day("o.placed_at", config)} AS placed_day,
  {review_day} AS review_day,
  CASE
    WHEN f.order_id IS NOT NULL THEN 'flagged'
    WHEN o.order_id IS NULL OR o.placed_at >= {cutoff} THEN 'unverified'
    WHEN o.status = 'refunded' OR rf.order_id IS NOT NULL THEN 'refunded'
    WHEN o.status = 'disputed' THEN 'disputed'
    WHEN coalesce(o.status, '') <> 'completed' OR o.completed_at >= {cutoff} THEN 'unverified'
    WHEN m.merchant_id IS NOT NULL THEN 'self_rating'
    WHEN r.created_at < o.placed_at
      OR {review_day} - {local_day("coalesce(o.completed_at, o.placed_at)", config)}
         > {int(config.rating_window_days)} THEN 'outside_window'
    WHEN {amount} IS NULL THEN 'unknown_currency'
    WHEN round({amount}, 4) <= {float(config.tiny_amount)!r} THEN 'tiny_order'
  END AS pre_reason
FROM reviews r
LEFT JOIN orders o ON o.order_id = r.order_id
LEFT JOIN {FLAGGED} f ON f.order_id = r.order_id
LEFT JOIN {REFUNDS} rf ON rf.order_id = r.order_id
LEFT JOIN merchants m ON m.merchant_id = o.merchant_id AND m.member_id = o.buyer_id
WHERE r.created_at < {cutoff}"""
    repeats = f"""
SELECT *,
  coalesce(lag(order_id) OVER w = order_id, FALSE) AS repeat_review,
  lag(placed_day) OVER w AS previous_day
FROM base
WINDOW w AS (PARTITION BY pre_reason IS NULL, pair, item ORDER BY {ORDER_KEY})"""
    flags = f"""
SELECT *,
  CAST(date_trunc('month', DATE '1970-01-01' + CAST(placed_day AS INTEGER)) AS DATE) AS month,
  {points_sql("rating")} AS rating_points,
  (NOT repeat_review AND listing_id IS NOT NULL AND previous_day IS NOT NULL
   AND placed_day - previous_day <= {int(config.duplicate_days)}) AS duplicate
FROM repeats"""
    marks = f"""
SELECT review_id, order_id, rating, created_at, dsr_described, dsr_service, dsr_shipping,
  buyer_id, merchant_id, listing_id, placed_at, pair, placed_us, review_day, month, rating_points,
  pre_reason, repeat_review, duplicate,
  sum(CASE WHEN repeat_review OR duplicate THEN 0 ELSE rating_points END) OVER (
    PARTITION BY pre_reason IS NULL, pair, month ORDER BY {ORDER_KEY}
    ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS running_net,
  sum(CASE WHEN repeat_review THEN 0 ELSE 1 END) OVER (
    PARTITION BY pre_reason IS NULL, pair, month ORDER BY {ORDER_KEY}
    ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS month_rank
FROM flags"""
    pipeline = CTEPipeline()
    pipeline.add("base", base).add("repeats", repeats).add("flags", flags).add("marks", marks)
    return pipeline


def build_ratings(backend: Backend, config: CreditConfig, as_of: dt.date, cutoff: str) -> None:
    """credit_ratings straight from the pipeline; the rare capped ratings are updated after."""
    pipeline = marks_pipeline(config, as_of, cutoff)
    pipeline.add("ratings", ratings_sql(config, as_of))
    backend.execute(f"CREATE OR REPLACE TABLE credit_ratings AS\n{pipeline.render()}", step="credit: rules")


def clamp_running(group: np.ndarray, step: np.ndarray, cap: int) -> np.ndarray:
    """Which steps count when a running sum per group may not leave [-cap, cap].

    ``group`` is sorted (rows of a group are contiguous and in time order). A step that would
    push the sum outside the band is skipped. Vectorised across groups: one numpy step per
    position within a group.
    """
    n = group.size
    counted = np.zeros(n, dtype=bool)
    if n == 0:
        return counted
    starts = np.flatnonzero(np.r_[True, group[1:] != group[:-1]])
    lengths = np.diff(np.r_[starts, n])
    position = np.arange(n) - np.repeat(starts, lengths)
    by_position = np.argsort(position, kind="stable")
    edges = np.searchsorted(position[by_position], np.arange(int(lengths.max()) + 1))
    group_index = np.repeat(np.arange(starts.size), lengths)
    total = np.zeros(starts.size, dtype=np.int64)
    for k in range(int(lengths.max())):
        rows = by_position[edges[k] : edges[k + 1]]
        gi = group_index[rows]
        proposed = total[gi] + step[rows]
        ok = np.abs(proposed) <= cap
        counted[rows] = ok
        total[gi] = np.where(ok, proposed, total[gi])
    return counted


def apply_cap(backend: Backend, config: CreditConfig) -> int:
    """Settle the pair-months whose plain running net leaves the band; returns how many were capped."""
    cap = int(config.monthly_cap)
    eligible = "k.reason IS NULL OR k.reason = 'duplicate'"
    rows = backend.query(
        f"""
WITH edge AS (
  SELECT DISTINCT buyer_id, merchant_id, month FROM credit_ratings k
  WHERE ({eligible}) AND abs(k.running_net) > {cap}
)
SELECT k.review_id, k.rating_points,
  dense_rank() OVER (ORDER BY k.buyer_id, k.merchant_id, k.month) AS grp
FROM credit_ratings k
JOIN edge e ON e.buyer_id = k.buyer_id AND e.merchant_id = k.merchant_id AND e.month = k.month
WHERE k.reason IS NULL
ORDER BY k.buyer_id, k.merchant_id, k.month, k.placed_at, k.order_id, k.created_at, k.review_id""",
        step="credit: monthly cap",
    )
    group = np.asarray(rows.column("grp").to_numpy(zero_copy_only=False), dtype=np.int64)
    step = np.asarray(rows.column("rating_points").to_numpy(zero_copy_only=False), dtype=np.int64)
    counted = clamp_running(group, step, cap)
    if counted.all():
        return 0
    capped = rows.column("review_id").filter(pa.array(~counted))
    backend.register_arrow(f"{CAPPED}_arrow", pa.table({"review_id": capped}))
    backend.execute(
        f"UPDATE credit_ratings SET counted = FALSE, reason = 'capped', points = 0 "
        f"WHERE review_id IN (SELECT review_id FROM {CAPPED}_arrow)",
        step="credit: monthly cap",
    )
    return int((~counted).sum())


def ratings_sql(config: CreditConfig, as_of: dt.date) -> str:
    """credit_ratings: one row per review known by the as-of date (before the cap is settled).

    ``running_net`` is the pair's uncapped net in the month up to this rating: where it stays
    within the band it is the capped net too, which is how the cap step finds the few pairs
    that need clamping.
    """
    dsr_from = as_of - dt.timedelta(days=int(config.dsr_days) - 1)
    return f"""
SELECT review_id, order_id, merchant_id, buyer_id, listing_id, rating, created_at, placed_at, month,
  rating_points,
  reason IS NULL AS counted,
  reason,
  CASE WHEN reason IS NULL THEN rating_points ELSE 0 END AS points,
  running_net,
  (pre_reason IS NULL AND NOT repeat_review AND month_rank <= {int(config.dsr_per_pair_month)}
   AND review_day >= {day_number(dsr_from)}) AS dsr_counted,
  dsr_described, dsr_service, dsr_shipping
FROM (
  SELECT *, CASE
    WHEN pre_reason IS NOT NULL THEN pre_reason
    WHEN repeat_review THEN 'repeat_review'
    WHEN duplicate THEN 'duplicate'
  END AS reason
  FROM marks
) k"""


def reason_text(config: CreditConfig) -> dict[str, str]:
    """REASONS with the configured numbers filled in, for explanations."""
    text = dict(REASONS)
    text["outside_window"] = (
        f"written before the order or more than {config.rating_window_days} days after completion"
    )
    text["tiny_order"] = f"order of {config.tiny_amount:.2f} {config.currency} or less"
    text["duplicate"] = f"the same listing from the same buyer again within {config.duplicate_days} days"
    text["capped"] = f"beyond the ±{config.monthly_cap} net a buyer can give a shop in one calendar month"
    return text
