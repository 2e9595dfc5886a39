"""`sentinella compare` and `sentinella compare listing` as a user runs them."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from support import EXAMPLES


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "sentinella.cli", *args],
        capture_output=True,
        text=True,
        timeout=300,
        env={"COLUMNS": "200", "PATH": "", "PYTHONIOENCODING": "utf-8"},
    )


def test_compare_on_the_sample_case(tmp_path: Path) -> None:
    db = tmp_path / "case.duckdb"
    assert run("ingest", str(EXAMPLES / "sample-case"), "--db", str(db)).returncode == 0
    done = run("compare", "--db", str(db), "--json")
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    assert summary["listings"] > 0 and summary["products"] <= summary["listings"]
    assert not summary["embeddings"]
    text = run("compare", "--db", str(db))
    assert (
        text.returncode == 0 and "results: product_clusters, product_prices, compare_merchants" in text.stdout
    )
    # L001 and L002 share a GTIN: one product, two offers, in the table and in JSON
    shown = run("compare", "listing", "L001", "--db", str(db))
    assert shown.returncode == 0, shown.stderr
    assert "L002" in shown.stdout and "chance the order ends well" in shown.stdout
    as_json = json.loads(run("compare", "listing", "L002", "--db", str(db), "--json").stdout)
    assert {row["listing_id"] for row in as_json["offers"]} >= {"L001", "L002"}


def test_compare_errors_are_one_line(tmp_path: Path) -> None:
    db = tmp_path / "case.duckdb"
    assert run("ingest", str(EXAMPLES / "sample-case"), "--db", str(db)).returncode == 0
    before = run("compare", "listing", "L001", "--db", str(db))
    assert before.returncode == 2 and "run `sentinella compare` first" in before.stderr
    assert run("compare", "--db", str(db)).returncode == 0
    unknown = run("compare", "listing", "NO-SUCH", "--db", str(db))
    assert unknown.returncode == 2 and "NO-SUCH" in unknown.stderr and "Traceback" not in unknown.stderr


def test_compare_without_listings_says_what_is_missing(tmp_path: Path) -> None:
    db = tmp_path / "members.duckdb"
    case = tmp_path / "only-members"
    case.mkdir()
    (case / "members.csv").write_text("member_id\nM1\n", encoding="utf-8")
    assert run("ingest", str(case), "--db", str(db)).returncode == 0
    done = run("compare", "--db", str(db))
    assert done.returncode == 2 and "the store has no listings" in done.stderr
