"""Results in the terminal: top results after each analysis, the lookups, --json twins, --help.

Everything runs in process through Typer's CliRunner at COLUMNS=80 (stdout is not a terminal,
as when piped), on the shared analysed world; analyses that write run on a private copy.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.main import get_command
from typer.testing import CliRunner

from sentinella.cli import app
from sentinella.credit import credit_card
from sentinella.pyramid import list_networks, member_view
from sentinella.rings import list_rings, ring_view
from sentinella.store import Store
from service_world import World, analysed_copy

RUNNER = CliRunner(env={"COLUMNS": "80"})


def invoke(*args: str) -> Any:
    return RUNNER.invoke(app, list(args))


def ok(*args: str) -> Any:
    done = invoke(*args)
    assert done.exit_code == 0, done.output
    return done


def assert_fits(text: str, width: int = 80) -> None:
    """Tables and text within the width; the suggested commands stay whole, to be copied."""
    too_wide = [line for line in text.splitlines() if len(line) > width and not line.startswith("next: ")]
    assert not too_wide, too_wide


def test_pyramid_networks_text_and_json_from_the_same_rows(world: World) -> None:
    db = str(world.db)
    data = json.loads(ok("pyramid", "networks", "--db", db, "--limit", "5", "--json").stdout)
    with Store.open(world.db, read_only=True) as store:
        expected = [n.to_dict() for n in list_networks(store.backend, limit=5)]
    assert data["networks"] == expected
    text = ok("pyramid", "networks", "--db", db, "--limit", "5").stdout
    assert_fits(text)
    for network in data["networks"]:
        assert network["network_id"] in text
        met = [t["rule_id"] for t in network["tests"] if t["result"] == "met"]
        line = next(x for x in text.splitlines() if x.strip().startswith(network["network_id"] + " met:"))
        assert (met[0] if met else "none") in line
    assert f"next: sentinella pyramid member {data['networks'][0]['network_id']}" in text
    by_group_db = ok("pyramid", "--db", db, "networks", "--limit", "5", "--json").stdout
    assert json.loads(by_group_db) == data  # the group's --db reaches the subcommand


def test_pyramid_member_text_and_json(world: World) -> None:
    with Store.open(world.db, read_only=True) as store:
        deepest = max(list_networks(store.backend, limit=50), key=lambda n: n.levels)
        leaf = str(
            max(
                (m for m in _members_of(world, deepest.network_id)),
                key=lambda m: (m[1], m[0]),
            )[0]
        )
        expected = member_view(store.backend, leaf).to_dict()
    data = json.loads(ok("pyramid", "member", leaf, "--db", str(world.db), "--json").stdout)
    assert data == expected and data["upline"][-1]["member_id"] == deepest.network_id
    text = ok("pyramid", "member", leaf, "--db", str(world.db)).stdout
    assert_fits(text)
    flat = " ".join(text.split())
    chain = [leaf, *(s["member_id"] for s in data["upline"])]
    assert len(chain) > 16  # the deepest network: the text shows both ends of the path
    assert " → ".join(chain[:10]) in flat and " → ".join(chain[-5:]) in flat
    assert f"… {len(chain) - 15:,} more …" in flat
    for finding in data["findings"]:
        assert finding["rule_id"] in flat and finding["citation"] in flat
    assert f"next: sentinella pyramid report --network {deepest.network_id}" in flat


def _members_of(world: World, network: str) -> list[tuple[str, int]]:
    import duckdb

    with duckdb.connect(str(world.db), read_only=True) as connection:
        return connection.execute(
            "SELECT member_id, level FROM pyramid_members WHERE network_id = ?", [network]
        ).fetchall()


def test_credit_show_text_and_json(world: World) -> None:
    with Store.open(world.db, read_only=True) as store:
        merchant = store.backend.scalar(
            "SELECT merchant_id FROM credit_merchants ORDER BY ratings_not_counted DESC, merchant_id LIMIT 1"
        )
        expected = credit_card(store.backend, str(merchant)).to_dict()
    data = json.loads(ok("credit", "show", str(merchant), "--db", str(world.db), "--json").stdout)
    assert data == expected and data["not_counted"]
    text = ok("credit", "show", str(merchant), "--db", str(world.db)).stdout
    assert_fits(text)
    flat = " ".join(text.split())
    assert f"{data['points']:,} points" in flat and f"{data['ratings']:,}, of which" in flat
    for item in data["not_counted"]:
        assert item["why"] in flat


def test_rings_show_text_and_json(world: World) -> None:
    with Store.open(world.db, read_only=True) as store:
        ring = list_rings(store.backend, limit=1)[0]
        expected = ring_view(store.backend, ring.ring_id, orders=3).to_dict()
    data = json.loads(
        ok("rings", "show", ring.ring_id, "--db", str(world.db), "--orders", "3", "--json").stdout
    )
    assert data == expected
    text = ok("rings", "show", ring.ring_id, "--db", str(world.db), "--orders", "3").stdout
    assert_fits(text)
    assert all(a["member_id"] in text for a in data["accounts"])
    assert all(o["order_id"] in text for o in data["orders"])
    assert ring.evidence in " ".join(text.split())
    assert f"{ring.orders - 3:,} more" in text


@pytest.mark.parametrize(
    ("command", "wanted"),
    [
        (["pyramid", "member", "m000000001"], "no member 'm000000001'; did you mean M000000001"),
        (["credit", "show", "s00000001"], "no merchant 's00000001'; did you mean S00000001"),
        (["rings", "show", "r000001"], "no ring 'r000001'; did you mean R000001"),
    ],
)
def test_unknown_ids_are_one_line_with_a_suggestion(world: World, command: list[str], wanted: str) -> None:
    done = invoke(*command, "--db", str(world.db))
    assert done.exit_code == 2 and done.stdout == ""
    assert done.stderr.startswith(f"error: {wanted}") and done.stderr.count("\n") == 1


def test_analyses_print_top_results_next_commands_and_progress_lines(world: World, tmp_path: Path) -> None:
    db = str(analysed_copy(world, tmp_path / "copy.duckdb"))
    rings = ok("rings", "--db", db)
    assert "Strongest rings" in rings.stdout and "next: sentinella rings show R" in rings.stdout
    assert "rings: signals" in rings.stderr and "rings: done 5/5" in rings.stderr  # not a terminal
    data = json.loads(ok("rings", "--db", db, "--json").stdout)
    assert data["top"][0]["evidence"] in " ".join(rings.stdout.split())
    assert data["rings"] == len(list_rings_of(db)) and data["next"][0].startswith("sentinella rings show")
    pyramid = ok("pyramid", "--db", db)
    assert "Largest pyramids" in pyramid.stdout and "pyramid: legal tests" in pyramid.stderr
    assert_fits(pyramid.stdout)
    credit = ok("credit", "--db", db)
    assert "Most ratings not counted" in credit.stdout and "next: sentinella credit show" in credit.stdout
    assert "credit: robust" in credit.stderr
    assert_fits(credit.stdout)
    quiet = invoke("credit", "--db", db, "--json")
    assert quiet.stderr == "" and json.loads(quiet.stdout)["penalised"]  # --json: no progress noise
    risk = json.loads(ok("risk", "--db", db, "--json").stdout)
    with Store.open(Path(db), read_only=True) as store:
        riskiest = (
            store.backend.query(
                "SELECT subject_id FROM risk_scores WHERE subject_kind = 'merchant' "
                "ORDER BY score DESC, subject_id LIMIT 5"
            )
            .column(0)
            .to_pylist()
        )
    assert [m["subject_id"] for m in risk["top_merchants"]] == riskiest and risk["merchants"] > 0
    assert "Riskiest merchants" in ok("risk", "--db", db).stdout


def test_export_json_counts_the_rows(world: World, tmp_path: Path) -> None:
    out = tmp_path / "rings.csv"
    data = json.loads(ok("export", "ring_groups", "--db", str(world.db), "--out", str(out), "--json").stdout)
    assert data["rows"] == len(out.read_text(encoding="utf-8").splitlines()) - 1 > 0


def list_rings_of(db: str) -> list[Any]:
    with Store.open(Path(db), read_only=True) as store:
        return list_rings(store.backend, limit=1000)


def _commands(command: Any, path: tuple[str, ...] = ()) -> list[tuple[tuple[str, ...], Any]]:
    """Every command and group under ``command`` (Typer bundles its own Click: duck-typed)."""
    found = [(path, command)] if path else []
    for name, sub in getattr(command, "commands", {}).items():
        found += _commands(sub, (*path, name))
    return found


def test_every_command_help_shows_an_example() -> None:
    commands = _commands(get_command(app))
    assert len(commands) > 30
    missing = []
    for path, _ in commands:
        done = invoke(*path, "--help")
        assert done.exit_code == 0, (path, done.output)
        if "Example:" not in done.stdout or f"sentinella {' '.join(path)}" not in " ".join(
            done.stdout.split()
        ):
            missing.append(" ".join(path))
    assert not missing, missing
    assert "Example:  sentinella demo" in invoke("--help").stdout


def test_examples_use_options_their_command_has() -> None:
    import shlex

    from sentinella._results_cli import EXAMPLES

    root = get_command(app)
    for path, example in EXAMPLES.items():
        assert example.startswith(f"sentinella {path}"), example
        command: Any = root
        for word in shlex.split(example)[1:]:  # down to the command the example runs
            if word not in getattr(command, "commands", {}):
                break
            command = command.commands[word]
        known = {opt for param in command.params for opt in param.opts}
        used = {word for word in shlex.split(example) if word.startswith("--")}
        assert used <= known, (example, used - known)


def test_every_command_has_json_but_serve() -> None:
    """Scripts read every result as JSON; `serve` runs a server and prints no result."""
    lacking = [
        " ".join(path)
        for path, command in _commands(get_command(app))
        if (not hasattr(command, "commands") or command.invoke_without_command)
        and "--json" not in {opt for param in command.params for opt in param.opts}
    ]
    assert lacking == ["serve"]
