"""Evidence photos as small JPEG data URIs, so a report carries its pictures inside it.

Only photos provenance already decoded safely (``media_hashes.status = 'ok'``) are opened, only
inside the case folder, and only up to a size and pixel cap: a report never decodes a file the
analysis refused.
"""

from __future__ import annotations

import base64
import io
import warnings
from collections.abc import Iterable
from pathlib import Path

from PIL import Image

from sentinella.engine import Backend

from ._core import one, rows

THUMB = 240
MAX_BYTES = 20 << 20
MAX_PIXELS = 40_000_000


def case_folder(backend: Backend, given: Path | None) -> Path | None:
    """The case folder media paths are relative to: ``given``, else the last ingest's."""
    if given is not None:
        return given
    if not backend.table_exists("ingest_runs"):
        return None
    found = one(
        backend,
        "SELECT case_dir FROM ingest_runs WHERE table_name = 'media' ORDER BY finished_at DESC LIMIT 1",
    )
    return Path(found["case_dir"]) if found and found["case_dir"] else None


def thumbnail(path: Path) -> str | None:
    """A data URI of the picture scaled to fit ``THUMB`` pixels, or None when it cannot be read."""
    try:
        if path.stat().st_size > MAX_BYTES:
            return None
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(path) as image:
                if image.width * image.height > MAX_PIXELS:
                    return None
                image.draft("RGB", (THUMB * 2, THUMB * 2))
                small = image.convert("RGB")
                small.thumbnail((THUMB, THUMB))
        buffer = io.BytesIO()
        small.save(buffer, "JPEG", quality=78)
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError, Image.DecompressionBombWarning):
        return None
    return "data:image/jpeg;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def thumbnails(backend: Backend, media_ids: Iterable[str], folder: Path | None) -> dict[str, str | None]:
    """Per media ID, its thumbnail (None: not decoded by provenance, missing, outside the case)."""
    wanted = sorted(set(media_ids))
    out: dict[str, str | None] = dict.fromkeys(wanted)
    if not wanted or folder is None or not backend.table_exists("media"):
        return out
    checked = backend.table_exists("media_hashes")
    root = folder.resolve()
    found = rows(
        backend,
        "SELECT m.media_id, m.path"
        + (
            ", h.status FROM media m LEFT JOIN media_hashes h USING (media_id)"
            if checked
            else " FROM media m"
        )
        + " WHERE m.media_id IN (SELECT unnest(?::VARCHAR[]))",
        [wanted],
    )
    for row in found:
        if checked and row.get("status") != "ok":
            continue
        path = (root / str(row["path"])).resolve()
        if not path.is_relative_to(root):
            continue
        out[str(row["media_id"])] = thumbnail(path)
    return out
