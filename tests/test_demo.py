"""The first command a new user runs, end to end on a small world."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from sentinella.demo import run_demo
from sentinella.store import Store

pytestmark = pytest.mark.slow  # a whole demo run


def test_demo_finds_what_was_planted(tmp_path: Path) -> None:
    result = run_demo(tmp_path / "demo", members=3000, seed=5, media=False)
    scores = {(s.capability, s.what): s for s in result.scores}
    ingest = scores[("ingest", "bad rows rejected with their row")]
    assert ingest.planted > 0 and ingest.found == ingest.planted and ingest.wrong == 0
    fields = scores[("ingest", "bad optional fields cleared, rows kept")]
    assert fields.planted > 0 and fields.found == fields.planted and fields.wrong == 0
    organizers = scores[("pyramid", "organizers and leaders (§1)")]
    assert organizers.planted > 0 and organizers.recall == 1.0 and organizers.wrong == 0
    networks = scores[("pyramid", "pyramid networks")]
    assert networks.recall == 1.0 and networks.wrong == 0  # no look-alike flagged
    rings = scores[("rings", "brushing rings recovered")]
    assert rings.planted > 0 and rings.recall >= 0.9
    lookalikes = scores[("rings", "honest look-alike buyers left clean (loyal, family, flash sale)")]
    assert lookalikes.wrong <= 0.01 * lookalikes.planted  # the rings tests' tolerance (see rings/)
    assert scores[("credit", "boosted shops marked as brushed")].recall == 1.0
    same_product = scores[("compare", "same-product listing pairs clustered (any language)")]
    assert same_product.planted > 0 and same_product.recall >= 0.9
    html = result.report.read_text(encoding="utf-8")
    assert "Found vs planted" in html and "Pyramid forensics" in html
    assert (tmp_path / "demo" / "sentinella.duckdb").exists()
    with Store.open(tmp_path / "demo" / "sentinella.duckdb", read_only=True) as store:
        assert store.row_count("risk_scores") > 0  # the demo's store is ready to serve
    assert list((tmp_path / "demo" / "evidence").glob("network-*.html"))


def test_demo_command_prints_the_summary(tmp_path: Path) -> None:
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "sentinella.cli",
            "demo",
            "--out",
            str(tmp_path / "d"),
            "--members",
            "1000",
            "--no-media",
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr
    assert "Found vs planted" in done.stdout and "report:" in done.stdout
    assert f"next: sentinella serve --db {tmp_path / 'd' / 'sentinella.duckdb'}\n" in done.stdout
    # stderr is not a terminal here: one line per step, each with the seconds since the start
    for step in (
        "members: orders",
        "ingest",
        "pyramid: legal tests",
        "rings: signals",
        "credit: robust",
        "risk",
    ):
        assert f" s] {step}" in done.stderr, step
