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
