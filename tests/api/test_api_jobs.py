"""Analyses as jobs: queued, run one at a time by the server, polled; reads go on meanwhile."""

from __future__ import annotations

import threading
import time
from typing import Any

import httpx
import pytest
from api_helpers import Keys, LiveServer
from fastapi.testclient import TestClient

from sentinella import audit
from sentinella.api import Service
from sentinella.engine import Backend


def _auth(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def _wait_for(get: Any, job_id: str, headers: dict[str, str]) -> dict[str, Any]:
    """Poll until the job ends (a guard against a hang, not a timing assertion)."""
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        state: dict[str, Any] = get(f"/v1/jobs/{job_id}", headers=headers).json()
        if state["status"] in ("done", "failed"):
            return state
        time.sleep(0.1)
    raise AssertionError(f"job {job_id} did not end")


def test_a_read_during_a_running_job_answers_at_once_from_before_it(
    client: TestClient, service: Service, keys: Keys
) -> None:
    head = _auth(keys.analyst)
    shop = str(service.one("SELECT merchant_id FROM ring_groups ORDER BY score DESC LIMIT 1")["merchant_id"])  # type: ignore[index]
    entered, release = threading.Event(), threading.Event()

    def half_written_risk(backend: Backend, params: dict[str, Any]) -> dict[str, Any]:
        with backend.transaction("test"):  # as every analysis writes: one transaction
            backend.execute("UPDATE risk_scores SET score = 0.0")
            entered.set()
            release.wait(120)
        return {"zeroed": True}

    service.jobs.runners["risk"] = half_written_risk
    before = client.get(f"/v1/risk/merchant/{shop}", headers=head).json()["score"]
    assert before > 0.5
    queued = client.post("/v1/analyses/risk", headers=_auth(keys.ingest))
    assert queued.status_code == 202 and queued.headers["location"] == f"/v1/jobs/{queued.json()['job_id']}"
    job_id = queued.json()["job_id"]
    assert entered.wait(120)
    answers: list[Any] = []

    def read() -> None:
        answers.append(client.get(f"/v1/risk/merchant/{shop}", headers=head).json()["score"])
        answers.append(client.get(f"/v1/jobs/{job_id}", headers=head).json()["status"])
        answers.append(client.get(f"/v1/public/merchants/{shop}/credit").status_code)

    reader = threading.Thread(target=read)
    reader.start()
    reader.join(timeout=60)
    running = not reader.is_alive()
    release.set()
    assert running, "a read waited for the running job"
    assert answers == [before, "running", 200]  # the scores from before the job, not half of it
    state = _wait_for(client.get, job_id, head)
    assert state["status"] == "done" and state["summary"] == {"zeroed": True}
    assert state["run_seconds"] is not None and state["started_at"] and state["finished_at"]
    assert client.get(f"/v1/risk/merchant/{shop}", headers=head).json()["score"] == 0.0
    trail = [e["action"] for e in audit.events(service.cursor(), target_kind="job", target_id=job_id)]
    assert trail == ["job.start", "job.done"]


def test_jobs_check_their_parameters_and_roles(client: TestClient, keys: Keys) -> None:
    head = _auth(keys.ingest)
    cases = [
        (client.post("/v1/analyses/credit", json={"as_of": "soon"}, headers=head), 422, "as_of"),
        (client.post("/v1/analyses/pyramid", json={"profiles": ["mars"]}, headers=head), 422, "profiles.0"),
        (
            client.post("/v1/analyses/pyramid", json={"repeat_offenders": ["M1:pardoned"]}, headers=head),
            422,
            "repeat_offenders.0",
        ),
        (client.post("/v1/analyses/provenance", headers=head), 422, "case_dir"),
        (client.post("/v1/analyses/rings", json={"x": 1}, headers=head), 422, "x"),
        (client.post("/v1/analyses/sorcery", headers=head), 404, None),
        (client.post("/v1/analyses/rings", headers=_auth(keys.revoked)), 401, "Authorization"),
        (client.post("/v1/analyses/rings"), 401, "Authorization"),
        (client.get("/v1/jobs/J0", headers=head), 404, "job_id"),
    ]
    for response, status, field in cases:
        assert response.status_code == status, response.text
        assert response.headers["content-type"].startswith("application/problem+json")
        if field is not None:
            assert response.json()["field"] == field, response.json()
    assert client.get("/v1/jobs", headers=head).json() == []  # nothing was queued


def test_a_failing_analysis_is_a_failed_job_and_the_server_goes_on(
    client: TestClient, service: Service, keys: Keys
) -> None:
    head = _auth(keys.analyst)
    with service.writing() as connection:  # compare needs listings: take the table away
        connection.execute("DROP TABLE listings")
    state = _wait_for(client.get, client.post("/v1/analyses/compare", headers=head).json()["job_id"], head)
    assert state["status"] == "failed" and "listings" in state["error"]
    assert client.get("/health").status_code == 200


def test_a_store_ingested_on_spark_is_not_analysed_on_its_empty_tables(
    client: TestClient, service: Service, keys: Keys
) -> None:
    """Its input tables are Parquet beside it: a DuckDB job would read none and write empty results."""
    head = _auth(keys.analyst)
    with service.writing() as connection:
        connection.execute(
            "INSERT OR REPLACE INTO sentinella_meta VALUES ('input_tables_folder', '/cases/x.tables')"
        )
    state = _wait_for(client.get, client.post("/v1/analyses/pyramid", headers=head).json()["job_id"], head)
    assert state["status"] == "failed"
    assert "/cases/x.tables" in state["error"] and "--engine spark" in state["error"]
    assert service.one("SELECT count(*) AS n FROM pyramid_members")["n"] > 0  # type: ignore[index]


@pytest.mark.slow
def test_a_real_server_runs_a_job_and_serves_its_results(live: LiveServer) -> None:
    shop = "S00000054"  # one of the shops with rated orders by March 2024 in the shared world
    with httpx.Client(base_url=live.url, timeout=60) as http:
        before = http.get(f"/v1/public/merchants/{shop}/credit").json()
        as_of = {"as_of": "2024-03-01"}
        queued = http.post("/v1/analyses/credit", json=as_of, headers=_auth(live.keys.ingest))
        assert queued.status_code == 202 and queued.json()["status"] in ("queued", "running")
        state = _wait_for(http.get, queued.json()["job_id"], _auth(live.keys.ingest))
        assert state["status"] == "done", state
        assert state["summary"]["as_of"] == "2024-03-01" and 0 < state["summary"]["merchants"] < 123
        after = http.get(f"/v1/public/merchants/{shop}/credit").json()
        assert before["as_of"] != after["as_of"] and after["as_of"].startswith("2024-03-01")
        listed = http.get("/v1/jobs", headers=_auth(live.keys.analyst)).json()
        assert [job["job_id"] for job in listed] == [queued.json()["job_id"]]
