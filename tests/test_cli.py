"""End to end through the installed command, as a user runs it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from typer.testing import CliRunner

from sentinella.cli import app
from support import EXAMPLES


@dataclass
class Done:
    returncode: int
    stdout: str
    stderr: str


def run(*args: str) -> Done:
    """The command in this process (Typer's CliRunner); one test below runs the real script."""
    result = CliRunner().invoke(app, list(args))
    return Done(result.exit_code, result.stdout, result.stderr)


def test_ingest_tables_export(tmp_path: Path) -> None:
    db = tmp_path / "case.duckdb"
    done = run("ingest", str(EXAMPLES / "sample-case"), "--db", str(db))
    assert done.returncode == 0, done.stderr
    listed = json.loads(run("tables", "--db", str(db), "--json").stdout)
    counts = {t["table"]: t["rows"] for t in listed}
    assert counts["orders"] == 15 and counts["members"] == 21
    out = tmp_path / "orders.parquet"
    assert run("export", "orders", "--db", str(db), "--out", str(out)).returncode == 0
    import pyarrow.parquet as pq

    assert pq.read_table(out).num_rows == 15
    refused = run("export", "nope", "--db", str(db), "--out", str(tmp_path / "x.csv"))
    assert refused.returncode == 2 and "no table 'nope'" in refused.stderr


def test_broken_case_exit_one_and_json_summary(tmp_path: Path) -> None:
    db = tmp_path / "case.duckdb"
    done = run("ingest", str(EXAMPLES / "broken-case"), "--db", str(db), "--json")
    assert done.returncode == 1
    summary = json.loads(done.stdout)
    assert summary["exit_code"] == 1
    orders = next(t for t in summary["tables"] if t["table"] == "orders")
    assert orders["rejected"] == 3 and orders["duplicate"] == 1


def test_missing_folder_exit_two(tmp_path: Path) -> None:
    done = run("ingest", str(tmp_path / "nowhere"), "--db", str(tmp_path / "x.duckdb"))
    assert done.returncode == 2
    assert "no such folder" in done.stderr
    assert not (tmp_path / "x.duckdb").exists()  # a typo leaves no empty store behind


def test_every_analysis_command_runs_on_the_sample(tmp_path: Path) -> None:
    db = tmp_path / "case.duckdb"
    assert run("ingest", str(EXAMPLES / "sample-case"), "--db", str(db)).returncode == 0
    for command in (["pyramid"], ["rings"], ["credit", "--as-of", "2024-04-01"]):
        done = run(*command, "--db", str(db), "--json")
        assert done.returncode == 0, (command, done.stderr)
        assert json.loads(done.stdout)  # a summary, not an empty object
    listed = {t["table"] for t in json.loads(run("tables", "--db", str(db), "--json").stdout)}
    assert {"pyramid_members", "ring_order_scores", "credit_merchants"} <= listed
    report = tmp_path / "evidence.html"
    assert (
        run("pyramid", "report", "--db", str(db), "--network", "M001", "--out", str(report)).returncode == 0
    )
    assert "cn-2013-opinions-s1" in report.read_text(encoding="utf-8")
    bad_date = run("credit", "--db", str(db), "--as-of", "yesterday")
    assert bad_date.returncode == 2 and "is not a date" in bad_date.stderr


def test_ingest_summary_adds_up_per_file_and_shows_warnings(tmp_path: Path) -> None:
    """records = imported + duplicate + conflict + rejected, for the table and each part file."""
    case = tmp_path / "case"
    (case / "orders").mkdir(parents=True)
    header = "order_id,buyer_id,merchant_id,amount,currency,placed_at,status\n"
    (case / "members.csv").write_text("member_id,sponser_id\nm1,\n")
    (case / "orders" / "part-0.csv").write_text(header + "o1,m1,s1,1,CNY,2024-01-01,paid\n")
    (case / "orders" / "part-1.csv").write_bytes(
        (header + "o1,m1,s1,1,CNY,2024-01-01,paid\r\no2,m1,s1,-1,CNY,2024-01-01,paid\n").encode()
    )
    (case / "order.csv").write_text(header)
    done = subprocess.run(
        [sys.executable, "-m", "sentinella.cli", "ingest", str(case), "--db", str(tmp_path / "x.duckdb")],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "COLUMNS": "160"},
    )
    assert done.returncode == 1, done.stderr
    # table rows: a name, then records, imported, duplicate, conflict, rejected, cleared (and status)
    rows = [line.split() for line in done.stdout.splitlines()]
    numbers = {
        words[0]: [int(n.replace(",", "")) for n in words[1:6]]
        for words in rows
        if len(words) >= 7 and all(w.replace(",", "").isdigit() for w in words[1:7])
    }
    assert numbers["orders"] == [3, 1, 1, 0, 1]
    assert numbers["orders/part-1.csv"] == [2, 0, 1, 0, 1]
    for records, *outcomes in numbers.values():
        assert records == sum(outcomes)
    assert "orders/part-1.csv row 3, column amount" in done.stdout  # a CRLF file read past a LF line
    assert "did you mean sponsor_id?" in done.stdout and "did you mean orders.csv?" in done.stdout


def test_ingest_timezone_is_validated_recorded_and_shown(tmp_path: Path) -> None:
    case = tmp_path / "case"
    case.mkdir()
    (case / "members.csv").write_text("member_id,joined_at\nm1,2024-03-31 20:00:00\n", encoding="utf-8")
    db = tmp_path / "case.duckdb"
    refused = run("ingest", str(case), "--db", str(db), "--timezone", "Asia/Shangai")
    assert refused.returncode == 2 and "did you mean Asia/Shanghai?" in refused.stderr
    assert not db.exists()  # refused before any work
    done = run("ingest", str(case), "--db", str(db), "--timezone", "Asia/Shanghai", "--json")
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    assert summary["timezone"] == "Asia/Shanghai"
    assert summary["tables"][0]["naive_times"] == {"joined_at": 1}
    listed = run("tables", "--db", str(db))
    assert "times without an offset were read as: Asia/Shanghai" in listed.stdout


def test_pyramid_measures_the_forest_where_asked_with_the_same_results(tmp_path: Path) -> None:
    db = tmp_path / "case.duckdb"
    assert run("ingest", str(EXAMPLES / "sample-case"), "--db", str(db)).returncode == 0
    members: dict[str, list[tuple[object, ...]]] = {}
    for forest in ("driver", "engine"):
        done = run("pyramid", "--db", str(db), "--forest", forest)
        assert done.returncode == 0, done.stderr
        assert f"forest: {forest}" in done.stdout  # the path that ran is said
        members[forest] = _members(db)
    assert members["driver"] == members["engine"]
    refused = run("pyramid", "--db", str(tmp_path / "new.duckdb"), "--forest", "gpu")
    assert refused.returncode == 2 and "gpu" in refused.stderr
    assert not (tmp_path / "new.duckdb").exists()


def _members(db: Path) -> list[tuple[object, ...]]:
    from sentinella.store import Store

    with Store.open(db, read_only=True) as store:
        table = store.backend.query("SELECT * FROM pyramid_members ORDER BY member_id")
    return [tuple(row.values()) for row in table.to_pylist()]
