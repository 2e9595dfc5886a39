"""The content cache: a re-run decodes only new bytes and gives the same hashes and EXIF."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import numpy as np
import pytest

from sentinella.provenance import ProvenanceConfig, _media
from sentinella.provenance._cache import FILE
from sentinella.synth._images import ExifSpec, encode_jpeg, render_street

CFG = ProvenanceConfig(workers=1)


def _pictures(folder: Path) -> list[str]:
    spec = ExifSpec("Apple", "iPhone 14", datetime(2025, 5, 1, 14), 2.0, gps=(45.46, 9.19))
    names = []
    for k in range(3):
        (folder / f"p{k}.jpg").write_bytes(encode_jpeg(render_street(k, k, f"SHOP {k}"), spec if k else None))
        names.append(f"p{k}.jpg")
    (folder / "junk.jpg").write_bytes(b"not a picture")
    return [*names, "junk.jpg", "absent.jpg"]


def _decoded(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    seen: list[str] = []
    real = _media._process

    def counting(index: int, path: Path, cfg: ProvenanceConfig) -> _media.MediaResult:
        seen.append(path.name)
        return real(index, path, cfg)

    monkeypatch.setattr(_media, "_process", counting)
    return seen


def test_a_rerun_decodes_only_new_content(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    names = _pictures(tmp_path)
    cache = tmp_path / "cache"
    first = _media.process_all(tmp_path, names, CFG, cache=cache)
    assert [r.status for r in first] == ["ok", "ok", "ok", "not_an_image", "missing"]
    decoded = _decoded(monkeypatch)
    again = _media.process_all(tmp_path, names, CFG, cache=cache)
    assert decoded == ["junk.jpg"]  # only what is not cached (a non-image is not)
    for a, b in zip(first, again, strict=True):
        assert (a.index, a.status, a.width, a.exif) == (b.index, b.status, b.width, b.exif)
        if a.pdq is not None:
            assert np.array_equal(a.pdq, b.pdq) and np.array_equal(a.phash, b.phash)
            assert np.array_equal(a.thumb, b.thumb) and a.pdq_quality == b.pdq_quality
    assert again[1].exif.taken_utc is not None and again[1].exif.gps_lat == pytest.approx(45.46)
    # new bytes under an old name are decoded again
    (tmp_path / "p1.jpg").write_bytes(encode_jpeg(render_street(9, 9, "OTHER"), None))
    decoded.clear()
    changed = _media.process_all(tmp_path, names, CFG, cache=cache)
    assert decoded == ["p1.jpg", "junk.jpg"] and not changed[1].exif.has_exif


def test_an_unreadable_cache_is_ignored_and_replaced(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    names = _pictures(tmp_path)
    cache = tmp_path / "cache"
    cache.mkdir()
    (cache / FILE).write_bytes(b"PK\x03\x04 broken")
    first = _media.process_all(tmp_path, names, CFG, cache=cache)
    assert [r.status for r in first][:3] == ["ok", "ok", "ok"]
    decoded = _decoded(monkeypatch)
    _media.process_all(tmp_path, names, CFG, cache=cache)
    assert decoded == ["junk.jpg"]
    decoded.clear()
    _media.process_all(tmp_path, names, ProvenanceConfig(workers=1, decode_side=64), cache=cache)
    assert len(decoded) == 4  # other decoding settings: nothing cached counts
