"""The per-rating rules as one SQL pipeline and one sequential pass: which rating counts, and
if not, why.

The rules, in the order a rating meets them (the first that applies is its reason); the texts
they implement are quoted in docs/legal-credit.md:

1. ``flagged``: its order was flagged as brushing (removed with its points).
2. ``unverified``: the order is unknown, or the trade had not succeeded by the as-of date
   (placed, paid, shipped, delivered, cancelled, completed later, or refunded before success).
3. ``refunded``: the trade was fully refunded by the as-of date (refund payments of the order
   total at least its amount; or, where no refund payment is recorded, its status is
   ``refunded``), even after the rating; a partial refund leaves the rating standing.
   ``disputed``: the order's latest status is an open or upheld dispute.
4. ``self_rating``: the buyer owns the shop.
5. ``outside_window``: the first rating of an order written before the order was placed, or
   more than ``rating_window_days`` calendar days after the trade succeeded.
6. ``unknown_currency`` / ``tiny_order``: the order, converted with the rate table, is not
   known or is worth ``tiny_amount`` or less.
7. ``revised``: a neutral or negative rating its rater changed within ``revision_days`` (a
   second review row of the same order): the change counts in its place, once. ``repeat_review``:
   any other further review of an order already rated.
8. ``duplicate``: the same buyer rated the same listing at the same shop with the same sign
   within ``duplicate_days`` calendar days of the last rating of that sign that counted (each
   sign keeps its own window, anchored on the ratings that counted).
9. ``capped``: per buyer–merchant pair and calendar month the counted net stays within
   ±``monthly_cap``; a rating that would push it outside does not count.

As the text says, the 14 days and the month are those of the trade's creation (the order's
placement); the DSR's months are those of trade success. Calendar days and months are taken in
``CreditConfig.timezone``.

How it runs (each step one SQL statement; no per-row Python):

- ``UNIVERSE`` (built first): every merchant with a dense integer code and its owner; the same
  join gives each rating its merchant code and settles self-ratings.
- ``BASE``: rules 1–6 are one join and projection into a working table (in memory, every
  column the later steps need), with the reason as an ENUM, the merchant as its code and the
  buyer also as a 64-bit hash of the ID.
- ``PAIRS``: one hash aggregate per (buyer hash, merchant code) over the ratings rules 1–6 let
  through or held only by the window (a change of rating may come after the window). Rules 7–9
  and the DSR's first three per month all compare ratings of one pair, so only pairs with two or
  more such ratings can be touched by them (a hash collision only adds candidates: the windows
  partition by the buyer ID itself).
- ``MULTI``: the ratings of those pairs (a fraction of all), where SQL window functions settle
  changes, repeats and the DSR rank.
- rules 8 and 9 depend on which earlier ratings counted under both, so the pairs' remaining
  ratings are walked once in time order by a compiled loop (``_sequence.count_sequence``).
- the few ratings whose reason changed are written back into ``BASE`` by row id, and
  ``credit_ratings`` is written from it once: the review, its order, the reason (ENUM), points
  and two flags. Everything else about a rating is in ``reviews`` and ``orders``; the view
  ``credit_rating_details`` joins it back, with the reason in words.
"""

from __future__ import annotations

import calendar
import datetime as dt
import functools

import numpy as np
import pyarrow as pa

from sentinella.engine import Backend, Dialect, DuckDBDialect, literal
from sentinella.money import convert_sql

from ._config import CreditConfig
from ._inputs import FLAGGED, REFUNDS, day_number, local_day
from ._sequence import count_sequence

UNIVERSE = "__credit_universe"
BASE = "__credit_base"
PAIRS = "__credit_pairs"
MULTI = "__credit_multi"
SEQUENCE = "__credit_sequence"
DETAILS = "credit_rating_details"
REASONS: dict[str, str] = {
    "flagged": "order flagged as brushing, removed with its points",
    "unverified": "order unknown, or the trade had not succeeded by the as-of date",
    "refunded": "trade fully refunded, even if after the rating",
    "disputed": "order under dispute",
    "self_rating": "the shop's owner rating their own shop",
    "outside_window": "written before the order or too long after the trade succeeded",
    "unknown_currency": "order currency missing from the rate table",
    "tiny_order": "order too small to count",
    "revised": "changed later by its rater: the changed rating counts instead",
    "repeat_review": "a further review of an order already rated, not an allowed change",
    "duplicate": "the same item and sign from the same buyer again within the 14-day window",
    "capped": "beyond the net a buyer can give a shop in one calendar month",
}
_DUCKDB = DuckDBDialect()
ORDER_KEY = "placed_at, order_id, created_at, review_id"
_PAIR = "buyer, merchant"
_EXACT = "buyer_id, merchant"  # the hash finds candidates; the ID decides


