"""Provenance end to end: store + case folder → hashes, EXIF, clusters, findings → result tables."""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from sentinella._timing import lap
from sentinella.engine import Backend

from ._checks import Finding, cluster_findings, exif_findings, travel_findings
from ._config import ProvenanceConfig
from ._errors import CaseFolderError
from ._hashes import dihedral_thumbs, to_hex
from ._index import colour_distance, components, near_pairs
from ._inputs import MediaRows, read_claims, read_media, require_media
from ._media import MediaResult, process_all
from ._prices import PRICES, price_findings_sql

RESULT_TABLES = ("media_hashes", "media_exif", "image_clusters", "provenance_findings")
# what it reads: media always; the others when the store has them
INPUT_TABLES = ("media", "listings", "merchants", "posts", "product_clusters")
Progress = Callable[[str, int, int], None]


@dataclass
class ProvenanceSummary:
    """What a run produced, for the CLI and the demo."""

    media: int
    hashed: int
    statuses: dict[str, int]
    with_exif: int
    with_gps: int
    exif_notes: int
    clusters: int
    shared_clusters: int  # clusters spanning two or more merchants
    findings: dict[str, int]
    flagged_merchants: int
    skipped: list[str]
    seconds: float
    timings: dict[str, float] = field(default_factory=dict)


def run_provenance(
    backend: Backend,
    case_dir: Path | str,
    *,
    config: ProvenanceConfig | None = None,
    progress: Progress | None = None,
    cache: Path | None = None,
) -> ProvenanceSummary:
    """Hash and read every image of ``media`` (files under ``case_dir``), cluster the same
    picture across merchants, run the EXIF, travel and price checks; replace the result tables.
    ``cache``: a folder keeping hashes and EXIF by file content, so a re-run decodes only new
    files."""
    cfg = config or ProvenanceConfig()
    started = clock = time.perf_counter()
    timings: dict[str, float] = {}
    case = Path(case_dir)
    if not case.is_dir():
        raise CaseFolderError(f"case folder {str(case)!r} does not exist or is not a folder")
    require_media(backend)
    rows = read_media(backend)
    clock = lap(timings, "inputs", clock)
    report = progress or (lambda stage, done, total: None)
    results = process_all(
        case, rows.path, cfg, lambda done, total: report("provenance images", done, total), cache
    )
    clock = lap(timings, "decode and hash", clock)
    cluster, best = _cluster(results, cfg)
    clock = lap(timings, "clusters", clock)
    skipped: list[str] = []
    findings = exif_findings(rows, results, cfg)
    posts = read_claims(backend)
    if posts is None:
        skipped.append("impossible travel (no posts table)")
    findings += travel_findings(posts, cfg)
    shared, source = cluster_findings(rows, results, cluster, best)
    findings += shared
    price_sql = price_findings_sql(backend, cfg)
    if price_sql is None:
        skipped.append("prices (no listings table)")
    else:
        findings += _price_findings(backend.query(price_sql, step="provenance: price check").to_pylist())
    clock = lap(timings, "checks", clock)
    with backend.transaction("provenance: write"):
        backend.write_table("media_hashes", _hashes_table(rows, results))
        backend.write_table("media_exif", _exif_table(rows, results))
        backend.write_table("image_clusters", _clusters_table(rows, cluster, source, best))
        _write_findings(backend, findings)
        backend.execute(f"DROP TABLE IF EXISTS {PRICES}", step="provenance: clean up")
        flagged = int(str(backend.scalar("SELECT count(DISTINCT merchant_id) FROM provenance_findings") or 0))
    lap(timings, "write", clock)
    statuses = Counter(r.status for r in results)
    by_cluster = Counter(int(c) for c in cluster if c >= 0)
    shared_ids = {f.figures["cluster_id"] for f in shared}
    return ProvenanceSummary(
        media=len(results),
        hashed=statuses.get("ok", 0),
        statuses=dict(sorted(statuses.items())),
        with_exif=sum(r.exif.has_exif for r in results),
        with_gps=sum(r.exif.gps_lat is not None for r in results),
        exif_notes=sum(bool(r.exif.notes) for r in results),
        clusters=len(by_cluster),
        shared_clusters=len(shared_ids),
        findings=dict(sorted(Counter(f.kind for f in findings).items())),
        flagged_merchants=flagged,
        skipped=skipped,
        seconds=round(time.perf_counter() - started, 3),
        timings=timings,
    )


