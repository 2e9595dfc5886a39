"""Provenance on a generated world with real JPEGs: planted fakes found, honest look-alikes clean."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from sentinella.demo._scoring import Score
from sentinella.demo._scoring_provenance import score_provenance
from sentinella.provenance import ProvenanceSummary, run_provenance
from sentinella.risk import evaluate_risk, load_config, run_risk
from sentinella.store import Store, ingest_case
from sentinella.synth import generate_world

pytestmark = pytest.mark.slow
TRUTH: list[Path] = []  # the module's world, for tests that read its truth files


@pytest.fixture(scope="module")
def world(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[ProvenanceSummary, dict[str, Score], Store]]:
    case = tmp_path_factory.mktemp("provenance") / "case"
    generate_world(
        case,
        members=3000,
        seed=11,
        profile="tiny",
        media=True,
        overrides={"counterfeit_share": 0.12, "daigou_share": 0.08},
    )
    TRUTH[:] = [case / "truth"]
    store = Store.open(":memory:")
    ingest_case(store, case)
    summary = run_provenance(store.backend, case)
    scores = {s.what: s for s in score_provenance(store.backend, case / "truth")}
    yield summary, scores, store
    store.close()


def test_every_image_is_hashed(world: tuple[ProvenanceSummary, dict[str, Score], Store]) -> None:
    summary, _, _ = world
    assert summary.media > 500 and summary.hashed == summary.media


def test_copied_photos_are_clustered_with_their_source_and_nothing_else(
    world: tuple[ProvenanceSummary, dict[str, Score], Store],
) -> None:
    _, scores, store = world
    copies = scores["copied photos clustered with their source"]
    assert copies.planted >= 20
    assert copies.recall >= 0.95
    assert copies.wrong == 0  # no cluster across shops without a planted copy in it
    mirrored = store.connection.execute(
        "SELECT count(*) FROM image_clusters WHERE media_id IN (SELECT media_id FROM read_parquet(?) "
        "WHERE edits LIKE '%mirror%')",
        [str(TRUTH[0] / "media_copies.parquet")],
    ).fetchone()
    assert mirrored is not None and mirrored[0] >= 1


@pytest.mark.parametrize(
    "what",
    ["spoofed GPS flagged", "edited photos flagged", "receipts and parcels reused by several shops"],
)
def test_planted_fakes_are_flagged(
    world: tuple[ProvenanceSummary, dict[str, Score], Store], what: str
) -> None:
    score = world[1][what]
    assert score.planted >= 1 and score.found == score.planted and score.wrong == 0


def test_honest_lookalikes_are_left_clean(world: tuple[ProvenanceSummary, dict[str, Score], Store]) -> None:
    scores = world[1]
    assert scores["honest look-alikes left clean"].planted > 100
    assert scores["honest look-alikes left clean"].wrong == 0
    assert scores["prices far below the market"].wrong == 0
    assert scores["counterfeit merchants found"].recall == 1.0


def test_provenance_as_risk_ranks_counterfeit_shops_above_honest_look_alikes(
    world: tuple[ProvenanceSummary, dict[str, Score], Store],
) -> None:
    """The risk score from provenance alone: planted counterfeit shops at the top and over the
    case threshold; daigou, clearance and second-hand shops (the look-alikes) under it."""
    store = world[2]
    run_risk(store.backend)
    truth = TRUTH[0]
    metrics = {(m.subject_kind, m.kind): m for m in evaluate_risk(store.backend, truth)}
    counterfeit = metrics[("merchant", "counterfeit_seller")]
    assert counterfeit.subjects >= 5
    assert counterfeit.auc is not None and counterfeit.auc >= 0.95
    assert counterfeit.rate >= 0.8
    lookalikes, above = store.connection.execute(
        "SELECT count(DISTINCT h.merchant_id), count(DISTINCT h.merchant_id) FILTER (WHERE r.score >= ?) "
        "FROM read_parquet(?) h LEFT JOIN risk_scores r ON r.subject_kind = 'merchant' "
        "AND r.subject_id = h.merchant_id WHERE h.merchant_id NOT IN "
        "(SELECT merchant_id FROM read_parquet(?))",
        [
            load_config().case_threshold,
            str(truth / "honest_lookalikes.parquet"),
            str(truth / "provenance_flags.parquet"),
        ],
    ).fetchone() or (0, 0)
    assert lookalikes >= 20 and above == 0
