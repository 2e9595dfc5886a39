"""``generate_world``: a case folder plus ``truth/``, chunk by chunk, byte-for-byte reproducible."""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa

from ..contract import TABLES
from ..errors import ConfigError
from . import _fmt as F
from ._assemble import assemble
from ._brushing import plant_lookalikes, plant_rings, trade_lookalikes, trade_rings
from ._catalog import Catalog, build_catalog
from ._chunk import MERCHANT_ROLES, Chunk, Counters
from ._commerce import Shelf, honest_orders, plant_honest_merchants
from ._config import WorldProfile, resolve_profile
from ._dirty import records_table, spoil
from ._flaws import plant_flaws, plant_left_but_paid
from ._goods import TRUTH_SCHEMAS as GOODS_TRUTH
from ._goods import generate_shop_goods
from ._people import friend_ties, init_members, plant_persons
from ._pyramids import plant_networks, trade_networks
from ._time import Calendar
from ._truth import schemas, write_manifest
from ._writer import CaseWriter, Format, TruthWriter, textify

Progress = Callable[[str, int, int], None]
_TABLE_ORDER = ("members", "merchants", "listings", "orders", "reviews", "payments", "ties", "posts", "media")


@dataclass
class WorldSummary:
    """What a generation run wrote and planted, for the CLI's summary and for benchmarks."""

    out: Path
    members: int
    seed: int
    profile: str
    format: str
    chunks: int
    rows: dict[str, int] = field(default_factory=dict)
    truth_rows: dict[str, int] = field(default_factory=dict)
    planted: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0


def generate_world(
    out: Path,
    *,
    members: int,
    seed: int,
    profile: str | WorldProfile = "default",
    fmt: Format = "parquet",
    media: bool = True,
    dirty_rate: float | None = None,
    overrides: Mapping[str, float] | None = None,
    progress: Progress | None = None,
) -> WorldSummary:
    """Write a synthetic case to ``out`` (replacing the case files there) and its ``truth/``.

    The output is a pure function of the arguments: the same seed gives the same bytes.
    """
    if members < 1:
        raise ConfigError(f"members must be ≥ 1, not {members}")
    prof = resolve_profile(profile, dirty_rate=dirty_rate, overrides=overrides)
    t0 = time.perf_counter()
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    _clear(out)
    chunk_size = prof.chunk_members
    n_chunks = -(-members // chunk_size)
    writer = CaseWriter(out, fmt, n_chunks)
    truth = TruthWriter(out / "truth", {**schemas(), **GOODS_TRUTH})
    counters = Counters()
    planted: dict[str, int] = {}
    start_us = int(prof.start.timestamp()) * F.US
    end_us = int(prof.end.timestamp()) * F.US
    calendar = Calendar(start_us, end_us)
    catalog = build_catalog(seed)
    report = progress or (lambda stage, done, total: None)
    report("members", 0, members)
    # writing chunk i (Arrow/Parquet release the GIL) overlaps generating chunk i+1
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="synth-writer")
    pending: Future[None] | None = None
    try:
        for index in range(n_chunks):
            lo = index * chunk_size
            n = min(chunk_size, members - lo)
            chunk = Chunk(
                index=index,
                lo=lo,
                n=n,
                seed=seed,
                profile=prof,
                counters=counters,
                start_us=start_us,
                end_us=end_us,
            )

            def step(name: str, fraction: float, lo: int = lo, n: int = n) -> None:
                report(f"members: {name}", lo + int(fraction * n), members)

            tables, truth_tables = _build_chunk(chunk, calendar, catalog, out, media, n_chunks == 1, step)
            for k, v in chunk.planted.items():
                planted[k] = planted.get(k, 0) + v
            if pending is not None:
                pending.result()
                report("members", lo, members)
            pending = pool.submit(_write_chunk, chunk, tables, truth_tables, writer, truth, fmt, index)
            del tables, truth_tables
        if pending is not None:
            report("members: writing", lo + int(0.95 * n), members)
            pending.result()
        report("members", members, members)
    finally:
        pool.shutdown(wait=True)
        writer.close()
        truth.close()
    planted["dirty_rows"] = truth.rows.get("dirty_rows", 0)
    summary = WorldSummary(
        out=out,
        members=members,
        seed=seed,
        profile=prof.name,
        format=fmt,
        chunks=n_chunks,
        rows={k: writer.rows.get(k, 0) for k in _TABLE_ORDER},
        truth_rows=dict(sorted(truth.rows.items())),
        planted=dict(sorted(planted.items())),
    )
    write_manifest(
        out / "truth",
        truth.rows,
        truth.schemas,
        {
            "generator": "sentinella.synth",
            "members": members,
            "seed": seed,
            "profile": prof.name,
            "format": fmt,
            "media": media,
            "dirty_rate": prof.dirty_rate,
            "chunks": n_chunks,
            "rows": summary.rows,
            "planted": summary.planted,
        },
    )
    summary.seconds = time.perf_counter() - t0
    return summary


