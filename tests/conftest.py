"""Shared fixtures: stores and small case folders written on the fly."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from sentinella.store import IngestReport, Store, ingest_case
from service_world import World, analysed_world, compared_world
from support import CaseWriter, Ingest


@pytest.fixture
def store() -> Iterator[Store]:
    opened = Store.open(":memory:")
    yield opened
    opened.close()


@pytest.fixture
def write_case(tmp_path: Path) -> CaseWriter:
    """Write {file name: content} into a fresh case folder and return it."""
    counter = iter(range(10_000))

    def write(files: dict[str, str | bytes]) -> Path:
        folder = tmp_path / f"case{next(counter)}"
        folder.mkdir()
        for name, content in files.items():
            path = folder / name
            path.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, bytes):
                path.write_bytes(content)
            else:
                path.write_text(content, encoding="utf-8")
        return folder

    return write


@pytest.fixture
def ingest(store: Store, write_case: CaseWriter) -> Ingest:
    """Write a case and import it into the in-memory store."""

    def run(files: dict[str, str | bytes]) -> IngestReport:
        return ingest_case(store, write_case(files))

    return run


@pytest.fixture(scope="session")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    """A generated world run through every analysis and risk (risk, cases and API tests)."""
    return analysed_world(tmp_path_factory.mktemp("service-world"))


@pytest.fixture(scope="session")
def compared(world: World, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The analysed world's store with compare run and risk scored again (read it, do not change it)."""
    return compared_world(world, tmp_path_factory.mktemp("compared-world"))


@pytest.fixture(scope="session")
def spark_session() -> Iterator[object]:
    """One local Spark session for every ``spark`` test (starting one takes seconds)."""
    pytest.importorskip("pyspark")
    from sentinella.engine import local_session

    session = local_session(master="local[2]", driver_memory="1g", shuffle_partitions=2)
    yield session
    session.stop()
