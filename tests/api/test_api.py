"""The API through the test client: roles, audit, problems, limits, cases, snapshots."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest
from api_helpers import Keys
from fastapi.testclient import TestClient

from sentinella import audit
from sentinella.api import RateLimiter, Service, create_app


def _auth(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def _boosted_shop(service: Service) -> str:
    row = service.one("SELECT merchant_id FROM ring_groups ORDER BY score DESC LIMIT 1")
    assert row is not None
    return str(row["merchant_id"])


def test_roles_and_the_audit_trail_of_analyst_calls(client: TestClient, service: Service, keys: Keys) -> None:
    shop = _boosted_shop(service)
    assert client.get(f"/v1/risk/merchant/{shop}").status_code == 401
    assert client.get(f"/v1/risk/merchant/{shop}", headers=_auth(keys.ingest)).status_code == 403
    assert client.get(f"/v1/risk/merchant/{shop}", headers=_auth(keys.revoked)).status_code == 401
    # an admin may do what an analyst may (it could create itself an analyst's key anyway)
    assert client.get(f"/v1/risk/merchant/{shop}", headers=_auth(keys.admin)).status_code == 200
    bad_scheme = client.get(f"/v1/risk/merchant/{shop}", headers={"Authorization": f"Basic {keys.analyst}"})
    assert bad_scheme.status_code == 401 and "Bearer" in bad_scheme.json()["detail"]
    before = len(audit.events(service.cursor(), target_kind="route"))
    answer = client.get(f"/v1/risk/merchant/{shop}", headers=_auth(keys.analyst))
    assert answer.status_code == 200
    risk = answer.json()
    assert risk["score"] > 0.5 and risk["reasons"][0]["signal"] == "ring_boosted_shop"
    assert risk["analyses"] == ["pyramid", "rings", "credit"]
    events = audit.events(service.cursor(), target_kind="route")
    assert len(events) == before + 1  # refused calls are not analyst calls; the one that passed is logged
    last = events[-1]
    key_id = keys.analyst.split("_")[1]
    assert last["actor"] == f"key:{key_id}" and last["action"] == "api.get"
    assert last["target_id"] == f"/v1/risk/merchant/{shop}"


def test_analyst_routes_answer_from_the_store(client: TestClient, service: Service, keys: Keys) -> None:
    head = _auth(keys.analyst)
    shop = _boosted_shop(service)
    merchant = client.get(f"/v1/merchants/{shop}", headers=head).json()
    assert merchant["credit"]["brushing"]["flagged"] and merchant["rings"]
    ring_id = merchant["rings"][0]["ring_id"]
    ring = client.get(f"/v1/rings/{ring_id}", headers=head).json()
    assert ring["ring"]["merchant_id"] == shop and len(ring["members"]) == ring["ring"]["members"]
    nets = client.get("/v1/pyramid/networks", params={"pyramid": True, "limit": 2}, headers=head).json()
    assert len(nets) == 2 and all(n["is_pyramid"] for n in nets)
    network = client.get(f"/v1/pyramid/networks/{nets[0]['network_id']}", headers=head).json()
    assert network["network"]["network_id"] == nets[0]["network_id"]
    stored = service.one(
        "SELECT count(*) AS n, count(DISTINCT rule_id) AS rules FROM pyramid_findings "
        "WHERE subject_kind = 'network' AND network_id = ?",
        [nets[0]["network_id"]],
    )
    assert stored is not None and stored["n"] > 0
    assert len(network["findings"]) == stored["n"]
    assert len({f["rule_id"] for f in network["findings"]}) == stored["rules"]
    # a deep member's upline leads to the network's root, one sponsor at a time
    deep = service.one(
        "SELECT member_id, level FROM pyramid_members WHERE network_id = ? ORDER BY level DESC LIMIT 1",
        [nets[0]["network_id"]],
    )
    assert deep is not None
    up = client.get(f"/v1/members/{deep['member_id']}/upline", headers=head).json()
    assert len(up["upline"]) == deep["level"] - 1 and up["upline"][-1]["member_id"] == nets[0]["network_id"]
    top = client.get("/v1/risk", params={"subject_kind": "member", "limit": 5}, headers=head).json()
    assert len(top) == 5 and [r["score"] for r in top] == sorted((r["score"] for r in top), reverse=True)
    found = client.get("/v1/search", params={"id": ring_id}, headers=head).json()
    assert found["found"] == [{"kind": "ring", "table": "ring_groups", "key": {"ring_id": ring_id}}]
    member = client.get(f"/v1/members/{deep['member_id']}", headers=head).json()
    assert member["member"]["member_id"] == deep["member_id"] and member["pyramid"]["level"] == deep["level"]


def test_cases_over_the_api_keep_their_trail(client: TestClient, service: Service, keys: Keys) -> None:
    head = _auth(keys.analyst)
    shop = _boosted_shop(service)
    opened = client.post("/v1/cases", json={"subject_kind": "merchant", "subject_id": shop}, headers=head)
    assert opened.status_code == 201 and opened.json()["opened_now"]
    case_id = opened.json()["case_id"]
    again = client.post("/v1/cases", json={"subject_kind": "merchant", "subject_id": shop}, headers=head)
    assert again.json()["case_id"] == case_id and not again.json()["opened_now"]
    changed = client.patch(
        f"/v1/cases/{case_id}", json={"status": "actioned", "assignee": "ana"}, headers=head
    )
    assert changed.status_code == 200 and changed.json()["closed_at"] is not None
    assert (
        client.post(f"/v1/cases/{case_id}/notes", json={"text": "refunds issued"}, headers=head).status_code
        == 201
    )
    ring_id = client.get("/v1/rings", headers=head).json()[0]["ring_id"]
    attached = client.post(
        f"/v1/cases/{case_id}/evidence",
        json={"table": "ring_groups", "key": {"ring_id": ring_id}},
        headers=head,
    )
    assert attached.status_code == 201
    detail = client.get(f"/v1/cases/{case_id}", headers=head).json()
    actor = f"key:{keys.analyst.split('_')[1]}"
    trail = [(e["actor"], e["action"], e["field"], e["before"], e["after"]) for e in detail["audit"]]
    assert trail[:3] == [
        (actor, "case.open", "status", None, "open"),
        (actor, "case.update", "status", "open", "actioned"),
        (actor, "case.update", "assignee", None, "ana"),
    ]
    assert [e["action"] for e in detail["audit"][3:]] == ["case.note", "case.evidence"]
    bad = client.patch(f"/v1/cases/{case_id}", json={"status": "closed"}, headers=head)
    assert bad.status_code == 422 and bad.json()["field"] == "status"
    unknown = client.patch("/v1/cases/C9999999", json={"status": "open"}, headers=head)
    assert unknown.status_code == 404 and unknown.json()["field"] == "case_id"
    missing_row = client.post(
        f"/v1/cases/{case_id}/evidence",
        json={"table": "ring_groups", "key": {"ring_id": "nope"}},
        headers=head,
    )
    assert missing_row.status_code == 422 and missing_row.json()["field"] == "key"
    sneaky = client.post(
        f"/v1/cases/{case_id}/evidence", json={"table": "x; DROP TABLE cases", "key": {"a": 1}}, headers=head
    )
    assert sneaky.status_code == 422 and sneaky.json()["field"] == "table"
    assert service.one("SELECT count(*) AS n FROM cases")["n"] >= 1  # type: ignore[index]


def test_errors_are_problems_naming_the_field(client: TestClient, keys: Keys) -> None:
    head = _auth(keys.analyst)
    cases = [
        (client.get("/no/such/route"), 404, None),
        (client.get("/v1/risk", params={"limit": 0}, headers=head), 422, "limit"),
        (client.get("/v1/risk", params={"subject_kind": "person"}, headers=head), 422, "subject_kind"),
        (client.post("/v1/cases", json={"subject_kind": "member"}, headers=head), 422, "subject_id"),
        (
            client.post(
                "/v1/cases", json={"subject_kind": "member", "subject_id": "x", "x": 1}, headers=head
            ),
            422,
            "x",
        ),
        (client.post("/v1/cases", content=b"{not json", headers=head), 422, None),
        (
            client.post("/v1/cases", json={"subject_kind": "member", "subject_id": "nobody"}, headers=head),
            422,
            None,
        ),
        (client.delete("/v1/cases", headers=head), 405, None),
        (client.post("/v1/cases", content=b"x" * (2 << 20), headers=head), 413, None),
    ]
    for response, status, field in cases:
        assert response.status_code == status, response.text
        assert response.headers["content-type"].startswith("application/problem+json")
        body = response.json()
        assert body["status"] == status and body["title"] and body["detail"]
        if field is not None:
            assert body["field"] == field, body
        assert "Traceback" not in response.text and 'File "' not in response.text


def test_public_routes_are_rate_limited_per_client(service: Service) -> None:
    now = [100.0]
    app = create_app(service)
    app.state.limiter = RateLimiter(2.0, clock=lambda: now[0])  # bursts of 4, then 2 a second
    url = "/v1/public/merchants/S00000000/credit"
    with TestClient(app) as limited:
        statuses = [limited.get(url).status_code for _ in range(5)]
        assert statuses == [200, 200, 200, 200, 429]
        refused = limited.get(url)
        assert refused.json()["status"] == 429 and refused.headers["retry-after"] == "1"
        now[0] += 0.5  # one request's worth of tokens
        assert [limited.get(url).status_code for _ in range(2)] == [200, 429]


def test_reads_see_a_snapshot_and_never_wait_for_a_writer(client: TestClient, service: Service) -> None:
    shop = "S00000000"
    before = client.get(f"/v1/public/merchants/{shop}/credit").json()
    writer = service.store.connection.cursor()  # a long analysis, mid-transaction
    writer.execute("BEGIN TRANSACTION")
    writer.execute("UPDATE credit_merchants SET points = -12345 WHERE merchant_id = ?", [shop])
    answers: list[dict[str, object]] = []
    reader = threading.Thread(
        target=lambda: answers.append(client.get(f"/v1/public/merchants/{shop}/credit").json())
    )
    reader.start()
    reader.join(timeout=30)
    assert not reader.is_alive() and answers[0]["points"] == before["points"]
    writer.execute("ROLLBACK")
    writer.close()


@pytest.mark.slow
def test_public_routes_never_return_personal_data(compared: Path) -> None:
    """Walk every public route of the OpenAPI schema over many merchants and listings of a store
    with every analysis run (comparison included); search the answers for private values."""
    service = Service.open(compared, public_rate=0)
    try:
        client = TestClient(create_app(service), raise_server_exceptions=False)
        private: set[str] = set()
        for column in ("name", "phone", "id_number", "device_id", "bank_account"):
            private |= {
                str(r["v"]) for r in service.rows(f"SELECT DISTINCT {column} AS v FROM members") if r["v"]
            }
        for column in ("ship_to", "device_id"):
            private |= {
                str(r["v"]) for r in service.rows(f"SELECT DISTINCT {column} AS v FROM orders") if r["v"]
            }
        assert len(private) > 1000
        ids = {
            "merchant_id": [
                r["id"] for r in service.rows("SELECT merchant_id AS id FROM merchants ORDER BY merchant_id")
            ],
            # every fifth compared listing: each answer also carries its product's other offers
            "listing_id": [
                r["id"]
                for r in service.rows("SELECT listing_id AS id FROM product_clusters ORDER BY listing_id")[
                    ::5
                ]
            ],
        }
        schema = client.get("/openapi.json").json()
        public = [
            (path, op)
            for path, ops in schema["paths"].items()
            for method, op in ops.items()
            if method == "get" and "public" in op.get("tags", [])
        ]
        assert {path for path, _ in public} >= {
            "/v1/public/merchants/{merchant_id}/credit",
            "/v1/public/listings/{listing_id}/compare",
        }
        walked = found = 0
        for path, op in public:
            params = [p["name"] for p in op.get("parameters", []) if p["in"] == "path"]
            assert set(params) <= set(ids), f"{path}: add its path parameters to this test"
            for value in ids[params[0]] if params else [None]:
                url = path.replace("{" + params[0] + "}", value) if value else path
                response = client.get(url)
                assert response.status_code in (200, 404), (url, response.text)
                text = json.dumps(response.json(), ensure_ascii=False)
                leaked = [v for v in private if v in text]
                assert not leaked, (url, leaked[:3])
                walked += 1
                found += response.status_code == 200
        assert walked >= len(ids["merchant_id"]) + len(ids["listing_id"]) and found >= walked * 0.9
    finally:
        service.close()


def test_a_listing_comparison_ranks_offers_by_credit_aware_value(compared: Path) -> None:
    service = Service.open(compared, public_rate=0)
    try:
        client = TestClient(create_app(service), raise_server_exceptions=False)
        row = service.one(
            "SELECT c.listing_id FROM product_clusters c JOIN product_prices p USING (product_id) "
            "WHERE p.merchants >= 3 ORDER BY p.merchants DESC, c.listing_id LIMIT 1"
        )
        assert row is not None
        answer = client.get(f"/v1/public/listings/{row['listing_id']}/compare")
        assert answer.status_code == 200
        body = answer.json()
        offers = body["offers"]
        assert len({o["merchant_id"] for o in offers}) >= 3 and sum(o["this_listing"] for o in offers) == 1
        ranked = [(o["below_market"], o["value_cny"]) for o in offers]
        assert ranked == sorted(ranked)  # fair offers by value, offers far below the market last
        for offer in offers:  # value = price ÷ the chance the order ends well
            assert offer["value_cny"] == pytest.approx(offer["price_cny"] / offer["success_chance"], rel=1e-3)
        assert "value = price" in body["explanation"]
        missing = client.get("/v1/public/listings/L-nope/compare")
        assert missing.status_code == 404 and missing.json()["field"] == "listing_id"
    finally:
        service.close()


def test_credit_cards_are_cached_until_the_server_changes_the_store(
    client: TestClient, service: Service
) -> None:
    url = "/v1/public/merchants/S00000000/credit"
    first = client.get(url).json()
    with service.writing() as connection:
        connection.execute("UPDATE credit_merchants SET points = points + 1 WHERE merchant_id = 'S00000000'")
    assert client.get(url).json() == first  # the cached card
    service.changed()
    assert client.get(url).json()["points"] == first["points"] + 1


def test_rules_backtest_over_the_api(client: TestClient, keys: Keys) -> None:
    head = _auth(keys.analyst)
    text = (
        "[[rule]]\nid = 'boosted'\nversion = 1\nauthor = 'ana'\nreason = 'rings'\nsubject = 'merchant'\n"
        "[[rule.when]]\nsignal = 'ring_boosted_shop'\n"
    )
    answer = client.post("/v1/rules/backtest", json={"rules": text}, headers=head)
    boosted = {ring["merchant_id"] for ring in client.get("/v1/rings", headers=head).json()}
    assert answer.status_code == 200 and answer.json()[0]["hits"] == len(boosted) > 0
    bad = client.post("/v1/rules/backtest", json={"rules": "[[rule]]\nid = 'x'\n"}, headers=head)
    assert (
        bad.status_code == 422
        and bad.json()["field"] == "rules"
        and "version is required" in bad.json()["detail"]
    )
    missing = client.get("/v1/rules/hits", headers=head)  # nothing applied yet: not a server failure
    assert missing.status_code == 404 and "rules apply has not been run" in missing.json()["detail"]


def test_public_routes_say_when_an_analysis_has_not_run() -> None:
    service = Service.open(":memory:", public_rate=0)
    try:
        client = TestClient(create_app(service), raise_server_exceptions=False)
        for url in ("/v1/public/merchants/S1/credit", "/v1/public/listings/L1/compare"):
            answer = client.get(url)
            assert answer.status_code == 404 and answer.json()["title"] == "Not computed", answer.text
    finally:
        service.close()
