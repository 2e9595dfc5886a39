"""What provenance reads from the store: media with their merchant and post, claimed places.

Media are joined to the listing or post they belong to (``ref_id``) and to a merchant: the
listing's merchant, else the first shop their owner runs. Tables other than ``media`` are
optional; without them the checks that need them are skipped and the summary says so.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from sentinella.engine import Backend, Dialect
from sentinella.geo import geocode

from ._errors import MissingTableError


@dataclass
class MediaRows:
    """The media table as columns, in media_id order."""

    media_id: list[str]
    path: list[str | None]
    owner_id: list[str | None]
    context: list[str | None]
    ref_id: list[str | None]
    merchant_id: list[str | None]
    uploaded_us: npt.NDArray[np.float64]  # NaN when unknown
    post_us: npt.NDArray[np.float64]  # the post the photo belongs to, NaN when none
    claim_key: list[str | None]  # geo place key of the post's claimed place
    claim_lat: npt.NDArray[np.float64]
    claim_lon: npt.NDArray[np.float64]


def require_media(backend: Backend) -> None:
    if not backend.has_rows("media"):
        raise MissingTableError(
            "provenance needs the media table (media_id, path, ...) and this store has no media rows: "
            "ingest a case with media first"
        )


def _epoch_us(column: str, dialect: Dialect) -> str:
    """Microseconds as DOUBLE, whole milliseconds (what the checks compare)."""
    return f"CAST({dialect.epoch_us(column)} // 1000 AS DOUBLE) * 1000"


def claimed_places(values: list[Any]) -> dict[str, tuple[str, float, float]]:
    """Each distinct claimed place geocoded once (key, lat, lon); unknown places are left out."""
    out: dict[str, tuple[str, float, float]] = {}
    for value in {str(v) for v in values if v}:
        place = geocode(value)
        if place is not None:
            out[value] = (place.key, place.lat, place.lon)
    return out


def read_media(backend: Backend) -> MediaRows:
    have = {name: backend.table_exists(name) for name in ("listings", "posts", "merchants")}
    joins, merchant, post_time, claim = (
        [],
        "CAST(NULL AS VARCHAR)",
        "CAST(NULL AS DOUBLE)",
        "CAST(NULL AS VARCHAR)",
    )
    if have["listings"]:
        joins.append("LEFT JOIN listings l ON l.listing_id = m.ref_id")
        merchant = "l.merchant_id"
    if have["merchants"]:
        joins.append(
            "LEFT JOIN (SELECT member_id, min(merchant_id) AS merchant_id FROM merchants GROUP BY member_id) "
            "mo ON mo.member_id = m.owner_id"
        )
        merchant = f"coalesce({merchant}, mo.merchant_id)"
    if have["posts"]:
        joins.append("LEFT JOIN posts p ON p.post_id = m.ref_id")
        post_time, claim = _epoch_us("p.posted_at", backend.dialect), "p.claimed_place"
    table = backend.query(
        f"SELECT m.media_id, m.path, m.owner_id, m.context, m.ref_id, {merchant} AS merchant_id, "
        f"{_epoch_us('m.uploaded_at', backend.dialect)} AS uploaded_us, {post_time} AS post_us, "
        f"{claim} AS claim "
        f"FROM media m {' '.join(joins)} ORDER BY m.media_id",
        step="provenance: media",
    )
    claims = table.column("claim").to_pylist()
    places = claimed_places(claims)
    located = [places.get(str(c)) if c else None for c in claims]
    return MediaRows(
        media_id=[str(v) for v in table.column("media_id").to_pylist()],
        path=table.column("path").to_pylist(),
        owner_id=table.column("owner_id").to_pylist(),
        context=table.column("context").to_pylist(),
        ref_id=table.column("ref_id").to_pylist(),
        merchant_id=table.column("merchant_id").to_pylist(),
        uploaded_us=_floats(table.column("uploaded_us")),
        post_us=_floats(table.column("post_us")),
        claim_key=[p[0] if p else None for p in located],
        claim_lat=np.array([p[1] if p else np.nan for p in located], dtype=np.float64),
        claim_lon=np.array([p[2] if p else np.nan for p in located], dtype=np.float64),
    )


def _floats(column: pa.ChunkedArray) -> npt.NDArray[np.float64]:
    return np.asarray(column.to_numpy(zero_copy_only=False), dtype=np.float64)


@dataclass
class PostRows:
    """Posts with a claimed place the gazetteer knows, per member in time order."""

    post_id: list[str]
    member_id: list[str]
    time_us: npt.NDArray[np.float64]
    place_key: list[str]
    lat: npt.NDArray[np.float64]
    lon: npt.NDArray[np.float64]


def read_claims(backend: Backend) -> PostRows | None:
    if not backend.table_exists("posts"):
        return None
    table = backend.query(
        f"SELECT post_id, member_id, {_epoch_us('posted_at', backend.dialect)} AS t, claimed_place "
        "FROM posts "
        "WHERE claimed_place IS NOT NULL AND posted_at IS NOT NULL ORDER BY member_id, posted_at, post_id",
        step="provenance: claims",
    )
    claims = table.column("claimed_place").to_pylist()
    places = claimed_places(claims)
    keep = np.array([str(c) in places for c in claims], dtype=bool)
    located = [places[str(c)] for c, k in zip(claims, keep, strict=True) if k]
    return PostRows(
        post_id=[str(v) for v, k in zip(table.column("post_id").to_pylist(), keep, strict=True) if k],
        member_id=[str(v) for v, k in zip(table.column("member_id").to_pylist(), keep, strict=True) if k],
        time_us=_floats(table.column("t"))[keep],
        place_key=[p[0] for p in located],
        lat=np.array([p[1] for p in located], dtype=np.float64),
        lon=np.array([p[2] for p in located], dtype=np.float64),
    )