def points_sql(rating: str) -> str:
    return f"(CASE WHEN {rating} >= 4 THEN 1 WHEN {rating} = 3 THEN 0 ELSE -1 END)"


def month_sql(instant: str, config: CreditConfig, dialect: Dialect = _DUCKDB) -> str:
    """The local calendar month of an instant, as the DATE of its first day."""
    day = local_day(instant, config, dialect)
    return f"CAST(date_trunc('month', DATE '1970-01-01' + CAST({day} AS INTEGER)) AS DATE)"


def months_before(day: dt.date, months: int) -> dt.date:
    """The same day ``months`` calendar months earlier (the month's last day if it is shorter)."""
    year, month0 = divmod(day.year * 12 + day.month - 1 - months, 12)
    last = calendar.monthrange(year, month0 + 1)[1]
    return dt.date(year, month0 + 1, min(day.day, last))


def dsr_start(as_of: dt.date, config: CreditConfig) -> dt.date:
    """The first local day of the DSR window: the ``dsr_months`` months up to and including as_of."""
    return months_before(as_of, int(config.dsr_months)) + dt.timedelta(days=1)


def refund_sql(config: CreditConfig) -> str:
    """True when the trade was fully refunded: refund payments all in the order's currency reach
    its amount (exact decimals); refunds in other currencies are compared converted. Where no
    refund payment is recorded, the status ``refunded`` is the only evidence and is taken as full."""
    amount = convert_sql("o.amount", "o.currency", config.currency, config.rates)
    return f"""(CASE WHEN rf.order_id IS NULL THEN o.status = 'refunded'
      WHEN rf.currency = o.currency THEN rf.total >= o.amount
      ELSE coalesce(rf.converted >= {amount}, FALSE) END)"""


