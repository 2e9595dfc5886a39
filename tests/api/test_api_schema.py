"""Schemathesis against the OpenAPI schema: generated requests to every route, no 500s."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from api_helpers import Keys, make_keys
from hypothesis import HealthCheck, given, settings

from sentinella.api import Service, create_app
from sentinella.store import Store
from service_world import World, analysed_copy


@pytest.fixture(scope="module")
def fuzz_service(world: World, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Service, Keys]]:
    db: Path = analysed_copy(world, tmp_path_factory.mktemp("fuzz") / "fuzz.duckdb")
    with Store.open(db) as store:
        keys = make_keys(store)
    service = Service.open(db, public_rate=0)
    # Analyses are tested on their own; here a job only has to be queued and answered for, and
    # a real one (seconds each) would hold ingest batches behind it for the whole run.
    service.jobs.runners = dict.fromkeys(service.jobs.runners, lambda backend, params: {"ran": True})
    yield service, keys
    service.close()


def _fuzz(operation: Any, headers: dict[str, str]) -> None:
    @given(case=operation.as_strategy())
    @settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    def call(case: schemathesis.Case) -> None:
        response = case.call(headers=headers)
        assert response.status_code < 500, (case.method, case.formatted_path, response.text)
        if response.status_code >= 400:
            assert response.headers["content-type"][0].startswith("application/problem+json")
            assert "Traceback" not in response.text

    call()


@pytest.mark.slow
def test_no_request_makes_the_server_fail(fuzz_service: tuple[Service, Keys]) -> None:
    """Every operation of the schema, up to 15 generated requests each, with a key of its role."""
    service, keys = fuzz_service
    schema = schemathesis.openapi.from_asgi("/openapi.json", create_app(service))
    by_tag = {"ingest": keys.ingest, "admin": keys.admin}
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1
        tags = operation.definition.raw.get("tags", [])
        key = next((by_tag[tag] for tag in tags if tag in by_tag), keys.analyst)
        _fuzz(operation, {"Authorization": f"Bearer {key}"})
    assert operations >= 25
