"""Rings found versus planted: SQL joins between the ring_* tables and the truth folder."""

from __future__ import annotations

from pathlib import Path

from sentinella.engine import Backend

from ._scoring import Score, _one, _truth

LOOKALIKE_KINDS = ("loyal_buyers", "family_shop", "flash_sale")


def ring_metrics(backend: Backend, truth: Path) -> dict[str, float]:
    """The figures the issue asks for: order-level ROC AUC, ring precision/recall, look-alikes.

    Positives are the rings' target orders (the fake orders at the boosted shop); camouflage
    orders are bought at ordinary shops and left out of the AUC (neither fake nor honest).
    A planted ring is recovered by a found ring at the same shop sharing at least half of the
    planted ring's accounts and made at least half of planted accounts.
    """
    rings, orders, members = (
        _truth(truth, "brushing_rings"),
        _truth(truth, "ring_orders"),
        _truth(truth, "ring_members"),
    )
    looks = _truth(truth, "lookalikes")
    (auc,) = _one(
        backend,
        f"WITH s AS (SELECT o.score, coalesce(t.role = 'target', FALSE) AS pos FROM ring_order_scores o "
        f"LEFT JOIN {orders} t ON t.order_id = o.order_id WHERE t.role IS NULL OR t.role = 'target'), "
        "r AS (SELECT pos, avg(rn) OVER (PARTITION BY score) AS ar FROM "
        "(SELECT pos, score, row_number() OVER (ORDER BY score) AS rn FROM s)), "
        "c AS (SELECT count(*) FILTER (WHERE pos) AS p, count(*) FILTER (WHERE NOT pos) AS n, "
        "sum(ar) FILTER (WHERE pos) AS sp FROM r) "
        "SELECT CASE WHEN p > 0 AND n > 0 THEN (sp - p * (p + 1) / 2.0) / (p * n) END FROM c",
    )
    planted, recovered, found, matched = _one(
        backend,
        f"WITH f AS (SELECT g.ring_id, g.merchant_id, count(m.member_id) AS k FROM ring_groups g "
        "LEFT JOIN ring_members m ON m.ring_id = g.ring_id GROUP BY ALL), "
        "t AS (SELECT r.ring_id, r.merchant_id, count(*) AS k "
        f"FROM {rings} r JOIN {members} m USING (ring_id) "
        "GROUP BY ALL), "
        f"o AS (SELECT t.ring_id AS planted, f.ring_id AS found, t.k AS tk, f.k AS fk, count(*) AS both_k "
        f"FROM t JOIN {members} tm ON tm.ring_id = t.ring_id "
        "JOIN ring_members fm ON fm.member_id = tm.member_id "
        "JOIN f ON f.ring_id = fm.ring_id AND f.merchant_id = t.merchant_id GROUP BY ALL), "
        "ok AS (SELECT * FROM o WHERE both_k * 2 >= tk AND both_k * 2 >= fk) "
        "SELECT (SELECT count(*) FROM t), (SELECT count(DISTINCT planted) FROM ok), "
        "(SELECT count(*) FROM f), (SELECT count(DISTINCT found) FROM ok)",
    )
    target, target_flagged, flagged, flagged_wrong = _one(
        backend,
        "SELECT count(*) FILTER (WHERE t.role = 'target'), "
        "count(*) FILTER (WHERE t.role = 'target' AND o.flagged), "
        "count(*) FILTER (WHERE o.flagged), count(*) FILTER (WHERE o.flagged AND t.order_id IS NULL) "
        f"FROM ring_order_scores o LEFT JOIN {orders} t ON t.order_id = o.order_id",
    )
    kinds = ", ".join(f"'{k}'" for k in LOOKALIKE_KINDS)
    look_buyers, look_flagged = _one(
        backend,
        "SELECT count(DISTINCT l.entity_id), count(DISTINCT l.entity_id) FILTER (WHERE s.flagged) "
        f"FROM {looks} l "
        "LEFT JOIN ring_member_scores s ON s.member_id = l.entity_id "
        f"WHERE l.kind IN ({kinds}) AND l.role = 'buyer'",
    )
    accounts, accounts_flagged, members_flagged, members_wrong = _one(
        backend,
        f"SELECT (SELECT count(*) FROM {members}), "
        f"(SELECT count(*) FROM {members} m JOIN ring_member_scores s USING (member_id) WHERE s.flagged), "
        "(SELECT count(*) FROM ring_member_scores WHERE flagged), "
        "(SELECT count(*) FROM ring_member_scores s "
        f"ANTI JOIN {members} m USING (member_id) WHERE s.flagged)",
    )
    return {
        "auc": float(auc) if auc is not None else float("nan"),
        "rings_planted": planted,
        "rings_recovered": recovered,
        "rings_found": found,
        "rings_matched": matched,
        "ring_recall": recovered / planted if planted else 1.0,
        "ring_precision": matched / found if found else 1.0,
        "target_orders": target,
        "target_flagged": target_flagged,
        "orders_flagged": flagged,
        "orders_flagged_wrong": flagged_wrong,
        "lookalike_buyers": look_buyers,
        "lookalike_flagged": look_flagged,
        "ring_accounts": accounts,
        "ring_accounts_flagged": accounts_flagged,
        "accounts_flagged": members_flagged,
        "accounts_flagged_wrong": members_wrong,
    }


def score_rings(backend: Backend, truth: Path) -> list[Score]:
    """Found-vs-planted lines for the demo: rings, their orders and accounts, look-alikes."""
    if not backend.table_exists("ring_groups") or not (truth / "brushing_rings.parquet").exists():
        return []
    m = ring_metrics(backend, truth)
    auc = f"order-level ROC AUC {m['auc']:.3f}" if m["auc"] == m["auc"] else "no orders to rank"
    return [
        Score(
            "rings",
            "brushing rings recovered",
            int(m["rings_planted"]),
            int(m["rings_recovered"]),
            int(m["rings_found"] - m["rings_matched"]),
            f"precision {m['ring_precision']:.2f}, recall {m['ring_recall']:.2f}",
        ),
        Score(
            "rings",
            "fake (target) orders flagged",
            int(m["target_orders"]),
            int(m["target_flagged"]),
            int(m["orders_flagged_wrong"]),
            auc,
        ),
        Score(
            "rings",
            "ring accounts flagged",
            int(m["ring_accounts"]),
            int(m["ring_accounts_flagged"]),
            int(m["accounts_flagged_wrong"]),
        ),
        Score(
            "rings",
            "honest look-alike buyers left clean (loyal, family, flash sale)",
            int(m["lookalike_buyers"]),
            int(m["lookalike_buyers"] - m["lookalike_flagged"]),
            int(m["lookalike_flagged"]),
            "wrong = look-alike buyers flagged",
        ),
    ]