def base_sql(config: CreditConfig, as_of: dt.date, cutoff: str, dialect: Dialect = _DUCKDB) -> str:
    """One row per review known by the as-of date with the first rule of 1–6 it breaks.

    One pass (a join and a projection, no sort): the rules that compare a rating with others
    (7–9, and the first three per month for DSR) only concern buyers who rated an order, a
    listing or a shop several times, so they are settled afterwards on those few rows.
    """
    amount = convert_sql("o.amount", "o.currency", config.currency, config.rates)
    review_day = local_day("r.created_at", config, dialect)
    return f"""
SELECT row_id, review_id, order_id, merchant, buyer, buyer_id, listing_id, rating, created_at,
  placed_at, completed_at,
  CAST(pre_reason AS {dialect.enum_type(REASONS)}) AS reason,
  CAST(CASE WHEN pre_reason IS NULL THEN {points_sql("rating")} ELSE 0 END AS TINYINT) AS points,
  (pre_reason IS NULL AND review_day >= {day_number(dsr_start(as_of, config))}
   AND coalesce(dsr_described, dsr_service, dsr_shipping) IS NOT NULL) AS dsr_counted,
  dsr_described, dsr_service, dsr_shipping
FROM (
SELECT {dialect.row_id("r")} AS row_id, r.review_id, r.order_id, CAST(r.rating AS INTEGER) AS rating,
  r.created_at,
  r.dsr_described, r.dsr_service, r.dsr_shipping,
  u.code AS merchant, hash(o.buyer_id) AS buyer, o.buyer_id, o.listing_id, o.placed_at, o.completed_at,
  {review_day} AS review_day,
  CASE
    WHEN f.order_id IS NOT NULL THEN 'flagged'
    WHEN o.order_id IS NULL OR o.placed_at >= {cutoff} THEN 'unverified'
    WHEN {refund_sql(config)} THEN 'refunded'
    WHEN o.status = 'disputed' THEN 'disputed'
    WHEN coalesce(o.status, '') NOT IN ('completed', 'refunded')
      OR (o.status = 'refunded' AND o.completed_at IS NULL)
      OR o.completed_at >= {cutoff} THEN 'unverified'
    WHEN u.owner = o.buyer_id THEN 'self_rating'
    WHEN r.created_at < o.placed_at
      OR {review_day} - {local_day("coalesce(o.completed_at, o.placed_at)", config, dialect)}
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
    """Per buyer–merchant pair, over the ratings rules 1–6 let through (``n_valid``, with their
    ``stars`` and the rater's ID ``rater_id``: the robust score's vote of a pair rated once) or
    held only by the window (``n``;
    a change of rating may come after the window), whether the later rules can touch the pair
    (``multi``): two ratings that count so far, or one and a late row that may be its change
    (all of the pair's rows of one order, or three rows or more)."""
    return f"""
SELECT {_PAIR}, n, n_valid, stars, rater_id,
  n_valid > 1 OR (n_valid = 1 AND n > 1 AND (n > 2 OR low = high)) AS multi
FROM (
  SELECT {_PAIR}, count(*) AS n, count(*) FILTER (WHERE reason IS NULL) AS n_valid,
    sum(rating) FILTER (WHERE reason IS NULL) AS stars,
    min(buyer_id) FILTER (WHERE reason IS NULL) AS rater_id,
    min(hash(order_id)) AS low, max(hash(order_id)) AS high
  FROM {BASE} WHERE reason IS NULL OR reason = 'outside_window'
  GROUP BY {_PAIR}
) p"""


def multi_sql(config: CreditConfig, dialect: Dialect = _DUCKDB) -> str:
    """Ratings of pairs rated more than once, with rule 7 and the DSR rank settled.

    Per order, reviews in time order: the first is the rating; a second one within
    ``revision_days`` of a neutral or negative first one that counted so far is its change
    (``revision``; the first becomes ``revised``); anything else later is a ``repeat``.
    ``active``: the ratings rules 8 and 9 then walk. ``dsr_late``: among the first ratings with
    detailed scores, after the first ``dsr_per_pair_month`` of the pair and month of trade success.
    """
    days = int(config.revision_days)
    by_order = "PARTITION BY order_id ORDER BY created_at, review_id"
    dsr_first = "(rn = 1 AND reason0 IS NULL AND has_dsr)"
    return f"""
SELECT row_id, review_id, order_id, {_PAIR}, buyer_id, listing_id, rating, created_at, placed_at,
  placed_day, month_index, revised, revision, repeat,
  (rn = 1 AND reason0 IS NULL AND NOT revised) OR revision AS active,
  {dsr_first} AND row_number() OVER (
    PARTITION BY {_EXACT}, dsr_month, {dsr_first} ORDER BY created_at, review_id)
    > {int(config.dsr_per_pair_month)} AS dsr_late,
  FALSE AS duplicate, FALSE AS capped
FROM (
  SELECT *,
    coalesce(rn = 1 AND reason0 IS NULL AND rating <= 3 AND next_day - review_day <= {days}, FALSE)
      AS revised,
    coalesce(rn = 2 AND prev_reason IS NULL AND prev_rating <= 3
             AND review_day - prev_day <= {days}, FALSE) AS revision,
    rn > 1 AND NOT coalesce(rn = 2 AND prev_reason IS NULL AND prev_rating <= 3
             AND review_day - prev_day <= {days}, FALSE) AS repeat
  FROM (
    SELECT *,
      row_number() OVER ({by_order}) AS rn,
      lag(rating) OVER ({by_order}) AS prev_rating,
      lag(CAST(reason0 AS VARCHAR)) OVER ({by_order}) AS prev_reason,
      lag(review_day) OVER ({by_order}) AS prev_day,
      lead(review_day) OVER ({by_order}) AS next_day
    FROM (
      SELECT k.row_id, k.review_id, k.order_id, k.buyer, k.merchant, k.buyer_id,
        k.listing_id, k.rating, k.created_at, k.placed_at, k.reason AS reason0,
        coalesce(k.dsr_described, k.dsr_service, k.dsr_shipping) IS NOT NULL AS has_dsr,
        {local_day("k.created_at", config, dialect)} AS review_day,
        {local_day("k.placed_at", config, dialect)} AS placed_day,
        year({month_sql("k.placed_at", config, dialect)}) * 12
          + month({month_sql("k.placed_at", config, dialect)}) AS month_index,
        {month_sql("coalesce(k.completed_at, k.placed_at)", config, dialect)} AS dsr_month
      FROM {BASE} k
      JOIN (SELECT {_PAIR} FROM {PAIRS} WHERE multi) g
        ON g.buyer = k.buyer AND g.merchant = k.merchant
      WHERE k.reason IS NULL OR k.reason = 'outside_window'
    ) c
  ) o
) x"""


def sequence_sql(config: CreditConfig) -> str:
    """The ratings rules 8 and 9 walk: each row's place in its pair by trade creation (``pos``,
    from 1) and its item coded by its rank within the pair (−1: no listing).

    Only pairs either rule can touch are walked: a pair with two ratings of the same sign for one
    item, or with more ratings in a month than the band's width (a hash collision only adds
    pairs)."""
    by_pair = f"PARTITION BY {_EXACT}"
    return f"""
WITH a AS (SELECT * FROM {MULTI} WHERE active),
need AS (
  SELECT DISTINCT {_PAIR} FROM (
    SELECT {_PAIR} FROM a WHERE listing_id IS NOT NULL AND rating <> 3
    GROUP BY {_PAIR}, listing_id, rating > 3 HAVING count(*) > 1
    UNION ALL
    SELECT {_PAIR} FROM a GROUP BY {_PAIR}, month_index HAVING count(*) > {int(config.monthly_cap)}
  ) x
)
SELECT row_id, {_EXACT},
  row_number() OVER ({by_pair} ORDER BY {ORDER_KEY}) AS pos,
  CASE WHEN listing_id IS NULL THEN -1
       ELSE dense_rank() OVER ({by_pair} ORDER BY listing_id) - 1 END AS item,
  {points_sql("rating")} AS sign, placed_day AS day, month_index AS month
FROM a WHERE (buyer, merchant) IN (SELECT buyer, merchant FROM need)"""


def build_ratings(backend: Backend, config: CreditConfig, as_of: dt.date, cutoff: str) -> None:
    """Rules 1–6 in one pass, then 7 and the DSR rank on the pairs rated more than once."""
    backend.execute(
        f"CREATE OR REPLACE TEMP TABLE {BASE} AS\n{base_sql(config, as_of, cutoff, backend.dialect)}",
        step="credit: rules",
    )
    backend.execute(f"CREATE OR REPLACE TEMP TABLE {PAIRS} AS\n{pairs_sql()}", step="credit: pairs")
    backend.execute(
        f"CREATE OR REPLACE TEMP TABLE {MULTI} AS\n{multi_sql(config, backend.dialect)}",
        step="credit: changes and repeats",
    )


_STOPPED = pa.schema([("row_id", pa.int64()), ("duplicate", pa.bool_()), ("capped", pa.bool_())])


def sequence_kernel(rows: pa.Table, *, window: int, cap: int) -> pa.Table:
    """The rows rules 8 and 9 stop, from whole pairs sorted by ``pos`` (the engine's
    ``map_groups`` hands them over: all at once on DuckDB, a partition at a time on Spark)."""

    def column(name: str, dtype: type) -> np.ndarray:
        return np.asarray(rows.column(name).to_numpy(zero_copy_only=False), dtype=dtype)

    duplicate, capped = count_sequence(
        column("pos", np.int64) == 1,
        column("item", np.int64),
        column("sign", np.int64),
        column("day", np.int64),
        column("month", np.int64),
        window=window,
        cap=cap,
    )
    stopped = duplicate | capped
    return pa.table(
        {
            "row_id": rows.column("row_id").filter(pa.array(stopped)),
            "duplicate": pa.array(duplicate[stopped]),
            "capped": pa.array(capped[stopped]),
        }
    )


def apply_sequence(backend: Backend, config: CreditConfig) -> int:
    """Rules 8 and 9 (same item within 14 days per sign, the monthly band) in one ordered pass
    per pair over its active ratings; returns how many ratings they stopped. Pairs are
    independent, so on Spark the pass runs on the executors, a partition of pairs at a time."""
    stopped = f"{SEQUENCE}_stopped"
    backend.map_groups(
        sequence_sql(config),
        by=("buyer_id", "merchant"),
        order=("pos",),
        kernel=functools.partial(
            sequence_kernel, window=int(config.duplicate_days), cap=int(config.monthly_cap)
        ),
        schema=_STOPPED,
        output=stopped,
        step="credit: 14 days and monthly cap",
    )
    try:
        count = int(str(backend.scalar(f"SELECT count(*) FROM {stopped}", step="credit: stopped")))
        if count:
            backend.update(
                MULTI,
                stopped,
                "row_id",
                {"duplicate": "m.duplicate", "capped": "m.capped"},
                step="credit: 14 days and monthly cap",
            )
    finally:
        backend.execute(f"DROP TABLE IF EXISTS {stopped}", step="credit: drop stopped")
    return count


def settle(backend: Backend) -> None:
    """Write the reasons (and DSR exclusions) rules 7–9 found back into the working table."""
    stopped = "m.revised OR m.repeat OR m.duplicate OR m.capped"
    backend.update(
        BASE,
        MULTI,
        "row_id",
        {
            "reason": f"""CASE WHEN m.revised THEN 'revised' WHEN m.repeat THEN 'repeat_review'
                WHEN m.duplicate THEN 'duplicate' WHEN m.capped THEN 'capped'
                WHEN m.revision THEN NULL ELSE {BASE}.reason END""",
            "points": f"""CAST(CASE WHEN {stopped} THEN 0 WHEN m.revision THEN {points_sql(f"{BASE}.rating")}
                ELSE {BASE}.points END AS TINYINT)""",
            "dsr_counted": f"{BASE}.dsr_counted AND NOT m.repeat AND NOT m.revision AND NOT m.dsr_late",
        },
        f"{stopped} OR m.revision OR m.dsr_late",
        step="credit: settle",
    )


def ratings_table_sql(dialect: Dialect = _DUCKDB) -> str:
    """``credit_ratings``: one row per review, narrow. IDs are unique, so the engine's string
    dictionary analysis only costs time: an engine that takes the hint uses zstd for them."""
    ids = dialect.compressed("VARCHAR", "zstd")
    return (
        f"CREATE OR REPLACE TABLE credit_ratings (review_id {ids}, order_id {ids}, "
        f"counted BOOLEAN, reason {dialect.enum_type(REASONS)}, points TINYINT, dsr_counted BOOLEAN)"
    )


def write_ratings(backend: Backend, config: CreditConfig) -> None:
    backend.execute(ratings_table_sql(backend.dialect), step="credit_ratings")
    backend.execute(
        "INSERT INTO credit_ratings SELECT review_id, order_id, reason IS NULL, reason, points, dsr_counted "
        f"FROM {BASE}",
        step="credit_ratings",
    )
    backend.create_view(DETAILS, details_sql(config, backend.dialect), step=DETAILS)


def details_sql(config: CreditConfig, dialect: Dialect = _DUCKDB) -> str:
    """Every rating with what it was about (from reviews and orders) and its reason in words."""
    texts = reason_text(config)
    words = " ".join(f"WHEN {literal(reason)} THEN {literal(text)}" for reason, text in texts.items())
    return f"""
SELECT c.review_id, c.order_id, o.merchant_id, o.buyer_id, o.listing_id, CAST(r.rating AS INTEGER) AS rating,
  r.created_at, o.placed_at, {month_sql("o.placed_at", config, dialect)} AS month,
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
        f"written before the order or more than {config.rating_window_days} days after the trade succeeded"
    )
    text["tiny_order"] = f"order of {config.tiny_amount:.2f} {config.currency} or less"
    text["revised"] = (
        f"a neutral or negative rating changed by its rater within {config.revision_days} days: "
        "the changed rating counts instead"
    )
    text["duplicate"] = (
        f"the same item and sign from the same buyer within {config.duplicate_days} days of one that counted"
    )
    text["capped"] = f"beyond the ±{config.monthly_cap} net a buyer can give a shop in one calendar month"
    return text
