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
from sentinella.pyramid import PyramidSummary, render_report, run_pyramid
from sentinella.rings import RingsSummary, run_rings
from sentinella.risk import run_risk
from sentinella.store import IngestReport, Store, ingest_case
from sentinella.synth import WorldSummary, generate_world

from ._scoring import Score, score_all

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


def run_demo(
    out: Path, *, members: int = 20_000, seed: int = 42, media: bool = True, progress: Progress | None = None
) -> DemoResult:
    """Everything a new user should see first, in one folder: case/, sentinella.duckdb, report.html."""
    report = (lambda stage, done, total: None) if progress is None else progress
    seconds: dict[str, float] = {}
    clock = time.perf_counter()
    out.mkdir(parents=True, exist_ok=True)
    case, db = out / "case", out / "sentinella.duckdb"
    world = generate_world(case, members=members, seed=seed, media=media, progress=report)
    seconds["generate"], clock = time.perf_counter() - clock, time.perf_counter()
    for stale in (db, db.with_name(db.name + ".wal")):
        stale.unlink(missing_ok=True)
    with Store.open(db) as store:
        ingested = ingest_case(store, case, progress=lambda t, d, n: report(f"ingest {t}", d, n))
        seconds["ingest"], clock = time.perf_counter() - clock, time.perf_counter()
        report("pyramid", 0, 1)
        pyramid = run_pyramid(store.backend)
        report("pyramid", 1, 1)
        seconds["pyramid"], clock = time.perf_counter() - clock, time.perf_counter()
        report("rings", 0, 1)
        rings = run_rings(store.backend)
        report("rings", 1, 1)
        seconds["rings"], clock = time.perf_counter() - clock, time.perf_counter()
        report("credit", 0, 1)
        credit = run_credit(store.backend)  # after rings: brushing orders are removed from credit
        report("credit", 1, 1)
        seconds["credit"], clock = time.perf_counter() - clock, time.perf_counter()
        report("compare", 0, 1)
        compared = run_compare(store.backend)  # after credit: offers are ranked by credit
        report("compare", 1, 1)
        seconds["compare"], clock = time.perf_counter() - clock, time.perf_counter()
        provenance = None
        if media:
            provenance = run_provenance(store.backend, case, progress=report, cache=out / "cache")
            seconds["provenance"], clock = time.perf_counter() - clock, time.perf_counter()
        run_risk(store.backend)  # every analysis's findings as one score per member and merchant
        scores = score_all(store.backend, case / "truth")
        evidence = _evidence_reports(store, out / "evidence", str(db))
        html = _render(world, ingested, pyramid, rings, credit, scores, evidence, out)
    target = out / "report.html"
    target.write_text(html, encoding="utf-8")
    seconds["report"] = time.perf_counter() - clock
    return DemoResult(
        out, world, ingested, pyramid, rings, credit, provenance, scores, target, seconds, compared
    )


def _evidence_reports(store: Store, folder: Path, db: str) -> list[tuple[str, str]]:
    """Evidence reports for the largest pyramids, as an investigator would file them."""
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    rows = store.connection.execute(
        "SELECT network_id FROM pyramid_networks WHERE is_pyramid ORDER BY members DESC, network_id "
        f"LIMIT {EVIDENCE_REPORTS}"
    ).fetchall()
    written = []
    for (network_id,) in rows:
        path = folder / f"network-{network_id}.html"
        path.write_text(render_report(store.backend, network_id, store_path=db), encoding="utf-8")
        written.append((network_id, f"evidence/{path.name}"))
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
        out=out,
        version=__version__,
        generated=dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
    )