def _cluster(
    results: list[MediaResult], cfg: ProvenanceConfig
) -> tuple[npt.NDArray[np.int64], dict[int, int]]:
    """Each picture's cluster (the smallest row index in it; -1 alone or unreadable) and, for
    clustered pictures, the PDQ distance to their nearest accepted match."""
    n = len(results)
    cluster = np.full(n, -1, dtype=np.int64)
    ok = [k for k, r in enumerate(results) if r.pdq is not None]
    if len(ok) < 2:
        return cluster, {}
    pdq = np.stack([results[k].pdq for k in ok])  # type: ignore[misc]
    phash = np.stack([results[k].phash for k in ok])  # type: ignore[misc]
    thumbs = np.stack([results[k].thumb for k in ok])  # type: ignore[misc]
    pairs = near_pairs(pdq, phash, match=cfg.pdq_match, near=cfg.pdq_near, phash_near=cfg.phash_near)
    # Both hashes see brightness only: the coarse colours must agree too (a copy keeps them).
    variants = np.stack([dihedral_thumbs(t) for t in thumbs])
    i, j = pairs[:, 0], pairs[:, 1]
    colour = np.minimum(colour_distance(thumbs, variants, i, j), colour_distance(thumbs, variants, j, i))
    accept = colour <= cfg.colour_near
    linked = pairs[accept]
    roots = components(len(ok), linked[:, 0], linked[:, 1])
    sizes = np.bincount(roots, minlength=len(ok))
    index = np.asarray(ok, dtype=np.int64)
    grouped = sizes[roots] >= 2
    cluster[index[grouped]] = index[roots[grouped]]
    best: dict[int, int] = {}
    for a, b, d in zip(
        index[linked[:, 0]].tolist(), index[linked[:, 1]].tolist(), linked[:, 2].tolist(), strict=True
    ):
        for k in (a, b):
            best[k] = min(best.get(k, 256), int(d))
    return cluster, best


def _price_findings(rows: list[dict[str, Any]]) -> list[Finding]:
    out = []
    for r in rows:
        below = 1.0 - float(r["ratio"])
        note = " (its title says sale or second-hand, which explains some of it)" if r["explained"] else ""
        median = r["reference"] == "median"
        reference = (
            f"a median of ¥{r['market_cny']:,.2f} at {r['peers']} other merchants"
            if median
            else f"¥{r['market_cny']:,.2f} at the one other merchant listing it"
        )
        out.append(
            Finding(
                "listing",
                str(r["listing_id"]),
                r["merchant_id"],
                None,
                "price_far_below",
                "moderate" if r["explained"] or not median else "strong",
                {
                    "price_cny": r["price_cny"],
                    "market_cny": r["market_cny"],
                    "ratio": r["ratio"],
                    "below": round(below, 3),
                    "peers": r["peers"],
                    "reference": r["reference"],
                    "product": r["key"],
                    "brand": r["brand"],
                    "explained_by_title": bool(r["explained"]),
                },
                [],
                f"priced {below:.0%} below the market price of {r['brand']} {r['key'].split(':', 1)[1]} "
                f"(¥{r['price_cny']:,.2f} vs {reference}){note}",
            )
        )
    return out


def _hashes_table(rows: MediaRows, results: list[MediaResult]) -> pa.Table:
    def hexes(get: Callable[[MediaResult], Any]) -> pa.Array:
        return pa.array([None if get(r) is None else to_hex(get(r)) for r in results], pa.string())

    return pa.table(
        {
            "media_id": pa.array(rows.media_id, pa.string()),
            "status": pa.array([r.status for r in results], pa.string()),
            "note": pa.array([r.note or None for r in results], pa.string()),
            "format": pa.array([r.format for r in results], pa.string()),
            "width": pa.array([r.width for r in results], pa.int32()),
            "height": pa.array([r.height for r in results], pa.int32()),
            "file_bytes": pa.array([r.file_bytes for r in results], pa.int64()),
            "pdq": hexes(lambda r: None if r.pdq is None else r.pdq[0]),
            "pdq_quality": pa.array([r.pdq_quality for r in results], pa.int16()),
            "pdq_mirror": hexes(lambda r: None if r.pdq is None else r.pdq[4]),
            "phash_centre": hexes(lambda r: None if r.phash is None else r.phash[0]),
        }
    )


