"""Fixtures for the console: one console world per module, an app over it, a logged-in client."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from web_helpers import ConsoleWorld, console_world

from sentinella.api import Service, create_app
from service_world import World


@pytest.fixture(scope="session")
def cworld(world: World, tmp_path_factory: pytest.TempPathFactory) -> ConsoleWorld:
    return console_world(world, tmp_path_factory.mktemp("console") / "console.duckdb")


@pytest.fixture(scope="module")
def service(cworld: ConsoleWorld) -> Iterator[Service]:
    opened = Service.open(cworld.db, public_rate=0)
    yield opened
    opened.close()


@pytest.fixture(scope="module")
def app_client(service: Service) -> Iterator[TestClient]:
    with TestClient(create_app(service), raise_server_exceptions=False) as client:
        yield client


@pytest.fixture
def public(app_client: TestClient) -> TestClient:
    app_client.cookies.clear()
    return app_client


@pytest.fixture
def analyst(app_client: TestClient, cworld: ConsoleWorld) -> TestClient:
    app_client.cookies.clear()
    answer = app_client.post("/console/login", data={"key": cworld.analyst}, follow_redirects=False)
    assert answer.status_code == 303
    return app_client
