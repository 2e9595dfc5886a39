"""Fixtures for the API: an analysed world's store behind the app, keys, a real server process."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from api_helpers import Keys, LiveServer, make_keys, start_server
from fastapi.testclient import TestClient

from sentinella.api import Service, create_app
from sentinella.store import Store
from service_world import World, analysed_copy


@pytest.fixture
def api_db(world: World, tmp_path: Path) -> tuple[Path, Keys]:
    db = analysed_copy(world, tmp_path / "api.duckdb")
    with Store.open(db) as store:
        keys = make_keys(store)
    return db, keys


@pytest.fixture
def service(api_db: tuple[Path, Keys]) -> Iterator[Service]:
    opened = Service.open(api_db[0], public_rate=0)
    yield opened
    opened.close()


@pytest.fixture
def keys(api_db: tuple[Path, Keys]) -> Keys:
    return api_db[1]


@pytest.fixture
def client(service: Service) -> Iterator[TestClient]:
    with TestClient(create_app(service), raise_server_exceptions=False) as test_client:
        yield test_client


@pytest.fixture
def live(api_db: tuple[Path, Keys]) -> Iterator[LiveServer]:
    db, keys = api_db
    url, process = start_server(db)
    try:
        yield LiveServer(url, db, keys, process)
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
