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

Rules 1–6 are one join and projection. Rules 7–9 and the DSR's first three per month compare a
rating with others; each concerns only groups with more than one rating (or more than the cap),
found by a hash aggregate, so only those few rows are sorted (SQL window functions) and
updated: sorting every rating twice was most of the run time at 5M reviews.

The cap is a bounded running sum. Skipping a ±1 step that would leave the band is the same as
clamping a running sum, which no SQL window expresses; pair-months with more ratings than the
cap are clamped in numpy, one step per position across all of them at once.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pyarrow as pa

from sentinella.engine import Backend
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
ORDER_KEY = "k.placed_at, k.order_id, k.created_at, k.review_id"


def points_sql(rating: str) -> str:
    return f"(CASE WHEN {rating} >= 4 THEN 1 WHEN {rating} = 3 THEN 0 ELSE -1 END)"


def base_sql(config: CreditConfig, as_of: dt.date, cutoff: str) -> str:
    """One row per review known by the as-of date with the first rule of 1–6 it breaks.

    One pass (a join and a projection, no sort): the rules that compare a rating with others
    (7–9, and the first three per month for DSR) only concern buyers who rated an order, a
    listing or a shop several times, so they are settled afterwards on those few rows.
    """
    amount = convert_sql("o.amount", "o.currency", config.currency, config.rates)
    review_day = local_day("r.created_at", config)
    dsr_from = as_of - dt.timedelta(days=int(config.dsr_days) - 1)
    return f"""
SELECT review_id, order_id, merchant_id, buyer_id, listing_id, rating, created_at, placed_at,
  CAST(date_trunc('month', DATE '1970-01-01' + CAST(placed_day AS INTEGER)) AS DATE) AS month,
  {points_sql("rating")} AS rating_points,
  pre_reason IS NULL AS counted,
  pre_reason AS reason,
  CASE WHEN pre_reason IS NULL THEN {points_sql("rating")} ELSE 0 END AS points,
  (pre_reason IS NULL AND review_day >= {day_number(dsr_from)}) AS dsr_counted,
  dsr_described, dsr_service, dsr_shipping
FROM (
SELECT r.review_id, r.order_id, CAST(r.rating AS INTEGER) AS rating, r.created_at,
  r.dsr_described, r.dsr_service, r.dsr_shipping,
  o.buyer_id, o.merchant_id, o.listing_id, o.placed_at,
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
WHERE r.created_at < {cutoff}
) k"""


_PAIR = "buyer_id, merchant_id"
_KEYS_JOIN = "g.buyer_id = k.buyer_id AND g.merchant_id = k.merchant_id"


def repeats_sql() -> str:
    """Later reviews of an order already reviewed (only orders reviewed twice are sorted)."""
    return """
UPDATE credit_ratings SET counted = FALSE, reason = 'repeat_review', points = 0, dsr_counted = FALSE
WHERE review_id IN (
  SELECT review_id FROM (
    SELECT k.review_id,
      row_number() OVER (PARTITION BY k.order_id ORDER BY k.created_at, k.review_id) AS nth
    FROM credit_ratings k
    JOIN (SELECT order_id FROM credit_ratings WHERE reason IS NULL
          GROUP BY order_id HAVING count(*) > 1) g ON g.order_id = k.order_id
    WHERE k.reason IS NULL
  ) x WHERE nth > 1
)"""


def duplicates_sql(config: CreditConfig) -> str:
    """The same listing from the same buyer within the window of their previous eligible order."""
    day = local_day("k.placed_at", config)
    return f"""
UPDATE credit_ratings SET counted = FALSE, reason = 'duplicate', points = 0
WHERE review_id IN (
  SELECT review_id FROM (
    SELECT k.review_id, {day} AS placed_day,
      lag({day}) OVER (
        PARTITION BY k.buyer_id, k.merchant_id, k.listing_id ORDER BY {ORDER_KEY}) AS previous_day
    FROM credit_ratings k
    JOIN (SELECT {_PAIR}, listing_id FROM credit_ratings WHERE reason IS NULL AND listing_id IS NOT NULL
          GROUP BY {_PAIR}, listing_id HAVING count(*) > 1) g
      ON {_KEYS_JOIN} AND g.listing_id = k.listing_id
    WHERE k.reason IS NULL
  ) x WHERE placed_day - previous_day <= {int(config.duplicate_days)}
)"""


def dsr_rank_sql(config: CreditConfig) -> str:
    """Only the first ``dsr_per_pair_month`` eligible ratings per pair and month carry DSRs."""
    keep = int(config.dsr_per_pair_month)
    eligible = "(reason IS NULL OR reason IN ('duplicate', 'capped'))"
    return f"""
UPDATE credit_ratings SET dsr_counted = FALSE
WHERE review_id IN (
  SELECT review_id FROM (
    SELECT k.review_id,
      row_number() OVER (PARTITION BY k.buyer_id, k.merchant_id, k.month ORDER BY {ORDER_KEY}) AS nth
    FROM credit_ratings k
    JOIN (SELECT {_PAIR}, month FROM credit_ratings WHERE {eligible}
          GROUP BY {_PAIR}, month HAVING count(*) > {keep}) g
      ON {_KEYS_JOIN} AND g.month = k.month
    WHERE (k.reason IS NULL OR k.reason IN ('duplicate', 'capped'))
  ) x WHERE nth > {keep}
)"""


def build_ratings(backend: Backend, config: CreditConfig, as_of: dt.date, cutoff: str) -> None:
    """credit_ratings in one pass, then the rules between ratings on the few rows they concern."""
    backend.execute(
        f"CREATE OR REPLACE TABLE credit_ratings AS\n{base_sql(config, as_of, cutoff)}", step="credit: rules"
    )
    backend.execute(repeats_sql(), step="credit: repeat reviews")
    backend.execute(duplicates_sql(config), step="credit: duplicates")


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
    """Clamp the pair-months with more counted ratings than the cap; returns how many were capped."""
    cap = int(config.monthly_cap)
    rows = backend.query(
        f"""
WITH g AS (
  SELECT {_PAIR}, month FROM credit_ratings WHERE reason IS NULL
  GROUP BY {_PAIR}, month HAVING count(*) > {cap}
)
SELECT k.review_id, k.rating_points,
  dense_rank() OVER (ORDER BY k.buyer_id, k.merchant_id, k.month) AS grp
FROM credit_ratings k JOIN g ON {_KEYS_JOIN} AND g.month = k.month
WHERE k.reason IS NULL
ORDER BY k.buyer_id, k.merchant_id, k.month, {ORDER_KEY}""",
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
