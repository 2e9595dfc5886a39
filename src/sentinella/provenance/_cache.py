"""Hashes and EXIF of files already seen, keyed by the SHA-256 of their bytes.

Running provenance again on the same pictures (the demo regenerates the same world; a case folder
grows between runs) decodes only files whose content is new. The cache is one ``.npz`` file of
plain arrays (no pickled objects) written beside nothing else in its folder; one that cannot be
read, or was written with other decoding settings, is ignored and replaced.
"""

from __future__ import annotations

import hashlib
import json
import os
import zipfile
from dataclasses import asdict
from datetime import datetime
from pathlib import Path

import numpy as np

from ._config import ProvenanceConfig
from ._exif import ExifRecord
from ._media import MAX_SIDE, MediaResult

FILE = "provenance-hashes.npz"
VERSION = 1
_TIMES = ("taken_local", "taken_utc", "gps_time")


def settings(cfg: ProvenanceConfig) -> str:
    """What the cached values depend on besides the bytes."""
    fields = {"decode_side": cfg.decode_side, "max_side": MAX_SIDE, "max_pixels": cfg.max_pixels}
    return json.dumps({"version": VERSION, **fields})


def digest(path: Path, limit: int) -> str | None:
    """SHA-256 of a regular file up to ``limit`` bytes; None when it cannot or should not be read."""
    try:
        if path.stat().st_size > limit:
            return None
        with path.open("rb") as handle:
            return hashlib.file_digest(handle, "sha256").hexdigest()
    except OSError:
        return None


def _exif_json(record: ExifRecord) -> str:
    return json.dumps(asdict(record), default=lambda value: value.isoformat())


def _exif(text: str) -> ExifRecord:
    data = json.loads(text)
    for name in _TIMES:
        if data.get(name) is not None:
            data[name] = datetime.fromisoformat(data[name])
    return ExifRecord(**data)


def load(folder: Path, cfg: ProvenanceConfig) -> dict[str, MediaResult]:
    """Cached results by digest (index -1); empty when there is no usable cache."""
    try:
        with np.load(folder / FILE, allow_pickle=False) as data:
            if str(data["settings"]) != settings(cfg):
                return {}
            keys, exif, fmt = data["digest"].tolist(), data["exif"].tolist(), data["format"].tolist()
            sizes, pdq, quality = data["sizes"], data["pdq"], data["quality"]
            phash, thumb = data["phash"], data["thumb"]
            out = {}
            for k, key in enumerate(keys):
                out[str(key)] = MediaResult(
                    -1,
                    "ok",
                    file_bytes=int(sizes[k, 0]),
                    format=str(fmt[k]) or None,
                    width=int(sizes[k, 1]),
                    height=int(sizes[k, 2]),
                    pdq=pdq[k],
                    pdq_quality=int(quality[k]),
                    phash=phash[k],
                    thumb=thumb[k],
                    exif=_exif(str(exif[k])),
                )
            return out
    except (OSError, KeyError, ValueError, TypeError, IndexError, zipfile.BadZipFile, json.JSONDecodeError):
        return {}


def save(folder: Path, cfg: ProvenanceConfig, entries: dict[str, MediaResult]) -> None:
    """Write the cache (every ``ok`` entry) atomically: a crash leaves the old file or the new."""
    ok = [(key, r) for key, r in entries.items() if r.status == "ok" and r.pdq is not None]
    folder.mkdir(parents=True, exist_ok=True)
    partial = folder / (FILE + ".partial")
    with partial.open("wb") as handle:
        np.savez(
            handle,
            settings=np.array(settings(cfg)),
            digest=np.array([key for key, _ in ok], dtype=str),
            exif=np.array([_exif_json(r.exif) for _, r in ok], dtype=str),
            format=np.array([r.format or "" for _, r in ok], dtype=str),
            sizes=np.array([(r.file_bytes, r.width, r.height) for _, r in ok], dtype=np.int64).reshape(-1, 3),
            pdq=np.array([r.pdq for _, r in ok], dtype=np.uint64).reshape(-1, 8, 4),
            quality=np.array([r.pdq_quality for _, r in ok], dtype=np.int64),
            phash=np.array([r.phash for _, r in ok], dtype=np.uint64).reshape(-1, 2, 1),
            thumb=np.array([r.thumb for _, r in ok], dtype=np.uint8).reshape(-1, 8, 8, 3),
        )
    os.replace(partial, folder / FILE)
