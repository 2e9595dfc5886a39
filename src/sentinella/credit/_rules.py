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

How it runs (each step one SQL statement; no row goes through Python except the few capped
pair-months):

- ``UNIVERSE`` (built first): every merchant with a dense integer code and its owner; the same
  join gives each rating its merchant code and settles self-ratings.
- ``BASE``: rules 1–6 are one join and projection into a working table (in memory, every
  column the later steps need), with the reason as an ENUM, the merchant as its code and the
  buyer also as a 64-bit hash of the ID.
- ``PAIRS``: one hash aggregate per (buyer hash, merchant code) over the ratings rules 1–6 let
  through (count and sum of stars: the robust score's votes). Rules 7–9 and the DSR's first
  three per month all compare ratings of one pair, so only pairs with two or more such ratings
  can be touched by them (a hash collision only adds candidates: the windows partition by the
  buyer ID itself).
- ``MULTI``: the ratings of those pairs (a fraction of all), where SQL window functions settle
  repeats, duplicates and the DSR rank; the cap is a bounded running sum (skipping a ±1 step
  that would leave the band is the same as clamping a running sum, which no SQL window
  expresses), clamped in numpy on the pair-months with more ratings than the cap.
- the few ratings whose reason changed are written back into ``BASE`` by row id, and
  ``credit_ratings`` is written from it once: the review, its order, the reason (ENUM), points
  and two flags. Everything else about a rating is in ``reviews`` and ``orders``; the view
  ``credit_rating_details`` joins it back, with the reason in words.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pyarrow as pa

from sentinella.engine import Backend
from sentinella.money import convert_sql

from ._config import CreditConfig
from ._inputs import FLAGGED, REFUNDS, day_number, literal, local_day

UNIVERSE = "__credit_universe"
BASE = "__credit_base"
PAIRS = "__credit_pairs"
MULTI = "__credit_multi"
CAPPED = "__credit_capped"
DETAILS = "credit_rating_details"
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
REASON_TYPE = f"ENUM({', '.join(literal(reason) for reason in REASONS)})"
ORDER_KEY = "placed_at, order_id, created_at, review_id"
_PAIR = "buyer, merchant"
_EXACT = "buyer_id, merchant"  # the hash finds candidates; the ID decides


def points_sql(rating: str) -> str:
    return f"(CASE WHEN {rating} >= 4 THEN 1 WHEN {rating} = 3 THEN 0 ELSE -1 END)"


def month_sql(placed_at: str, config: CreditConfig) -> str:
    """The local calendar month of an order's placement, as the DATE of its first day."""
    day = local_day(placed_at, config)
    return f"CAST(date_trunc('month', DATE '1970-01-01' + CAST({day} AS INTEGER)) AS DATE)"


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
SELECT review_id, order_id, merchant, buyer, buyer_id, listing_id, rating, created_at, placed_at,
  CAST(pre_reason AS {REASON_TYPE}) AS reason,
  CAST(CASE WHEN pre_reason IS NULL THEN {points_sql("rating")} ELSE 0 END AS TINYINT) AS points,
  (pre_reason IS NULL AND review_day >= {day_number(dsr_from)}) AS dsr_counted,
  dsr_described, dsr_service, dsr_shipping
FROM (
SELECT r.review_id, r.order_id, CAST(r.rating AS INTEGER) AS rating, r.created_at,
  r.dsr_described, r.dsr_service, r.dsr_shipping,
  u.code AS merchant, hash(o.buyer_id) AS buyer, o.buyer_id, o.listing_id, o.placed_at,
  {review_day} AS review_day,
  CASE
    WHEN f.order_id IS NOT NULL THEN 'flagged'
    WHEN o.order_id IS NULL OR o.placed_at >= {cutoff} THEN 'unverified'
    WHEN o.status = 'refunded' OR rf.order_id IS NOT NULL THEN 'refunded'
    WHEN o.status = 'disputed' THEN 'disputed'
    WHEN coalesce(o.status, '') <> 'completed' OR o.completed_at >= {cutoff} THEN 'unverified'
    WHEN u.owner = o.buyer_id THEN 'self_rating'
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
LEFT JOIN {UNIVERSE} u ON u.merchant_id = o.merchant_id
WHERE r.created_at < {cutoff}
) k"""


def pairs_sql() -> str:
    """Per buyer–merchant pair, the ratings rules 1–6 let through: how many, and their stars."""
    return f"""
SELECT {_PAIR}, count(*) AS n, sum(rating) AS stars
FROM {BASE} WHERE reason IS NULL
GROUP BY {_PAIR}"""


def multi_sql(config: CreditConfig) -> str:
    """Ratings of pairs rated more than once, with rules 7, 8 and the DSR rank settled.

    ``repeat``: a later review of the same order. ``duplicate``: among the others, the same
    listing within ``duplicate_days`` of the previous order of it. ``dsr_late``: among the
    others, after the first ``dsr_per_pair_month`` of the pair and month. Windows partition by
    ``repeat`` too, so repeats take no place in the others' sequences.
    """
    day = "placed_day"
    return f"""
SELECT row_id, review_id, order_id, {_PAIR}, buyer_id, listing_id, rating, created_at, placed_at,
  month, repeat,
  coalesce(NOT repeat AND listing_id IS NOT NULL AND {day} - lag({day}) OVER (
    PARTITION BY {_EXACT}, listing_id, repeat ORDER BY {ORDER_KEY}) <= {int(config.duplicate_days)}, FALSE)
    AS duplicate,
  NOT repeat AND row_number() OVER (
    PARTITION BY {_EXACT}, month, repeat ORDER BY {ORDER_KEY}) > {int(config.dsr_per_pair_month)} AS dsr_late,
  FALSE AS capped
FROM (
  SELECT *, row_number() OVER (PARTITION BY order_id ORDER BY created_at, review_id) > 1 AS repeat
  FROM (
    SELECT k.rowid AS row_id, k.review_id, k.order_id, k.buyer, k.merchant, k.buyer_id, k.listing_id,
      k.rating, k.created_at, k.placed_at,
      {local_day("k.placed_at", config)} AS placed_day, {month_sql("k.placed_at", config)} AS month
    FROM {BASE} k
    JOIN (SELECT {_PAIR} FROM {PAIRS} WHERE n > 1) g
      ON g.buyer = k.buyer AND g.merchant = k.merchant
    WHERE k.reason IS NULL
  ) c
) x"""


def settle_sql() -> str:
    """Write the reasons (and DSR exclusions) rules 7–9 found back into the working table."""
    changed = "m.repeat OR m.duplicate OR m.capped"
    return f"""
UPDATE {BASE} SET
  reason = CASE WHEN m.repeat THEN 'repeat_review' WHEN m.duplicate THEN 'duplicate'
                WHEN m.capped THEN 'capped' END,
  points = CASE WHEN {changed} THEN 0 ELSE {BASE}.points END,
  dsr_counted = {BASE}.dsr_counted AND NOT m.repeat AND NOT m.dsr_late
FROM {MULTI} m
WHERE {BASE}.rowid = m.row_id AND ({changed} OR m.dsr_late)"""


def build_ratings(backend: Backend, config: CreditConfig, as_of: dt.date, cutoff: str) -> None:
    """Rules 1–6 in one pass, then 7, 8 and the DSR rank on the pairs rated more than once."""
    backend.execute(
        f"CREATE OR REPLACE TEMP TABLE {BASE} AS\n{base_sql(config, as_of, cutoff)}", step="credit: rules"
    )
    backend.execute(f"CREATE OR REPLACE TEMP TABLE {PAIRS} AS\n{pairs_sql()}", step="credit: pairs")
    backend.execute(
        f"CREATE OR REPLACE TEMP TABLE {MULTI} AS\n{multi_sql(config)}", step="credit: repeats and duplicates"
    )


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


def cap_sql(config: CreditConfig) -> str:
    """The ratings still counted in pair-months with more of them than the cap, in time order."""
    cap = int(config.monthly_cap)
    return f"""
WITH k AS (SELECT * FROM {MULTI} WHERE NOT repeat AND NOT duplicate),
g AS (SELECT {_EXACT}, month FROM k GROUP BY {_EXACT}, month HAVING count(*) > {cap})
SELECT k.row_id, {points_sql("k.rating")} AS step,
  dense_rank() OVER (ORDER BY k.buyer_id, k.merchant, k.month) AS grp
FROM k JOIN g ON g.buyer_id = k.buyer_id AND g.merchant = k.merchant AND g.month = k.month
ORDER BY k.buyer_id, k.merchant, k.month, k.{ORDER_KEY.replace(", ", ", k.")}"""


def apply_cap(backend: Backend, config: CreditConfig) -> int:
    """Clamp the pair-months with more counted ratings than the cap; returns how many were capped."""
    cap = int(config.monthly_cap)
    rows = backend.query(cap_sql(config), step="credit: monthly cap")
    group = np.asarray(rows.column("grp").to_numpy(zero_copy_only=False), dtype=np.int64)
    step = np.asarray(rows.column("step").to_numpy(zero_copy_only=False), dtype=np.int64)
    counted = clamp_running(group, step, cap)
    if counted.all():
        return 0
    capped = rows.column("row_id").filter(pa.array(~counted))
    backend.register_arrow(f"{CAPPED}_arrow", pa.table({"row_id": capped}))
    try:
        backend.execute(
            f"UPDATE {MULTI} SET capped = TRUE WHERE row_id IN (SELECT row_id FROM {CAPPED}_arrow)",
            step="credit: monthly cap",
        )
    finally:
        backend.unregister(f"{CAPPED}_arrow")
    return int((~counted).sum())


def ratings_table_sql(dialect: str) -> str:
    """``credit_ratings``: one row per review, narrow. IDs are unique, so the engine's string
    dictionary analysis only costs time: DuckDB is told to use zstd for them."""
    ids = " USING COMPRESSION zstd" if dialect == "duckdb" else ""
    return (
        f"CREATE OR REPLACE TABLE credit_ratings (review_id VARCHAR{ids}, order_id VARCHAR{ids}, "
        f"counted BOOLEAN, reason {REASON_TYPE}, points TINYINT, dsr_counted BOOLEAN)"
    )


def write_ratings(backend: Backend, config: CreditConfig) -> None:
    backend.execute(ratings_table_sql(backend.dialect.name), step="credit_ratings")
    backend.execute(
        "INSERT INTO credit_ratings SELECT review_id, order_id, reason IS NULL, reason, points, dsr_counted "
        f"FROM {BASE}",
        step="credit_ratings",
    )
    backend.execute(f"CREATE OR REPLACE VIEW {DETAILS} AS {details_sql(config)}", step=DETAILS)


def details_sql(config: CreditConfig) -> str:
    """Every rating with what it was about (from reviews and orders) and its reason in words."""
    texts = reason_text(config)
    words = " ".join(f"WHEN {literal(reason)} THEN {literal(text)}" for reason, text in texts.items())
    return f"""
SELECT c.review_id, c.order_id, o.merchant_id, o.buyer_id, o.listing_id, CAST(r.rating AS INTEGER) AS rating,
  r.created_at, o.placed_at, {month_sql("o.placed_at", config)} AS month,
  {points_sql("r.rating")} AS rating_points, c.counted, c.reason,
  CASE c.reason {words} END AS reason_text,
  c.points, c.dsr_counted, r.dsr_described, r.dsr_service, r.dsr_shipping
FROM credit_ratings c
JOIN reviews r ON r.review_id = c.review_id
LEFT JOIN orders o ON o.order_id = c.order_id"""


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