def _clear(out: Path) -> None:
    """Remove a previous world's tables so parts from a bigger run cannot linger."""
    for name in (*_TABLE_ORDER, "truth"):
        for path in (out / name, *(out / f"{name}.{ext}" for ext in ("parquet", "csv", "jsonl"))):
            if path.is_dir():
                shutil.rmtree(path)
            elif path.exists():
                path.unlink()


def _build_chunk(
    chunk: Chunk,
    calendar: Calendar,
    catalog: Catalog,
    out: Path,
    media: bool,
    single: bool,
    step: Callable[[str, float], None] = lambda name, fraction: None,
) -> tuple[dict[str, tuple[pa.Table, np.ndarray]], dict[str, list[pa.Table]]]:
    """One chunk's tables; ``step(name, fraction)`` tells a progress bar how far it has got."""
    step("accounts", 0.0)
    init_members(chunk)
    nets = plant_networks(chunk, calendar)
    rings = plant_rings(chunk)
    plant_flaws(chunk)
    plant_honest_merchants(chunk)
    looks = plant_lookalikes(chunk)
    plant_persons(chunk)
    # goods: every shop's listings, posts and media, by role
    m = chunk.merchants
    k = sum(len(o) for o in m.owner)
    numbers = chunk.merchant_first + np.arange(k)
    role = np.concatenate(m.role) if k else np.zeros(0, np.int8)
    merchants = pa.table(
        {
            "merchant_id": F.ids("S", numbers, 8),
            "member_id": F.ids("M", np.concatenate(m.owner) if k else np.zeros(0, np.int64), 9),
            "role": F.pick(MERCHANT_ROLES, role),
            "opened_at": F.timestamps(np.concatenate(m.opened) if k else np.zeros(0, np.int64)),
        }
    )
    _goods_lookalikes(chunk, numbers, role)
    step("listings and media", 0.2)
    goods = generate_shop_goods(
        np.random.SeedSequence(entropy=chunk.seed, spawn_key=(chunk.index, 99)),
        catalog,
        merchants,
        out,
        media=media,
        start=chunk.profile.start,
        end=chunk.profile.end,
        id_prefix="" if single else f"C{chunk.index:05d}",
    )
    listings = goods.listings
    shelf = Shelf(chunk, listings)
    step("orders", 0.5)
    honest_orders(chunk, shelf, calendar)
    step("network and ring trade", 0.7)
    trade_networks(chunk, nets, shelf, calendar)
    trade_rings(chunk, rings, shelf, calendar)
    trade_lookalikes(chunk, looks, shelf, calendar)
    plant_left_but_paid(chunk)
    friend_ties(chunk)
    step("assembling tables", 0.85)
    done = assemble(chunk, shelf, listings)
    tables = {name: (t, done.protected[name]) for name, t in done.tables.items()}
    for name in ("listings", "posts", "media"):
        t = getattr(goods, name)
        tables[name] = (t, np.ones(t.num_rows, bool))
    truth_tables = dict(chunk.truth)
    for name, t in goods.truth.items():
        truth_tables.setdefault(name, []).append(t)
    return tables, truth_tables


def _goods_lookalikes(chunk: Chunk, numbers: np.ndarray, role: np.ndarray) -> None:
    """Clearance and second-hand shops: cheap for honest reasons, must not look counterfeit."""
    for r in ("clearance", "secondhand"):
        sel = numbers[role == MERCHANT_ROLES.index(r)]
        k = len(sel)
        if k == 0:
            continue
        first = chunk.counters.lookalike
        chunk.counters.lookalike += k
        chunk.count(f"lookalikes_{r}", k)
        chunk.add_truth(
            "lookalikes",
            pa.table(
                {
                    "lookalike_id": F.ids("LA", first + np.arange(k), 6),
                    "kind": pa.array([r] * k),
                    "entity_kind": pa.array(["merchant"] * k),
                    "entity_id": F.ids("S", sel, 8),
                    "role": pa.array(["merchant"] * k),
                }
            ),
        )


def _write_chunk(
    chunk: Chunk,
    tables: dict[str, tuple[pa.Table, np.ndarray]],
    truth_tables: dict[str, list[pa.Table]],
    writer: CaseWriter,
    truth: TruthWriter,
    fmt: Format,
    part: int,
) -> None:
    rng = chunk.rng(50)
    dirty: list[pa.Table] = []
    for name in _TABLE_ORDER:
        table, protected = tables[name]
        schema = TABLES[name].arrow_schema()
        if not table.schema.equals(schema):
            table = table.select(schema.names).cast(schema)
        if fmt != "parquet":
            table = textify(table)
        table, rec = spoil(name, table, protected, chunk.profile.dirty_rate, rng)
        if rec["row_number"]:
            dirty.append(records_table(name, writer.relative(name, part), rec))
        writer.write(name, part, table)
    truth_tables.setdefault("dirty_rows", []).extend(dirty)
    for name, ts in truth_tables.items():
        truth.append(name, ts)