def _exif_table(rows: MediaRows, results: list[MediaResult]) -> pa.Table:
    ex = [r.exif for r in results]
    ts = pa.timestamp("us", tz="UTC")
    return pa.table(
        {
            "media_id": pa.array(rows.media_id, pa.string()),
            "has_exif": pa.array([e.has_exif for e in ex], pa.bool_()),
            "taken_local": pa.array([e.taken_local for e in ex], pa.timestamp("us")),
            "utc_offset_minutes": pa.array([e.utc_offset_minutes for e in ex], pa.int16()),
            "taken_at": pa.array([e.taken_utc for e in ex], ts),
            "gps_lat": pa.array([e.gps_lat for e in ex], pa.float64()),
            "gps_lon": pa.array([e.gps_lon for e in ex], pa.float64()),
            "gps_alt": pa.array([e.gps_alt for e in ex], pa.float64()),
            "gps_time": pa.array([e.gps_time for e in ex], ts),
            "gps_dop": pa.array([e.gps_dop for e in ex], pa.float64()),
            "make": pa.array([e.make for e in ex], pa.string()),
            "model": pa.array([e.model for e in ex], pa.string()),
            "lens": pa.array([e.lens for e in ex], pa.string()),
            "software": pa.array([e.software for e in ex], pa.string()),
            "notes": pa.array(["; ".join(e.notes) or None for e in ex], pa.string()),
        }
    )


def _clusters_table(
    rows: MediaRows, cluster: npt.NDArray[np.int64], source: npt.NDArray[np.bool_], best: dict[int, int]
) -> pa.Table:
    ks = np.flatnonzero(cluster >= 0).tolist()
    return pa.table(
        {
            "cluster_id": pa.array([rows.media_id[int(cluster[k])] for k in ks], pa.string()),
            "media_id": pa.array([rows.media_id[k] for k in ks], pa.string()),
            "merchant_id": pa.array([rows.merchant_id[k] for k in ks], pa.string()),
            "owner_id": pa.array([rows.owner_id[k] for k in ks], pa.string()),
            "context": pa.array([rows.context[k] for k in ks], pa.string()),
            "pdq_distance": pa.array([best.get(k) for k in ks], pa.int16()),
            "likely_source": pa.array([bool(source[k]) for k in ks], pa.bool_()),
        }
    )


def _write_findings(backend: Backend, findings: list[Finding]) -> None:
    table = pa.table(
        {
            "subject_kind": pa.array([f.subject_kind for f in findings], pa.string()),
            "subject_id": pa.array([f.subject_id for f in findings], pa.string()),
            "merchant_id": pa.array([f.merchant_id for f in findings], pa.string()),
            "member_id": pa.array([f.member_id for f in findings], pa.string()),
            "kind": pa.array([f.kind for f in findings], pa.string()),
            "strength": pa.array([f.strength for f in findings], pa.string()),
            "figures": pa.array(
                [json.dumps(f.figures, ensure_ascii=False, sort_keys=True, default=str) for f in findings],
                pa.string(),
            ),
            "evidence_media": pa.array([f.evidence for f in findings], pa.list_(pa.string())),
            "explanation": pa.array([f.explanation for f in findings], pa.string()),
        }
    )
    backend.write_table("provenance_findings", table)
    # Posts and listings name their member or merchant: fill in the other side for every finding.
    if backend.table_exists("merchants"):
        backend.update(
            "provenance_findings",
            "(SELECT member_id, min(merchant_id) AS merchant_id FROM merchants GROUP BY member_id)",
            "member_id",
            {"merchant_id": "m.merchant_id"},
            "provenance_findings.merchant_id IS NULL",
            step="provenance: findings' merchants",
        )
        backend.update(
            "provenance_findings",
            "merchants",
            "merchant_id",
            {"member_id": "m.member_id"},
            "provenance_findings.member_id IS NULL",
            step="provenance: findings' members",
        )
