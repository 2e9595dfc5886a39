"""Reuse the demo's generated world when nothing that made it has changed.

Painting the world's photos is most of a demo run's time, and a second run with the same seed
and size would paint the same bytes again (a world is a pure function of its arguments and the
generator's code). So the demo keeps a stamp beside its case folder: the arguments, a fingerprint
of the generator's code (every file of the packages it is made from), and the size and
modification time of every file in the case. A later run whose stamp matches in full reuses the
case; anything else (another seed, a newer generator, a file touched, added or removed)
generates it again.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from pathlib import Path
from typing import Any

import sentinella
from sentinella.synth import WorldSummary

STAMP = "world-stamp.json"
# the packages a world is made from (synth/ imports these)
_GENERATOR = ("synth", "geo", "contract", "money.py", "errors.py")


def generator_fingerprint() -> str:
    """SHA-256 of the generator's code and data files, and the package version."""
    root = Path(sentinella.__file__).parent
    digest = hashlib.sha256(sentinella.__version__.encode())
    for name in _GENERATOR:
        base = root / name
        files = sorted(p for p in base.rglob("*") if p.is_file()) if base.is_dir() else [base]
        for path in files:
            if path.suffix in (".py", ".json", ".toml", ".csv", ".txt"):
                digest.update(str(path.relative_to(root)).encode())
                digest.update(path.read_bytes())
    return digest.hexdigest()


def _files(case: Path) -> dict[str, list[int]]:
    """Every file of the case with its size and modification time (a stat each, no reading)."""
    found: dict[str, list[int]] = {}
    for path in sorted(case.rglob("*")):
        if path.is_file():
            info = path.stat()
            found[str(path.relative_to(case))] = [info.st_size, info.st_mtime_ns]
    return found


def _arguments(members: int, seed: int, media: bool) -> dict[str, Any]:
    return {"members": members, "seed": seed, "media": media, "generator": generator_fingerprint()}


def reusable_world(case: Path, stamp: Path, *, members: int, seed: int, media: bool) -> WorldSummary | None:
    """The summary of the world in ``case`` if the stamp says it is exactly what these arguments
    would generate; otherwise None."""
    try:
        recorded = json.loads(stamp.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(recorded, dict) or recorded.get("arguments") != _arguments(members, seed, media):
        return None
    if recorded.get("files") != _files(case):
        return None
    summary = dict(recorded["summary"])
    summary["out"] = case
    summary["seconds"] = 0.0
    return WorldSummary(**summary)


def remember_world(
    case: Path, stamp: Path, world: WorldSummary, *, members: int, seed: int, media: bool
) -> None:
    """Write the stamp of a world just generated into ``case``."""
    summary = dataclasses.asdict(world)
    summary.pop("out")
    summary.pop("seconds")
    stamp.parent.mkdir(parents=True, exist_ok=True)
    record = {"arguments": _arguments(members, seed, media), "files": _files(case), "summary": summary}
    stamp.write_text(json.dumps(record), encoding="utf-8")
