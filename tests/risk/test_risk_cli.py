"""`sentinella risk` on a store: a summary, JSON, and one-line errors."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from sentinella.cli import app
from service_world import World, analysed_copy


def test_risk_command_scores_and_reports(world: World, tmp_path: Path) -> None:
    db = analysed_copy(world, tmp_path / "s.duckdb")
    runner = CliRunner()
    done = runner.invoke(app, ["risk", "--db", str(db), "--json"])
    assert done.exit_code == 0, done.output
    summary = json.loads(done.output)
    assert summary["analyses"] == ["pyramid", "rings", "credit"] and summary["members"] > 0
    text = runner.invoke(app, ["risk", "--db", str(db)])
    assert text.exit_code == 0 and "scored from pyramid, rings, credit" in " ".join(text.output.split())


def test_risk_command_names_a_bad_weight(world: World, tmp_path: Path) -> None:
    weights = tmp_path / "w.toml"
    weights.write_text("[weights]\nring_account = 1.5\n", encoding="utf-8")
    done = CliRunner().invoke(app, ["risk", "--db", str(world.db), "--weights", str(weights)])
    assert done.exit_code == 2
    assert "weights.ring_account must lie in [0, 1)" in done.output
    assert "Traceback" not in done.output
