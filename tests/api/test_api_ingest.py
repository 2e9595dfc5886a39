"""Ingest over the API: the same checks and counts as file ingestion, per-row errors, idempotence."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest
from api_helpers import Keys, LiveServer
from fastapi.testclient import TestClient

from sentinella import audit
from sentinella.api import Service
from sentinella.store import Store, ingest_case
from service_world import World, analysed_copy

PARTY = {"buyer_id": "M000000001", "merchant_id": "S00000000"}


def _order(number: int, **changes: object) -> dict[str, object]:
    row: dict[str, object] = {
        "order_id": f"APIO{number:06d}",
        **PARTY,
        "amount": "129.50",
        "currency": "CNY",
        "placed_at": "2024-05-01T10:00:00+08:00",
        "status": "completed",
        "quantity": 1,
    }
    row.update(changes)
    return row


def _batch() -> bytes:
    """Eight records: five good, a bad amount and a bad status (rows refused), a bad quantity
    (optional: the value is cleared, the row kept), and a line that is not JSON."""
    rows = [_order(n) for n in range(5)]
    rows.append(_order(5, amount="twelve"))
    rows.append(_order(6, status="teleported"))
    rows.append(_order(7, quantity="lots"))
    lines = [json.dumps(row) for row in rows]
    lines.insert(3, '{"order_id": "APIO999999", "buyer_id": ')  # line 4: cut short
    return ("\n".join(lines) + "\n").encode()


def _auth(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}", "Content-Type": "application/x-ndjson"}


def _file_counts(db: Path, case: Path) -> dict[str, object]:
    with Store.open(db) as store:
        report = ingest_case(store, case)
        table = report.tables[0]
        problems = store.connection.execute(
            "SELECT row_number, column_name, reason FROM ingest_quarantine WHERE run_id = ? "
            "ORDER BY row_number, column_name NULLS FIRST",
            [report.run_id],
        ).fetchall()
    return {
        "counts": [table.records, table.imported, table.duplicate, table.conflict, table.rejected],
        "cleared": table.fields_cleared,
        "problems": [list(p) for p in problems],
    }


@pytest.mark.slow
def test_a_batch_over_a_real_server_counts_as_the_same_file_does(
    live: LiveServer, world: World, tmp_path: Path
) -> None:
    # the same rows as a file, into another copy of the analysed store the server serves
    twin = analysed_copy(world, tmp_path / "twin.duckdb")
    case = tmp_path / "case"
    case.mkdir()
    (case / "orders.jsonl").write_bytes(_batch())
    by_file = _file_counts(twin, case)

    with httpx.Client(base_url=live.url, timeout=60) as http:
        assert http.post("/v1/ingest/orders", content=_batch()).status_code == 401
        wrong = http.post("/v1/ingest/orders", content=_batch(), headers=_auth(live.keys.analyst))
        assert wrong.status_code == 403
        answer = http.post("/v1/ingest/orders", content=_batch(), headers=_auth(live.keys.ingest))
        assert answer.status_code == 200, answer.text
        first = answer.json()
        counts = [first[k] for k in ("records", "imported", "duplicate", "conflict", "rejected")]
        assert counts == by_file["counts"] == [9, 6, 0, 0, 3]
        assert first["fields_cleared"] == by_file["cleared"] == 1
        assert [[e["line"], e["field"], e["reason"]] for e in first["errors"]] == by_file["problems"]
        named = {(e["line"], e["record"], e["field"], e["outcome"]) for e in first["errors"]}
        assert (7, "APIO000005", "amount", "rejected") in named  # line 7: the sixth order, after the cut line
        assert (8, "APIO000006", "status", "rejected") in named
        assert (9, "APIO000007", "quantity", "cleared") in named
        assert any(e["line"] == 4 and e["kind"] == "structural" for e in first["errors"])

        again = http.post("/v1/ingest/orders", content=_batch(), headers=_auth(live.keys.ingest)).json()
        assert [again[k] for k in ("imported", "duplicate", "conflict", "rejected")] == [0, 6, 0, 3]

        changed = json.dumps(_order(0, amount="1.00")).encode()
        conflict = http.post("/v1/ingest/orders", content=changed, headers=_auth(live.keys.ingest))
        assert conflict.status_code == 200  # as in a file: a conflict is reported, the stored row kept
        clash = conflict.json()
        assert [clash[k] for k in ("imported", "conflict", "status")] == [0, 1, "partial"]
        assert clash["errors"][0]["record"] == "APIO000000" and clash["errors"][0]["outcome"] == "kept"
        assert "amount" in clash["errors"][0]["reason"]

        refused = http.post(
            "/v1/ingest/orders",
            content=json.dumps(_order(50, placed_at="yesterday")).encode(),
            headers=_auth(live.keys.ingest),
        )
        assert refused.status_code == 422 and refused.json()["field"] == "placed_at"
        assert "APIO000050" in refused.json()["detail"] and "line 1" in refused.json()["detail"]
        # the stored orders, seen through the analyst API
        head = {"Authorization": f"Bearer {live.keys.analyst}"}
        found = http.get("/v1/search", params={"id": "APIO000007"}, headers=head).json()
        assert found["found"] == [{"kind": "order", "table": "orders", "key": {"order_id": "APIO000007"}}]
        assert http.get("/v1/search", params={"id": "APIO000005"}, headers=head).json()["found"] == []


def test_ingest_refusals_are_problems(client: TestClient, keys: Keys, service: Service) -> None:
    head = _auth(keys.ingest)
    cases = [
        (client.post("/v1/ingest/orders", content=b"  \n", headers=head), 422, "body"),
        (client.post("/v1/ingest/customers", content=b"{}", headers=head), 422, "table"),
        (
            client.post(
                "/v1/ingest/orders", content=b"<xml/>", headers={**head, "Content-Type": "application/xml"}
            ),
            415,
            "Content-Type",
        ),
        (
            client.post("/v1/ingest/orders", params={"timezone": "CST"}, content=_batch(), headers=head),
            422,
            "timezone",
        ),
        (client.post("/v1/ingest/orders", content=b"not json at all\n", headers=head), 422, None),
        (
            client.post(
                "/v1/ingest/orders", params={"encoding": "undefined"}, content=_batch(), headers=head
            ),
            422,
            "encoding",
        ),
        (
            client.post("/v1/ingest/orders", params={"encoding": "klingon"}, content=_batch(), headers=head),
            422,
            "encoding",
        ),
    ]
    for response, status, field in cases:
        assert response.status_code == status, response.text
        assert response.headers["content-type"].startswith("application/problem+json")
        if field is not None:
            assert response.json()["field"] == field, response.json()
        assert "Traceback" not in response.text
    assert service.one("SELECT count(*) AS n FROM orders WHERE order_id LIKE 'APIO%'") == {"n": 0}


def test_a_csv_batch_and_its_audit_record(client: TestClient, keys: Keys, service: Service) -> None:
    text = "member_id,joined_at,sponsor_id\nAPIM1,2024-01-02T00:00:00Z,\nAPIM2,2024-01-03T00:00:00Z,APIM1\n"
    csv = {**_auth(keys.ingest), "Content-Type": "text/csv"}
    answer = client.post("/v1/ingest/members", content=text.encode(), headers=csv)
    assert answer.status_code == 200 and answer.json()["imported"] == 2 and answer.json()["status"] == "ok"
    events = audit.events(service.cursor(), target_kind="table", target_id="members")
    assert events[-1]["action"] == "ingest.batch"
    assert events[-1]["actor"] == f"key:{keys.ingest.split('_')[1]}"
    assert json.loads(events[-1]["detail"])["imported"] == 2
    run = service.one("SELECT case_dir FROM ingest_runs WHERE run_id = ?", [answer.json()["run_id"]])
    assert run is not None and run["case_dir"].startswith("api (key:")
