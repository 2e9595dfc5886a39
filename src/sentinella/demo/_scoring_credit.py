"""Credit found versus planted: brushing ratings kept out of credit, boosted shops marked.

Run after ``run_credit`` (with the rings analysis's flagged orders, or the truth's for a check of
the credit side alone). Scores are SQL joins against the world's ``truth/`` folder.
"""

from __future__ import annotations

from pathlib import Path

from sentinella.engine import Backend

from ._scoring import Score, _one, _truth


def score_credit(backend: Backend, truth: Path) -> list[Score]:
    if not backend.table_exists("credit_ratings") or not (truth / "ring_orders.parquet").exists():
        return []
    orders = _truth(truth, "ring_orders")
    rings = _truth(truth, "brushing_rings")
    planted, kept_out, honest_flagged = _one(
        backend,
        "SELECT count(*) FILTER (WHERE t.role = 'target'), "
        "count(*) FILTER (WHERE t.role = 'target' AND NOT r.counted), "
        "count(*) FILTER (WHERE t.order_id IS NULL AND r.reason = 'flagged') "
        f"FROM credit_ratings r LEFT JOIN (SELECT order_id, min(role) AS role FROM {orders} "
        "GROUP BY order_id) t ON t.order_id = r.order_id",
    )
    shops, marked, wrong = _one(
        backend,
        "SELECT count(t.merchant_id), count(t.merchant_id) FILTER (WHERE m.brushing_flagged), "
        "count(*) FILTER (WHERE t.merchant_id IS NULL AND m.brushing_flagged) "
        f"FROM credit_merchants m LEFT JOIN (SELECT DISTINCT merchant_id FROM {rings}) t "
        "ON t.merchant_id = m.merchant_id",
    )
    return [
        Score(
            "credit",
            "brushing ratings kept out of credit",
            int(planted),
            int(kept_out),
            int(honest_flagged),
            "wrong = ratings of orders no ring placed, removed as flagged",
        ),
        Score("credit", "boosted shops marked as brushed", int(shops), int(marked), int(wrong)),
    ]
