"""`sentinella demo`: generate a world, ingest it, run every analysis, score it, report it."""

from __future__ import annotations

import datetime as dt
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from jinja2 import Environment, PackageLoader, select_autoescape

from sentinella import __version__
from sentinella.compare import CompareSummary, run_compare
from sentinella.credit import CreditSummary, run_credit
from sentinella.provenance import ProvenanceSummary, run_provenance
from sentinella.pyramid import PyramidSummary, run_pyramid
from sentinella.report import merchant_report, pyramid_report, ring_report, write_report
from sentinella.rings import RingsSummary, run_rings
from sentinella.risk import run_risk
from sentinella.store import IngestReport, Store, ingest_case
from sentinella.synth import WorldSummary, generate_world

from ._scoring import PyramidTally, Score, pyramid_tally, score_all
from ._world_cache import STAMP, remember_world, reusable_world

Progress = Callable[[str, int, int], None]
EVIDENCE_REPORTS = 3


@dataclass
class DemoResult:
    out: Path
    world: WorldSummary
    ingest: IngestReport
    pyramid: PyramidSummary
    rings: RingsSummary
    credit: CreditSummary
    provenance: ProvenanceSummary | None
    scores: list[Score]
    report: Path
    seconds: dict[str, float] = field(default_factory=dict)
    compare: CompareSummary | None = None
    tally: PyramidTally | None = None
    evidence: list[tuple[str, str]] = field(default_factory=list)
    """(what, path relative to ``out``) of every evidence report written."""
    reused_world: bool = False
    """The case folder of an earlier run was reused (same seed, size and generator; see
    ``_world_cache``)."""


def run_demo(
    out: Path, *, members: int = 20_000, seed: int = 42, media: bool = True, progress: Progress | None = None
) -> DemoResult:
    """Everything a new user should see first, in one folder: case/, sentinella.duckdb, report.html."""
    report = (lambda stage, done, total: None) if progress is None else progress
    seconds: dict[str, float] = {}
    clock = time.perf_counter()
    out.mkdir(parents=True, exist_ok=True)
    case, db = out / "case", out / "sentinella.duckdb"
    stamp = out / "cache" / STAMP
    world = reusable_world(case, stamp, members=members, seed=seed, media=media)
    reused = world is not None
    if world is None:
        stamp.unlink(missing_ok=True)
        world = generate_world(case, members=members, seed=seed, media=media, progress=report)
        remember_world(case, stamp, world, members=members, seed=seed, media=media)
    seconds["generate"], clock = time.perf_counter() - clock, time.perf_counter()
    for stale in (db, db.with_name(db.name + ".wal")):
        stale.unlink(missing_ok=True)
    with Store.open(db) as store:
        ingested = ingest_case(store, case, progress=lambda t, d, n: report(f"ingest {t}", d, n))
        seconds["ingest"], clock = time.perf_counter() - clock, time.perf_counter()
        pyramid = run_pyramid(store.backend, progress=report)
        seconds["pyramid"], clock = time.perf_counter() - clock, time.perf_counter()
        rings = run_rings(store.backend, progress=report)
        seconds["rings"], clock = time.perf_counter() - clock, time.perf_counter()
        # after rings: brushing orders are removed from credit
        credit = run_credit(store.backend, progress=report)
        seconds["credit"], clock = time.perf_counter() - clock, time.perf_counter()
        report("compare", 0, 1)
        compared = run_compare(store.backend)  # after credit: offers are ranked by credit
        report("compare", 1, 1)
        seconds["compare"], clock = time.perf_counter() - clock, time.perf_counter()
        provenance = None
        if media:
            provenance = run_provenance(store.backend, case, progress=report, cache=out / "cache")
            seconds["provenance"], clock = time.perf_counter() - clock, time.perf_counter()
        report("risk", 0, 1)
        run_risk(store.backend)  # every analysis's findings as one score per member and merchant
        report("risk", 1, 1)
        report("report: found vs planted", 0, 2)
        scores = score_all(store.backend, case / "truth")
        tally = pyramid_tally(store.backend, case / "truth")
        report("report: evidence reports", 1, 2)
        evidence = _evidence_reports(store, out / "evidence", str(db))
        report("report", 2, 2)
        html = _render(world, ingested, pyramid, rings, credit, scores, evidence, out, tally)
    target = out / "report.html"
    target.write_text(html, encoding="utf-8")
    seconds["report"] = time.perf_counter() - clock
    return DemoResult(
        out,
        world,
        ingested,
        pyramid,
        rings,
        credit,
        provenance,
        scores,
        target,
        seconds,
        compared,
        tally,
        evidence,
        reused,
    )


def _evidence_reports(store: Store, folder: Path, db: str) -> list[tuple[str, str]]:
    """Evidence reports as an investigator would file them: the largest pyramids, the merchant
    with the highest risk and the strongest brushing ring (each HTML with its CSV files)."""
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    written = []
    networks = store.backend.rows(
        "SELECT network_id FROM pyramid_networks WHERE is_pyramid ORDER BY persons DESC, members DESC, "
        "network_id LIMIT ?",
        [EVIDENCE_REPORTS],
        step="demo: largest pyramids",
    )
    for network_id in (str(row["network_id"]) for row in networks):
        name = f"network-{network_id}"
        report = pyramid_report(store.backend, network_id, store_path=db, stem=name, out_name=f"{name}.html")
        write_report(report, folder / f"{name}.html")
        written.append((f"network {network_id}", f"evidence/{name}.html"))
    if store.backend.table_exists("risk_scores"):
        top = store.backend.rows(
            "SELECT subject_id FROM risk_scores WHERE subject_kind = ? "
            "ORDER BY score DESC, subject_id LIMIT 1",
            ["merchant"],
            step="demo: highest-risk merchant",
        )
        if top:
            merchant_id = str(top[0]["subject_id"])
            name = f"merchant-{merchant_id}"
            report = merchant_report(store.backend, merchant_id, store_path=db, out_name=f"{name}.html")
            write_report(report, folder / f"{name}.html")
            written.append((f"merchant {merchant_id} (highest risk)", f"evidence/{name}.html"))
    if store.backend.table_exists("ring_groups"):
        ring = store.backend.rows(
            "SELECT ring_id FROM ring_groups ORDER BY score DESC, ring_id LIMIT 1",
            step="demo: strongest ring",
        )
        if ring:
            ring_id = str(ring[0]["ring_id"])
            name = f"ring-{ring_id}"
            report = ring_report(store.backend, ring_id, store_path=db, stem=name, out_name=f"{name}.html")
            write_report(report, folder / f"{name}.html")
            written.append((f"brushing ring {ring_id} (strongest)", f"evidence/{name}.html"))
    return written


def _render(
    world: WorldSummary,
    ingested: IngestReport,
    pyramid: PyramidSummary,
    rings: RingsSummary,
    credit: CreditSummary,
    scores: list[Score],
    evidence: list[tuple[str, str]],
    out: Path,
    tally: PyramidTally | None,
) -> str:
    environment = Environment(
        loader=PackageLoader("sentinella.demo", "templates"), autoescape=select_autoescape()
    )
    return environment.get_template("demo.html").render(
        world=world,
        ingest=ingested,
        pyramid=pyramid,
        rings=rings,
        credit=credit,
        scores=scores,
        evidence=evidence,
        tally=tally,
        out=out,
        version=__version__,
        generated=dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
    )
