"""The case queue: one active case per subject, an audit trail of every change, labels out."""

from __future__ import annotations

import csv
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from sentinella import audit
from sentinella.cases import (
    CaseError,
    CaseNotFoundError,
    add_note,
    attach_evidence,
    case_detail,
    export_labels,
    list_cases,
    open_case,
    open_from_risk,
    update_case,
)
from sentinella.cli import app
from sentinella.rings import run_rings
from sentinella.store import Store
from service_world import World, analysed_copy


@pytest.fixture
def store(world: World, tmp_path: Path) -> Store:
    opened = Store.open(analysed_copy(world, tmp_path / "cases.duckdb"))
    yield opened  # type: ignore[misc]
    opened.close()


def _counts(connection: duckdb.DuckDBPyConnection) -> tuple[int, ...]:
    return tuple(
        connection.execute(f"SELECT count(*) FROM {t}").fetchall()[0][0]
        for t in ("cases", "case_notes", "case_evidence", "audit_log")
    )


def _member(connection: duckdb.DuckDBPyConnection, offset: int = 0) -> str:
    return str(
        connection.execute(
            "SELECT member_id FROM members ORDER BY member_id LIMIT 1 OFFSET ?", [offset]
        ).fetchall()[0][0]
    )


def test_a_subject_has_one_active_case_and_every_change_is_audited(store: Store) -> None:
    con = store.connection
    member = _member(con)
    case, opened = open_case(con, subject_kind="member", subject_id=member, actor="alice", title="look")
    again, opened_again = open_case(con, subject_kind="member", subject_id=member, actor="bob")
    assert opened and not opened_again and again.case_id == case.case_id
    assert case.status == "open" and case.opened_by == "alice" and case.source == "hand"
    updated = update_case(con, case.case_id, actor="bob", status="investigating", assignee="carol")
    assert updated.status == "investigating" and updated.assignee == "carol" and updated.closed_at is None
    closed = update_case(con, case.case_id, actor="carol", status="dismissed")
    assert closed.closed_at is not None
    trail = audit.events(con, target_kind="case", target_id=case.case_id)
    changes = [(e["actor"], e["action"], e["field"], e["before"], e["after"]) for e in trail]
    assert changes == [
        ("alice", "case.open", "status", None, "open"),
        ("bob", "case.update", "status", "open", "investigating"),
        ("bob", "case.update", "assignee", None, "carol"),
        ("carol", "case.update", "status", "investigating", "dismissed"),
    ]
    assert all(e["occurred_at"] is not None for e in trail)
    # a closed case stays; a new active case may be opened, and the old one cannot be reopened beside it
    second, opened_second = open_case(con, subject_kind="member", subject_id=member, actor="alice")
    assert opened_second and second.case_id != case.case_id
    with pytest.raises(CaseError, match="already has an active case"):
        update_case(con, case.case_id, actor="alice", status="open")
    # an update that changes nothing records nothing
    before = _counts(con)
    update_case(con, second.case_id, actor="alice", status="open")
    assert _counts(con) == before


def test_notes_and_evidence_are_kept_and_nothing_is_deleted(store: Store) -> None:
    con = store.connection
    case, _ = open_case(con, subject_kind="member", subject_id=_member(con, 3), actor="alice")
    hostile = "'); DROP TABLE cases; --"
    assert add_note(con, case.case_id, actor="alice", text=hostile) == 1
    assert add_note(con, case.case_id, actor="bob", text="second") == 2
    ring = con.execute("SELECT ring_id FROM ring_groups LIMIT 1").fetchall()[0][0]
    attach_evidence(con, case.case_id, actor="bob", table="ring_groups", key={"ring_id": ring}, note="why")
    detail = case_detail(con, case.case_id)
    assert [n["text"] for n in detail["notes"]] == [hostile, "second"]
    assert detail["evidence"][0]["table_name"] == "ring_groups" and detail["evidence"][0]["key"] == {
        "ring_id": ring
    }
    assert [e["action"] for e in detail["audit"]] == ["case.open", "case.note", "case.note", "case.evidence"]
    counts = _counts(con)
    for bad, message in (
        (dict(table="no_such_table", key={"a": 1}), "table: no table 'no_such_table'"),
        (dict(table="ring_groups", key={"nope": 1}), "key: ring_groups has no column 'nope'"),
        (dict(table="ring_groups", key={"ring_id": "R-missing"}), "key: no row of ring_groups"),
        (dict(table="ring_groups", key={}), "key: give at least one column"),
    ):
        with pytest.raises(CaseError, match=message):
            attach_evidence(con, case.case_id, actor="bob", **bad)  # type: ignore[arg-type]
    for text, message in (("", "text: must not be empty"), ("a\x00b", "NUL"), ("x" * 10_001, "longer than")):
        with pytest.raises(CaseError, match=message):
            add_note(con, case.case_id, actor="bob", text=text)
    assert _counts(con) == counts  # refused changes leave no trace, half or whole


