"""The checks: each turns figures into findings that carry those figures and a sentence.

Pure functions over columns (numpy arrays and lists): EXIF against the post's claim and times,
a member's consecutive claimed places, and clusters of the same picture across merchants.
Missing EXIF is never a finding: chat apps strip it from honest photos.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import numpy as np
import numpy.typing as npt

from sentinella.geo import haversine_km

from ._config import ProvenanceConfig
from ._inputs import MediaRows, PostRows
from ._media import MediaResult

EDITORS = re.compile(
    r"photoshop|lightroom|gimp|picsart|pixelmator|affinity photo|paint\.net|paintshop|photopea|"
    r"canva|fotor|photoscape|luminar|corel",
    re.IGNORECASE,
)
"""Desktop and web editors. Beauty and filter apps (Meitu, Snapseed, VSCO...) are not on it:
honest sellers use them on their own photos every day."""

PROVENANCE_CONTEXTS = ("origin", "receipt", "delivery")
US_PER_MINUTE = 60_000_000


@dataclass
class Finding:
    subject_kind: str  # media | post | listing
    subject_id: str
    merchant_id: str | None
    member_id: str | None
    kind: str
    strength: str  # strong | moderate
    figures: dict[str, Any]
    evidence: list[str] = field(default_factory=list)
    explanation: str = ""


def _us(moment: datetime | None) -> float:
    if moment is None:
        return float("nan")
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp() * 1e6


def _iso(us: float) -> str:
    return datetime.fromtimestamp(us / 1e6, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def exif_findings(rows: MediaRows, results: list[MediaResult], cfg: ProvenanceConfig) -> list[Finding]:
    """GPS far from the claimed place, editing software, capture vs GPS vs post time."""
    n = len(rows.media_id)
    lat = np.array([r.exif.gps_lat if r.exif.gps_lat is not None else np.nan for r in results])
    lon = np.array([r.exif.gps_lon if r.exif.gps_lon is not None else np.nan for r in results])
    taken = np.array([_us(r.exif.taken_utc) for r in results])
    local = np.array([_us(r.exif.taken_local) for r in results])  # wall clock read as if UTC
    gps_time = np.array([_us(r.exif.gps_time) for r in results])
    out: list[Finding] = []

    def add(k: int, kind: str, strength: str, figures: dict[str, Any], text: str) -> None:
        out.append(
            Finding(
                "media",
                rows.media_id[k],
                rows.merchant_id[k],
                rows.owner_id[k],
                kind,
                strength,
                {"context": rows.context[k], **figures},
                [rows.media_id[k]],
                text,
            )
        )

    with np.errstate(invalid="ignore"):
        km = haversine_km(lat, lon, rows.claim_lat, rows.claim_lon)
    for k in np.flatnonzero(km > cfg.gps_far_km).tolist():
        add(
            int(k),
            "gps_far_from_claim",
            "strong",
            {
                "claimed_place": rows.claim_key[k],
                "post_id": rows.ref_id[k],
                "gps_lat": float(lat[k]),
                "gps_lon": float(lon[k]),
                "km": round(float(km[k]), 1),
            },
            f"the photo's GPS is {km[k]:,.0f} km from {rows.claim_key[k]}, the place its post claims",
        )

    for k in range(n):
        software = results[k].exif.software
        if software and EDITORS.search(software):
            where = rows.context[k] or "unknown"
            add(
                k,
                "editing_software",
                "strong" if where in PROVENANCE_CONTEXTS else "moderate",
                {"software": software},
                f"EXIF Software says the file was saved by {software}; for a {where} photo that is an "
                "edited picture, not a camera original (editing alone does not prove a fake)",
            )

    # Capture time (with its offset) against the GPS clock; without an offset only a gap no
    # time zone explains (more than 14 h) counts.
    limit = cfg.time_mismatch_minutes * US_PER_MINUTE
    with np.errstate(invalid="ignore"):
        gap = np.where(
            np.isfinite(taken), np.abs(taken - gps_time), np.abs(local - gps_time) - 14 * 60 * US_PER_MINUTE
        )
    for k in np.flatnonzero(gap > limit).tolist():
        hours = (taken[k] if np.isfinite(taken[k]) else local[k]) - gps_time[k]
        add(
            int(k),
            "capture_gps_time_mismatch",
            "strong",
            {
                "capture_utc": _iso(taken[k]) if np.isfinite(taken[k]) else None,
                "capture_local": _iso(local[k]).rstrip("Z"),
                "gps_time_utc": _iso(gps_time[k]),
                "hours_apart": round(float(hours) / 3.6e9, 2),
            },
            f"the capture time and the GPS time are {abs(hours) / 3.6e9:.1f} h apart: one was rewritten",
        )

    # Capture time against the post or upload it belongs to.
    when = np.where(np.isfinite(rows.post_us), rows.post_us, rows.uploaded_us)
    earliest = np.where(np.isfinite(taken), taken, local - 14 * 60 * US_PER_MINUTE)
    latest = np.where(np.isfinite(taken), taken, local + 14 * 60 * US_PER_MINUTE)
    with np.errstate(invalid="ignore"):
        after = earliest - when > cfg.taken_after_upload_minutes * US_PER_MINUTE
        origin = np.array([c == "origin" for c in rows.context], dtype=bool)
        before = origin & (when - latest > cfg.origin_taken_before_days * 24 * 60 * US_PER_MINUTE)
    for k in np.flatnonzero(after).tolist():
        add(
            int(k),
            "taken_after_posted",
            "strong",
            {
                "capture": _iso(earliest[k]),
                "posted": _iso(when[k]),
                "hours": round((earliest[k] - when[k]) / 3.6e9, 2),
            },
            "the photo was taken after it was posted: its capture time was rewritten",
        )
    for k in np.flatnonzero(before).tolist():
        days = (when[k] - latest[k]) / 8.64e10
        add(
            int(k),
            "origin_photo_old",
            "moderate",
            {"capture": _iso(latest[k]), "posted": _iso(when[k]), "days": round(float(days), 1)},
            f"the 'origin' photo was taken {days:.0f} days before the post that presents it as from the trip",
        )
    return out


def travel_findings(posts: PostRows | None, cfg: ProvenanceConfig) -> list[Finding]:
    """A member's consecutive claimed places that no airliner could link."""
    if posts is None or len(posts.post_id) < 2:
        return []
    member = np.array(posts.member_id, dtype=object)
    same = member[1:] == member[:-1]
    km = haversine_km(posts.lat[:-1], posts.lon[:-1], posts.lat[1:], posts.lon[1:])
    hours = (posts.time_us[1:] - posts.time_us[:-1]) / 3.6e9
    with np.errstate(divide="ignore", invalid="ignore"):
        speed = np.where(hours > 0, km / hours, np.inf)
    bad = np.flatnonzero(same & (km > cfg.travel_min_km) & (speed > cfg.travel_max_kmh))
    out = []
    for k in bad.tolist():
        a, b = k, k + 1
        out.append(
            Finding(
                "post",
                posts.post_id[b],
                None,
                posts.member_id[b],
                "impossible_travel",
                "strong",
                {
                    "previous_post": posts.post_id[a],
                    "from": posts.place_key[a],
                    "to": posts.place_key[b],
                    "km": round(float(km[k]), 1),
                    "hours": round(float(hours[k]), 2),
                    "kmh": None if not np.isfinite(speed[k]) else round(float(speed[k])),
                },
                [],
                f"claims {posts.place_key[b]} {hours[k]:.1f} h after claiming {posts.place_key[a]}, "
                f"{km[k]:,.0f} km away: faster than {cfg.travel_max_kmh:,.0f} km/h",
            )
        )
    return out


