"""End to end on a small generated world: brushing rings' orders removed from credit."""

from __future__ import annotations

from pathlib import Path

import pytest

from sentinella.credit import REASONS, merchant_credit, run_credit
from sentinella.demo._scoring_credit import score_credit
from sentinella.store import Store, ingest_case
from sentinella.synth import generate_world


@pytest.mark.slow
def test_credit_on_a_generated_world(tmp_path: Path) -> None:
    case = tmp_path / "world"
    generate_world(case, members=3000, seed=1, media=False)
    store = Store.open(":memory:")
    ingest_case(store, case)
    truth = f"read_parquet('{case / 'truth' / 'ring_orders.parquet'}')"
    ring_orders = [str(r[0]) for r in store.connection.execute(f"SELECT order_id FROM {truth}").fetchall()]
    plain = run_credit(store.backend)
    plain_points = dict(
        store.connection.execute("SELECT merchant_id, points FROM credit_merchants").fetchall()
    )
    summary = run_credit(store.backend, flagged_orders=ring_orders)
    assert summary.ratings == store.row_count("credit_ratings") > 0
    assert summary.merchants >= store.row_count("merchants")
    assert summary.counted > 0 and set(summary.not_counted) <= set(REASONS)
    assert summary.not_counted.get("flagged", 0) > 0
    # every rated ring order is out of credit, and each boosted shop lost points
    leaked = store.connection.execute(
        f"SELECT count(*) FROM credit_ratings r JOIN {truth} t USING (order_id) WHERE r.counted"
    ).fetchall()[0][0]
    assert leaked == 0
    boosted = store.connection.execute(
        f"SELECT DISTINCT merchant_id FROM read_parquet('{case / 'truth' / 'brushing_rings.parquet'}')"
    ).fetchall()
    assert boosted
    for (shop,) in boosted:
        row = merchant_credit(store.backend, shop)
        assert row["brushing_flagged"] and row["points"] < plain_points[shop]
        assert "flagged as brushing" in row["explanation"]
    assert plain.flagged_orders == 0 and summary.flagged_orders > 0
    # one row per merchant, one per review
    dupes = store.connection.execute(
        "SELECT count(*) - count(DISTINCT merchant_id) FROM credit_merchants"
    ).fetchall()[0][0]
    assert dupes == 0
    kept, marked = score_credit(store.backend, case / "truth")
    assert kept.planted > 0 and kept.found == kept.planted and kept.wrong == 0
    assert marked.planted == len(boosted) and marked.found == marked.planted