def test_bad_requests_name_the_field(store: Store) -> None:
    con = store.connection
    with pytest.raises(CaseError, match="subject_kind: must be one of member, merchant"):
        open_case(con, subject_kind="person", subject_id="x", actor="a")
    with pytest.raises(CaseError, match="subject_id: no member 'nobody'"):
        open_case(con, subject_kind="member", subject_id="nobody", actor="a")
    with pytest.raises(CaseNotFoundError, match="case_id: no case 'C404'"):
        update_case(con, "C404", actor="a", status="open")
    with pytest.raises(CaseError, match="status: must be one of"):
        list_cases(con, status="closed")


def test_cases_from_risk_carry_score_and_evidence_and_open_once(store: Store) -> None:
    con = store.connection
    threshold = 0.5
    expected = con.execute("SELECT count(*) FROM risk_scores WHERE score >= ?", [threshold]).fetchall()[0][0]
    assert expected > 0
    opened = open_from_risk(con, threshold=threshold, actor="risk-bot")
    assert len(opened) == expected
    assert open_from_risk(con, threshold=threshold, actor="risk-bot") == []
    top = opened[0]
    assert top.source == "risk" and top.score == max(c.score or 0 for c in opened)
    detail = case_detail(con, top.case_id)
    reasons = con.execute(
        "SELECT json_array_length(reasons) FROM risk_scores WHERE subject_kind = ? AND subject_id = ?",
        [top.subject_kind, top.subject_id],
    ).fetchall()[0][0]
    assert len(detail["evidence"]) == reasons > 0
    assert [c.case_id for c in list_cases(con, limit=3)] == [c.case_id for c in opened[:3]]


def test_outcomes_become_labels_the_rings_analysis_learns_from(
    store: Store, world: World, tmp_path: Path
) -> None:
    con = store.connection
    truth_ring = str(world.truth / "ring_members.parquet")
    fake = con.execute(
        f"SELECT member_id FROM read_parquet('{truth_ring}') ORDER BY member_id LIMIT 3"
    ).fetchall()
    honest = con.execute(
        "SELECT buyer_id FROM orders WHERE buyer_id NOT IN "
        f"(SELECT member_id FROM read_parquet('{truth_ring}')) "
        "GROUP BY buyer_id ORDER BY count(*) DESC, buyer_id LIMIT 2"
    ).fetchall()
    for (member,) in fake:
        case, _ = open_case(con, subject_kind="member", subject_id=member, actor="a")
        update_case(con, case.case_id, actor="a", status="actioned")
    for (member,) in honest:
        case, _ = open_case(con, subject_kind="member", subject_id=member, actor="a")
        update_case(con, case.case_id, actor="a", status="dismissed")
    open_case(con, subject_kind="member", subject_id=_member(con, 7), actor="a")  # still open: no label
    out = tmp_path / "labels.csv"
    written = export_labels(con, out, by="order")
    with out.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == written > 0 and set(rows[0]) == {"order_id", "label"}
    members = [m for (m,) in fake]
    expected_fake = con.execute(
        f"SELECT count(*) FROM orders WHERE buyer_id IN ({', '.join('?' * len(members))})", members
    ).fetchall()[0][0]
    assert sum(r["label"] == "1" for r in rows) == expected_fake
    assert sum(r["label"] == "0" for r in rows) > 0
    by_member = tmp_path / "members.csv"
    assert export_labels(con, by_member, by="member") == 5
    summary = run_rings(store.backend, labels=out)
    assert summary.supervised and summary.labelled_orders == written


def test_cases_commands(world: World, tmp_path: Path) -> None:
    db = analysed_copy(world, tmp_path / "cli.duckdb")
    runner = CliRunner()

    def run(*args: str) -> str:
        done = runner.invoke(app, ["cases", *args, "--db", str(db)])
        assert done.exit_code == 0, done.output
        return done.output

    assert "cases opened at risk >= 0.5" in run("open", "--from-risk", "--actor", "bot")
    first = run("list", "--limit", "1").split()[0]
    run("update", first, "--status", "investigating", "--assignee", "dana", "--actor", "eve")
    run("note", first, "checked [the] receipts", "--actor", "dana")
    shown = run("show", first)
    assert "checked [the] receipts" in shown and "investigating" in shown and "eve case.update" in shown
    bad = runner.invoke(app, ["cases", "update", first, "--status", "closed", "--db", str(db)])
    assert bad.exit_code == 2 and "status: must be one of" in bad.output and "Traceback" not in bad.output
    assert "wrote" in run("labels", "--out", str(tmp_path / "l.csv"))
