"""Merchant credit at the size of docs/targets.md, beside a plain SQL average on the same store.

    python benchmarks/credit.py                       # 10M orders + 5M reviews
    python benchmarks/credit.py --orders 1000000      # a quick run

The store (a DuckDB file in a temp folder) gets, from DuckDB SQL alone: 100k merchants,
2M buyers, orders with every status, several currencies, amounts down to ¥0.01, 30% of orders
at a buyer's "usual" shop (so pairs repeat and the monthly cap and 14-day rule have work), a
review for every second order with detailed ratings (1% of them second reviews of an order, three
days after the first: a change of rating or a repeat), and refund payments (every refunded
order, one in five only in part, and ¥0.01 back on 1% of completed orders). Then, in the same
process:
  peer:        CREATE TABLE AS SELECT merchant_id, avg(rating), count(*) FROM reviews JOIN orders
  sentinella:  run_credit (every rule, DSR, defect rate, robust score, both result tables)
Target (docs/targets.md): 10M orders + 5M reviews <= 15 s.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

from sentinella.credit import run_credit
from sentinella.store import Store

STATUS = (
    "CASE WHEN s < 85 THEN 'completed' WHEN s < 89 THEN 'refunded' WHEN s < 90 THEN 'disputed' "
    "WHEN s < 93 THEN 'cancelled' WHEN s < 97 THEN 'shipped' ELSE 'delivered' END"
)


def build_store(path: Path, orders: int, merchants: int, buyers: int) -> Store:
    store = Store.open(path)
    con = store.connection
    con.execute(
        "INSERT INTO merchants (merchant_id, member_id, name) "
        "SELECT 'S' || lpad(CAST(i AS VARCHAR), 7, '0'), 'B' || lpad(CAST(i * 13 AS VARCHAR), 8, '0'), "
        f"'shop ' || i FROM range({merchants}) t(i)"
    )
    con.execute(
        f"""
INSERT INTO orders (order_id, buyer_id, merchant_id, amount, currency, placed_at, status,
                    listing_id, completed_at)
SELECT 'O' || lpad(CAST(i AS VARCHAR), 9, '0'),
  'B' || lpad(CAST(b AS VARCHAR), 8, '0'),
  'S' || lpad(CAST(m AS VARCHAR), 7, '0'),
  CASE WHEN hash(i + 3) % 50 = 0 THEN (hash(i + 4) % 200) / 100.0 ELSE (hash(i + 4) % 50000) / 100.0 END,
  CASE WHEN hash(i + 6) % 10 = 0 THEN 'USD' ELSE 'CNY' END,
  placed,
  {STATUS},
  'L' || lpad(CAST(m * 20 + hash(i + 7) % 20 AS VARCHAR), 9, '0'),
  CASE WHEN s < 89 THEN placed + to_seconds(259200 + CAST(hash(i + 8) % 432000 AS BIGINT)) END
FROM (
  SELECT i, b, CAST(hash(i + 2) % 100 AS INTEGER) AS s,
    CASE WHEN hash(i + 5) % 10 < 3 THEN hash(b * 31) % {merchants} ELSE hash(i + 1) % {merchants} END AS m,
    TIMESTAMPTZ '2023-01-01 00:00:00+00' + to_seconds(CAST(hash(i + 9) % 63072000 AS BIGINT)) AS placed
  FROM (SELECT i, hash(i * 7) % {buyers} AS b FROM range({orders}) t(i))
)"""
    )
    con.execute(
        """
INSERT INTO reviews (review_id, order_id, rating, created_at, dsr_described, dsr_service, dsr_shipping)
SELECT 'R' || lpad(CAST(o.i AS VARCHAR), 9, '0'), o.order_id,
  CAST(least(5, greatest(1, q + (hash(o.i + 11) % 3) - 1)) AS INTEGER),
  coalesce(o.completed_at, o.placed_at) + to_seconds(CAST(hash(o.i + 12) % 1728000 AS BIGINT)),
  CAST(least(5, greatest(1, q + (hash(o.i + 13) % 3) - 1)) AS INTEGER),
  CAST(least(5, greatest(1, q + (hash(o.i + 14) % 3) - 1)) AS INTEGER),
  CAST(least(5, greatest(1, q + (hash(o.i + 15) % 3) - 1)) AS INTEGER)
