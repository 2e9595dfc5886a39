"""Compare's risk signal: a counterfeit seller's offers far below the market, not a clearance shop's."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest

from sentinella.compare._analysis import BELOW_MARKET as COMPARE_CUT
from sentinella.risk import SIGNALS, evaluate_risk, load_config
from sentinella.risk._compare_source import BELOW_MARKET
from sentinella.store import Store
from service_world import World


def _truth(world: World, name: str) -> str:
    return f"read_parquet('{world.truth / f'{name}.parquet'}')"


def test_the_cut_is_compares_own() -> None:
    assert BELOW_MARKET == COMPARE_CUT and SIGNALS["compare_below_market"] == "compare"


@pytest.mark.slow
def test_counterfeit_sellers_score_and_lookalikes_stay_below_the_case_line(
    world: World, compared: Path
) -> None:
    threshold = load_config().case_threshold
    with Store.open(compared, read_only=True) as store:
        connection = store.connection
        flags = _truth(world, "provenance_flags")
        counterfeit = {r[0] for r in connection.execute(f"SELECT merchant_id FROM {flags}").fetchall()}
        lookalikes = {
            r[0]
            for r in connection.execute(
                f"SELECT entity_id FROM {_truth(world, 'lookalikes')} "
                "WHERE kind IN ('clearance', 'secondhand', 'flash_sale') AND entity_kind = 'merchant'"
            ).fetchall()
        }
        rows = connection.execute(
            "SELECT subject_id, score, reasons FROM risk_scores WHERE subject_kind = 'merchant'"
        ).fetchall()
        metrics = {(m.subject_kind, m.kind): m for m in evaluate_risk(store.backend, world.truth)}
    assert counterfeit and lookalikes
    scored = {subject: (score, json.loads(reasons)) for subject, score, reasons in rows}
    for seller in counterfeit:
        score, reasons = scored[seller]
        signal = next(r for r in reasons if r["signal"] == "compare_below_market")
        assert score >= threshold and signal["strength"] == 1.0  # every compared offer far below
        listing = signal["evidence"]["key"]["listing_id"]
        assert signal["evidence"]["table"] == "product_clusters" and listing in signal["detail"]
    cheap_lookalikes = [
        shop
        for shop in lookalikes
        if any(r["signal"] == "compare_below_market" for r in scored.get(shop, (0.0, []))[1])
    ]
    assert cheap_lookalikes  # the signal sees them too (their prices are low) ...
    for shop in lookalikes:  # ... but not enough to open a case
        assert scored.get(shop, (0.0, []))[0] < threshold, shop
    assert metrics[("merchant", "counterfeit_seller")].rate == 1.0


def test_without_comparison_results_the_source_is_skipped(world: World) -> None:
    with duckdb.connect(str(world.db), read_only=True) as connection:
        analyses = connection.execute("SELECT DISTINCT analyses FROM risk_scores").fetchall()
    assert [json.loads(a[0]) for a in analyses] == [["pyramid", "rings", "credit"]]
