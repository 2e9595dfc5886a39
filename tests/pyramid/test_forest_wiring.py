"""``run_pyramid(forest=...)``: the account forest measured in the engine writes the same tables.

A generated pyramid case (with sponsor cycles, self-sponsorship, unknown sponsors and accounts
sharing identifiers among its members) is analysed with the forest on the driver and in the
engine's SQL; every pyramid table must come out the same, row for row. ``forest="engine"`` also
leaves the member IDs in the engine (sponsors and identifiers coded there, IDs fetched by code),
so the repeat-offender rule, the person links and every finding's names go through that path
too. Spark (``-m spark``, slow) runs the engine path once against DuckDB's reference tables.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest
from numpy.typing import NDArray

from sentinella.engine import Backend
from sentinella.pyramid import PyramidError, run_pyramid
from sentinella.pyramid._forest_sql import choose
from sentinella.store import Store, ingest_case
from sentinella.synth import generate_world

TABLES = (
    "pyramid_members",
    "pyramid_networks",
    "pyramid_findings",
    "pyramid_issues",
    "pyramid_flows",
    "pyramid_person_links",
)
OFFENDERS = ("M000000690:criminal", "M000000406:administrative:2020-06-01", "nobody:criminal")
"""Two network roots of the world (one counted from a date on) and an ID no member has."""
Rows = dict[str, list[tuple[object, ...]]]


def tables(backend: Backend) -> Rows:
    out = {}
    for name in TABLES:
        table = backend.query(f"SELECT * FROM {name}")
        names = [n for n in table.column_names if n != "run_id"]
        out[name] = sorted((tuple(r[n] for n in names) for r in table.select(names).to_pylist()), key=repr)
    return out


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("forest-world")
    generate_world(root / "case", members=1500, seed=5, media=False, profile="pyramid-case")
    with Store.open(root / "world.duckdb") as store:
        ingest_case(store, root / "case")
    return root


@pytest.fixture(scope="module")
def reference(world: Path) -> Iterator[tuple[Rows, str, dict[str, int]]]:
    db = world / "driver.duckdb"
    shutil.copyfile(world / "world.duckdb", db)
    with Store.open(db) as store:
        summary = run_pyramid(store.backend, repeat_offenders=OFFENDERS)
        yield tables(store.backend), summary.forest, summary.issues


def test_auto_keeps_the_kernel_on_duckdb(reference: tuple[Rows, str, dict[str, int]]) -> None:
    assert reference[1].startswith("driver: the 1,5"), reference[1]
    assert reference[1].endswith("members' arrays are on the driver already: the kernel is faster")


def test_ids_in_the_engine_with_the_kernel_write_the_same_tables(
    world: Path, tmp_path: Path, reference: tuple[Rows, str, dict[str, int]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """What a big case on Spark runs: IDs left in the engine, the forest by the kernel."""
    from sentinella.pyramid import _analysis

    asked: list[str] = []

    def always(backend: Backend, forest: str) -> bool:
        asked.append(forest)
        return True

    monkeypatch.setattr(_analysis, "_ids_in_engine", always)
    db = tmp_path / "ids.duckdb"
    shutil.copyfile(world / "world.duckdb", db)
    with Store.open(db) as store:
        summary = run_pyramid(store.backend, forest="auto", repeat_offenders=OFFENDERS)
        got = tables(store.backend)
    assert asked == ["auto"] and summary.forest.startswith("driver: ")
    assert got == reference[0]


def test_the_world_exercises_the_id_lookups(reference: tuple[Rows, str, dict[str, int]]) -> None:
    findings = reference[0]["pyramid_findings"]
    repeat = [row for row in findings if row[1] == "cn-2013-opinions-s2-4"]  # (jurisdiction, rule, ...)
    assert {row[4] for row in repeat} == {"M000000690", "M000000406"}, "both known offenders are tested"
    assert any(row[-1] for row in reference[0]["pyramid_person_links"]), "accounts merge on a strong ID"
    assert {"cycle", "self_sponsorship", "unknown_sponsor"} <= set(reference[2])


def test_the_engine_forest_writes_the_same_tables(
    world: Path, tmp_path: Path, reference: tuple[Rows, str, dict[str, int]]
) -> None:
    expected, _, issues = reference
    db = tmp_path / "engine.duckdb"
    shutil.copyfile(world / "world.duckdb", db)
    with Store.open(db) as store:
        summary = run_pyramid(store.backend, forest="engine", repeat_offenders=OFFENDERS)
        got = tables(store.backend)
    assert summary.forest.startswith("engine: asked for the engine")
    assert summary.issues == issues
    for name in TABLES:
        assert got[name], f"{name}: the world should give it rows"
        assert got[name] == expected[name], name


def test_an_unknown_forest_mode_is_refused(store: Store) -> None:
    with pytest.raises(PyramidError, match="forest='gpu'"):
        run_pyramid(store.backend, forest="gpu")  # type: ignore[arg-type]


def test_choose() -> None:
    assert choose("auto", 10**9) == (
        False,
        "driver: the 1,000,000,000 members' arrays are on the driver already: the kernel is faster",
    )
    assert choose("engine", 5)[0]
    assert not choose("driver", 10**9)[0]
    with pytest.raises(ValueError, match="unknown forest mode 'gpu'"):
        choose("gpu", 5)  # type: ignore[arg-type]


@pytest.mark.spark
@pytest.mark.slow
def test_spark_engine_forest_writes_duckdbs_tables(
    world: Path, tmp_path: Path, reference: tuple[Rows, str, dict[str, int]], spark_session: object
) -> None:
    from sentinella.contract import TABLES
    from sentinella.engine import analysis_backend
    from sentinella.pyramid import RESULT_TABLES

    db = tmp_path / "spark.duckdb"
    shutil.copyfile(world / "world.duckdb", db)
    inputs = tuple(TABLES)  # what the CLI's --engine spark exports
    with (
        Store.open(db) as store,
        analysis_backend(store.backend, "spark", inputs=inputs, results=RESULT_TABLES) as backend,
    ):
        summary = run_pyramid(backend, forest="engine", repeat_offenders=OFFENDERS)
        got = tables(backend)
    assert summary.forest.startswith("engine: ")
    assert got == reference[0]


@pytest.mark.spark
@pytest.mark.slow
def test_spark_keeps_ids_in_the_engine_above_the_threshold(
    world: Path,
    tmp_path: Path,
    reference: tuple[Rows, str, dict[str, int]],
    spark_session: object,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from sentinella.contract import TABLES
    from sentinella.engine import analysis_backend
    from sentinella.pyramid import RESULT_TABLES, _analysis, _ids

    monkeypatch.setattr(_analysis, "IDS_IN_ENGINE_ABOVE", 1000)  # the world has 1,500 members
    fetched: list[int] = []
    fetch = _ids.EngineIds._fetch

    def counted(self: _ids.EngineIds, distinct: NDArray[np.int64]) -> pa.Array:
        fetched.append(distinct.size)
        return fetch(self, distinct)

    monkeypatch.setattr(_ids.EngineIds, "_fetch", counted)
    db = tmp_path / "spark-ids.duckdb"
    shutil.copyfile(world / "world.duckdb", db)
    with (
        Store.open(db) as store,
        analysis_backend(store.backend, "spark", inputs=tuple(TABLES), results=RESULT_TABLES) as backend,
    ):
        summary = run_pyramid(backend, repeat_offenders=OFFENDERS)
        got = tables(backend)
    assert summary.forest.startswith("driver: ") and fetched, "IDs fetched from the engine, kernel forest"
    assert got == reference[0]
