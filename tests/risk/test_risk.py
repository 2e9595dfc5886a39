"""Risk scores on a generated world: bad actors above honest ones, reasons that lead to evidence."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from sentinella.risk import SIGNALS, RiskError, evaluate_risk, load_config, parse_config, run_risk
from sentinella.risk import _analysis as risk_analysis
from sentinella.risk._sources import Source
from sentinella.store import Store, ingest_case
from service_world import World, analysed_copy


@pytest.mark.slow
def test_planted_bad_actors_rank_above_honest_subjects(world: World) -> None:
    config = load_config()
    with Store.open(world.db, read_only=True) as store:
        metrics = {(m.subject_kind, m.kind): m for m in evaluate_risk(store.backend, world.truth)}
    # every kind the analyses on main can see is ordered almost perfectly
    for key in (
        ("member", "pyramid_organizer"),
        ("member", "ring_account"),
        ("merchant", "boosted_shop"),
        ("merchant", "pyramid_company_shop"),
    ):
        metric = metrics[key]
        assert metric.subjects > 0, key
        assert metric.auc is not None and metric.auc >= 0.95, (key, metric)
        assert metric.rate >= 0.9, (key, metric)
    # honest look-alikes stay under the case threshold
    for key, metric in metrics.items():
        if metric.role in ("lookalike", "honest"):
            assert metric.rate <= 0.01, (key, metric, config.case_threshold)
    assert metrics[("member", "lookalike_buyers_and_owners")].subjects > 0
    assert metrics[("member", "legit_network_members")].subjects > 0


def test_reasons_rank_by_weight_and_lead_to_their_evidence(world: World) -> None:
    with Store.open(world.db, read_only=True) as store:
        rows = store.connection.execute(
            "SELECT subject_kind, subject_id, score, reasons, analyses FROM risk_scores "
            "ORDER BY score DESC LIMIT 60"
        ).fetchall()
        assert rows
        for kind, subject, score, reasons_text, analyses in rows:
            reasons = json.loads(reasons_text)
            assert json.loads(analyses) == ["pyramid", "rings", "credit"]
            contributions = [r["contribution"] for r in reasons]
            assert contributions == sorted(contributions, reverse=True)
            # the score is the noisy-OR of its reasons
            expected = 1 - math.prod(1 - c for c in contributions)
            assert score == pytest.approx(expected, abs=1e-5)
            for reason in reasons:
                assert reason["analysis"] == SIGNALS[reason["signal"]]
                assert reason["contribution"] == pytest.approx(
                    reason["weight"] * reason["strength"], abs=1e-5
                )
                table, key = reason["evidence"]["table"], reason["evidence"]["key"]
                where = " AND ".join(f"{column} = ?" for column in key)
                found = store.connection.execute(
                    f"SELECT count(*) FROM {table} WHERE {where}", list(key.values())
                ).fetchall()[0][0]
                assert found >= 1, (kind, subject, reason)


def test_missing_analyses_are_skipped_and_named(world: World, tmp_path: Path) -> None:
    from sentinella.credit import run_credit

    with Store.open(tmp_path / "only-credit.duckdb") as store:
        ingest_case(store, world.case)
        run_credit(store.backend)
        summary = run_risk(store.backend)
        assert summary.analyses == ["credit"]
        assert set(summary.skipped) == {"pyramid", "rings", "compare", "provenance"}
        assert "not run" in summary.skipped["rings"]
        used = store.connection.execute("SELECT DISTINCT analyses FROM risk_scores").fetchall()
        assert used == [('["credit"]',)]
        assert summary.members == 0 and summary.merchants > 0


def test_nothing_run_gives_an_empty_table(tmp_path: Path) -> None:
    with Store.open(":memory:") as store:
        summary = run_risk(store.backend)
        assert summary.analyses == [] and summary.members == summary.merchants == 0
        assert store.row_count("risk_scores") == 0


def test_a_weights_file_replaces_the_shipped_one(world: World, tmp_path: Path) -> None:
    weights = tmp_path / "w.toml"
    weights.write_text("[thresholds]\ncase = 0.3\n[weights]\nring_account = 0.6\n", encoding="utf-8")
    config = load_config(weights)
    db = analysed_copy(world, tmp_path / "copy.duckdb")
    with Store.open(db) as store:
        summary = run_risk(store.backend, config=config)
        assert summary.analyses == ["rings"]
        assert summary.skipped == {
            "pyramid": "every signal weighs 0",
            "credit": "every signal weighs 0",
            "compare": "not run (no product_clusters, product_prices)",
            "provenance": "not run (no provenance_findings)",
        }
        signals = store.connection.execute(
            "SELECT DISTINCT r.signal FROM risk_scores, "
            'unnest(from_json(reasons, \'[{"signal": "VARCHAR"}]\')) AS t(r)'
        ).fetchall()
        assert signals == [("ring_account",)]
        top = store.connection.execute("SELECT max(score) FROM risk_scores").fetchall()[0][0]
        assert 0.5 < top <= 0.6


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[weights]\nring_acount = 0.5\n", "weights.ring_acount is not a signal"),
        ("[weights]\nring_account = 1.0\n", "weights.ring_account must lie in [0, 1)"),
        ("[weights]\nring_account = -0.1\n", "weights.ring_account must lie in [0, 1)"),
        ("[weights]\nring_account = 'high'\n", "weights.ring_account must be a number"),
        ("[thresholds]\ncase = 2\n", "thresholds.case must lie in [0, 1]"),
        ("[threshold]\ncase = 0.5\n", "unknown section 'threshold'"),
        ("[weights\n", "not valid TOML"),
    ],
)
def test_bad_weights_files_name_the_key(text: str, message: str) -> None:
    with pytest.raises(RiskError, match=None) as caught:
        parse_config(text, "my.toml")
    assert str(caught.value).startswith("my.toml: ") and message in str(caught.value)


def test_the_shipped_weights_cover_every_signal() -> None:
    config = load_config()
    assert set(config.weights) == set(SIGNALS)
    assert all(0 <= w < 1 for w in config.weights.values())


def _fake_source(analysis: str, signal: str, subject: str, strength: float) -> Source:
    row = (
        f"SELECT 'merchant' AS subject_kind, '{subject}' AS subject_id, '{signal}' AS signal, "
        f"{strength} AS strength, 't' AS evidence_table, '{{}}' AS evidence_key, 'x' AS detail"
    )
    return Source(analysis, (), (signal,), lambda: row)


def test_one_cheap_price_seen_by_two_analyses_counts_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """Comparison and provenance both measure a price against the market: the stronger counts,
    the other stays a reason with no contribution; a signal from other evidence still adds."""
    monkeypatch.setattr(
        risk_analysis,
        "SOURCES",
        [
            _fake_source("compare", "compare_below_market", "S1", 1.0),
            _fake_source("provenance", "provenance_price_far_below", "S1", 0.5),
            _fake_source("provenance2", "provenance_copied_photos", "S1", 1.0),
            _fake_source("compare2", "compare_below_market", "S2", 1.0),
        ],
    )
    config = load_config()
    weights = config.weights
    with Store.open(":memory:") as store:
        run_risk(store.backend, config=config)
        rows = {r["subject_id"]: r for r in store.backend.query("SELECT * FROM risk_scores").to_pylist()}
    alone = weights["compare_below_market"]
    assert float(rows["S2"]["score"]) == pytest.approx(alone)
    expected = 1 - (1 - alone) * (1 - weights["provenance_copied_photos"])
    assert float(rows["S1"]["score"]) == pytest.approx(expected, abs=1e-6)
    reasons = {r["signal"]: r for r in json.loads(str(rows["S1"]["reasons"]))}
    assert reasons["provenance_price_far_below"]["contribution"] == 0.0
    assert reasons["compare_below_market"]["contribution"] == pytest.approx(alone)
