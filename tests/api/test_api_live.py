"""The API as a platform meets it: a real `sentinella serve` process on loopback."""

from __future__ import annotations

import subprocess
import sys

import httpx
import pytest
from api_helpers import LiveServer


@pytest.mark.slow
def test_a_real_server_checks_keys_and_roles(live: LiveServer) -> None:
    with httpx.Client(base_url=live.url, timeout=10) as http:
        merchant = "S00000000"
        none = http.get(f"/v1/merchants/{merchant}")
        assert none.status_code == 401
        assert none.headers["content-type"].startswith("application/problem+json")
        assert none.json()["field"] == "Authorization"
        wrong_role = http.get(
            f"/v1/merchants/{merchant}", headers={"Authorization": f"Bearer {live.keys.ingest}"}
        )
        assert wrong_role.status_code == 403 and "role analyst" in wrong_role.json()["detail"]
        revoked = http.get(
            f"/v1/merchants/{merchant}", headers={"Authorization": f"Bearer {live.keys.revoked}"}
        )
        assert revoked.status_code == 401 and "revoked" in revoked.json()["detail"]
        forged = live.keys.analyst[:-3] + "xyz"
        assert http.get(f"/v1/merchants/{merchant}", headers={"X-API-Key": forged}).status_code == 401
        ok = http.get(f"/v1/merchants/{merchant}", headers={"Authorization": f"Bearer {live.keys.analyst}"})
        assert ok.status_code == 200 and ok.json()["merchant"]["merchant_id"] == merchant
        card = http.get(f"/v1/public/merchants/{merchant}/credit")
        assert card.status_code == 200 and card.json()["merchant_id"] == merchant
        assert http.get("/openapi.json").json()["info"]["title"] == "Sentinella"
        assert "swagger" in http.get("/docs").text.lower()
        missing = http.get("/v1/public/merchants/nobody/credit")
        assert missing.status_code == 404 and missing.json()["field"] == "merchant_id"
        assert "Traceback" not in missing.text


@pytest.mark.slow
def test_while_serving_the_server_is_the_only_writer(live: LiveServer) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "sentinella.cli", "risk", "--db", str(live.db)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2
    assert "one writer at a time" in " ".join(done.stderr.split()) and "Traceback" not in done.stderr


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "sentinella.cli", *args], capture_output=True, text=True, timeout=120
    )


@pytest.mark.slow
def test_a_key_revoked_while_serving_is_refused_on_its_next_call(live: LiveServer) -> None:
    key_id = live.keys.analyst.split("_")[1]
    route = "/v1/rings"
    with httpx.Client(base_url=live.url, timeout=30) as http:
        head = {"Authorization": f"Bearer {live.keys.analyst}"}
        assert http.get(route, headers=head).status_code == 200
        # the store is the server's: the plain command says so and names the way that works
        locked = _cli("keys", "revoke", key_id, "--db", str(live.db))
        assert locked.returncode == 2 and "--server URL --key ADMIN_KEY" in " ".join(locked.stderr.split())
        assert http.get(route, headers=head).status_code == 200
        not_admin = _cli("keys", "revoke", key_id, "--server", live.url, "--key", live.keys.ingest)
        assert not_admin.returncode == 2 and "403" in not_admin.stderr and "Traceback" not in not_admin.stderr
        done = _cli("keys", "revoke", key_id, "--server", live.url, "--key", live.keys.admin)
        assert done.returncode == 0, done.stderr
        refused = http.get(route, headers=head)
        assert refused.status_code == 401 and "revoked" in refused.json()["detail"]
        again = _cli("keys", "revoke", key_id, "--server", live.url, "--key", live.keys.admin)
        assert again.returncode == 2 and "already revoked" in again.stderr
        admin = {"Authorization": f"Bearer {live.keys.admin}"}
        made = http.post("/v1/keys", json={"role": "analyst", "label": "night shift"}, headers=admin)
        assert made.status_code == 201
        assert http.get(route, headers={"Authorization": f"Bearer {made.json()['key']}"}).status_code == 200
        states = {k["key_id"]: k["revoked_at"] for k in http.get("/v1/keys", headers=admin).json()}
        assert states[key_id] is not None and states[made.json()["key_id"]] is None
        assert "key" not in http.get("/v1/keys", headers=admin).json()[0]  # never the secrets