FROM (
  SELECT CAST(substr(order_id, 2) AS BIGINT) AS i, order_id, placed_at, completed_at,
    CAST(2 + hash(merchant_id) % 4 AS INTEGER) AS q
  FROM orders
) o
WHERE o.i % 2 = 0 AND o.i % 200 <> 100"""
    )
    # one reviewed order in a hundred is reviewed again three days later (a 1-3 star rating is
    # raised by three: a change of rating; a 4-5 star one is a repeat), keeping 5M reviews in all
    con.execute(
        """
INSERT INTO reviews (review_id, order_id, rating, created_at)
SELECT 'S' || substr(review_id, 2), order_id, least(5, rating + 3), created_at + INTERVAL 3 DAY
FROM reviews WHERE CAST(substr(order_id, 2) AS BIGINT) % 200 = 0"""
    )
    # refunds: every refunded order paid back, one in five of them only in part; and ¥0.01 back
    # on 1% of the completed ones
    con.execute(
        """
INSERT INTO payments (payment_id, payer_id, payee_id, amount, currency, kind, paid_at, order_id)
SELECT 'P' || substr(o.order_id, 2), m.member_id, o.buyer_id,
  CASE WHEN o.status = 'refunded' AND hash(o.order_id) % 5 <> 0 THEN o.amount
       WHEN o.status = 'refunded' THEN round(o.amount / 2, 2) ELSE 0.01 END,
  o.currency, 'refund', coalesce(o.completed_at, o.placed_at) + INTERVAL 2 DAY, o.order_id
FROM orders o JOIN merchants m ON m.merchant_id = o.merchant_id
WHERE o.status = 'refunded' OR (o.status = 'completed' AND hash(o.order_id) % 100 = 0)"""
    )
    con.execute("CHECKPOINT")
    return store


def main() -> None:
    raw = argparse.RawDescriptionHelpFormatter
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=raw)
    parser.add_argument("--orders", type=int, default=10_000_000)
    parser.add_argument("--merchants", type=int, default=100_000)
    parser.add_argument("--buyers", type=int, default=2_000_000)
    parser.add_argument("--repeat", type=int, default=2, help="timed runs of each (best is reported)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "credit.duckdb"
        started = time.perf_counter()
        store = build_store(path, args.orders, args.merchants, args.buyers)
        n_orders = store.row_count("orders")
        n_reviews = store.row_count("reviews")
        print(f"store: {n_orders:,} orders, {n_reviews:,} reviews in {time.perf_counter() - started:.1f} s")
        print(f"load average before: {os.getloadavg()[0]:.2f} (cores: {os.cpu_count()})")
        peer_times, ours = [], []
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            store.connection.execute(
                "CREATE OR REPLACE TABLE peer_average AS SELECT o.merchant_id, avg(r.rating) AS rating, "
                "count(*) AS ratings FROM reviews r JOIN orders o ON o.order_id = r.order_id "
                "GROUP BY o.merchant_id"
            )
            peer_times.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            summary = run_credit(store.backend)
            ours.append(time.perf_counter() - t0)
            print(f"  run: peer {peer_times[-1]:.2f} s, sentinella {ours[-1]:.2f} s {summary.timings}")
        print(f"load average after: {os.getloadavg()[0]:.2f}")
        print(
            f"counted {summary.counted:,} of {summary.ratings:,} ratings; not counted {summary.not_counted}; "
            f"{summary.merchants:,} merchants"
        )
        best_peer, best = min(peer_times), min(ours)
        print(f"plain SQL average (peer): {best_peer:.2f} s")
        verdict = "met" if best <= 15 else "MISSED"
        print(f"run_credit (sentinella):  {best:.2f} s  (target <= 15 s: {verdict})")
        print(f"ratio sentinella / peer:  {best / best_peer:.1f}x")
        store.close()


if __name__ == "__main__":
    main()