def cluster_findings(
    rows: MediaRows,
    results: list[MediaResult],
    cluster: npt.NDArray[np.int64],
    best_distance: dict[int, int],
) -> tuple[list[Finding], npt.NDArray[np.bool_]]:
    """Pictures shared by several merchants: reused receipts, parcels and origin photos, and
    copied listing photos. The copy is attributed away from the likely source: the largest
    picture (a copy is rarely enlarged), then the shop sharing pictures with the fewest other
    shops, then a picture with camera EXIF and no editor, then the earliest upload."""
    n = len(rows.media_id)
    who = [rows.merchant_id[k] or rows.owner_id[k] or f"?{k}" for k in range(n)]
    members: dict[int, list[int]] = {}
    for k in np.flatnonzero(cluster >= 0).tolist():
        members.setdefault(int(cluster[k]), []).append(k)
    source = np.zeros(n, dtype=bool)
    out: list[Finding] = []
    shared = {cid: ks for cid, ks in sorted(members.items()) if len({who[k] for k in ks}) >= 2}
    # A shop that copies takes from many shops; one that is copied from rarely shares many pictures.
    sharing: dict[str, int] = {}
    for ks in shared.values():
        for shop in {who[k] for k in ks}:
            sharing[shop] = sharing.get(shop, 0) + 1

    def rank(k: int) -> tuple[float, int, int, float, str]:
        r = results[k]
        area = float((r.width or 0) * (r.height or 0))
        camera = int(bool(r.exif.make) and not (r.exif.software and EDITORS.search(r.exif.software)))
        upload = rows.uploaded_us[k]
        return (-area, sharing[who[k]], -camera, upload if np.isfinite(upload) else np.inf, rows.media_id[k])

    for cid, ks in shared.items():
        shops = sorted({who[k] for k in ks})
        evidence = [rows.media_id[k] for k in ks]

        first = min(ks, key=rank)
        source[first] = True
        for k in ks:
            context = rows.context[k] or "unknown"
            figures = {
                "cluster_id": rows.media_id[cid],
                "merchants": len(shops),
                "pictures": len(ks),
                "pdq_distance": best_distance.get(k),
                "context": context,
            }
            if context in PROVENANCE_CONTEXTS:
                out.append(
                    Finding(
                        "media",
                        rows.media_id[k],
                        rows.merchant_id[k],
                        rows.owner_id[k],
                        "reused_photo",
                        "strong",
                        figures,
                        evidence,
                        f"the same {context} photo is used by {len(shops)} shops",
                    )
                )
            elif who[k] != who[first]:
                figures |= {"likely_source": rows.media_id[first], "source_merchant": who[first]}
                out.append(
                    Finding(
                        "media",
                        rows.media_id[k],
                        rows.merchant_id[k],
                        rows.owner_id[k],
                        "copied_photo",
                        "strong",
                        figures,
                        evidence,
                        f"a near-copy of {rows.media_id[first]}, a photo of {who[first]} "
                        f"(the same picture is used by {len(shops)} shops)",
                    )
                )
    return out, source
