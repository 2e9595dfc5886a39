"""One analysed generated world shared by the risk, cases and API tests (built once per run).

The world is generated, ingested and run through pyramid, rings, credit and risk into a DuckDB
file; tests that change the store copy the file first (``analysed_copy``).
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

from sentinella.compare import run_compare
from sentinella.credit import run_credit
from sentinella.pyramid import run_pyramid
from sentinella.rings import run_rings
from sentinella.risk import run_risk
from sentinella.store import Store, ingest_case
from sentinella.synth import generate_world

MEMBERS, SEED = 3000, 5


@dataclass(frozen=True)
class World:
    case: Path
    truth: Path
    db: Path


_BUILT: dict[Path, World] = {}


def analysed_world(root: Path) -> World:
    """Generate and analyse once per folder (pytest's session temp dir)."""
    if root in _BUILT:
        return _BUILT[root]
    case, db = root / "case", root / "world.duckdb"
    generate_world(case, members=MEMBERS, seed=SEED, media=False)
    with Store.open(db) as store:
        ingest_case(store, case)
        run_pyramid(store.backend)
        run_rings(store.backend)
        run_credit(store.backend)
        run_risk(store.backend)
    _BUILT[root] = World(case, case / "truth", db)
    return _BUILT[root]


def analysed_copy(world: World, target: Path) -> Path:
    """A private copy of the analysed store, for tests that write to it."""
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(world.db, target)
    return target


def compared_world(world: World, root: Path) -> Path:
    """A copy of the analysed store with the comparison run and risk scored again (once per run):
    for the public comparison route and compare's risk signals."""
    db = root / "compared.duckdb"
    if db in _COMPARED:
        return db
    analysed_copy(world, db)
    with Store.open(db) as store:
        run_compare(store.backend)
        run_risk(store.backend)
    _COMPARED.add(db)
    return db


_COMPARED: set[Path] = set()
