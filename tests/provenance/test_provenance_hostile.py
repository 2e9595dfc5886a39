"""Hostile files end in a status and a note, never an exception or a hang."""

from __future__ import annotations

import io
import struct
import zlib
from pathlib import Path

import pytest
from PIL import Image

from sentinella.provenance import ProvenanceConfig
from sentinella.provenance._media import process_file, resolve

CFG = ProvenanceConfig(workers=1)


def _jpeg(size: tuple[int, int] = (64, 48), **save: object) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", size, (200, 80, 30)).save(buf, "JPEG", **save)
    return buf.getvalue()


def _run(case: Path, rel: str, cfg: ProvenanceConfig = CFG):  # type: ignore[no-untyped-def]
    path, status, note = resolve(case, rel)
    return process_file(0, path, status, note, cfg)


def _exif_segment(tiff: bytes) -> bytes:
    payload = b"Exif\x00\x00" + tiff
    return b"\xff\xe1" + struct.pack(">H", len(payload) + 2) + payload


def _with_app1(jpeg: bytes, tiff: bytes) -> bytes:
    return jpeg[:2] + _exif_segment(tiff) + jpeg[2:]


def test_a_plain_jpeg_is_hashed(tmp_path: Path) -> None:
    (tmp_path / "a.jpg").write_bytes(_jpeg())
    result = _run(tmp_path, "a.jpg")
    assert result.status == "ok" and result.pdq is not None and result.pdq.shape == (8, 4)
    assert (result.width, result.height) == (64, 48)


@pytest.mark.parametrize(
    ("rel", "status"),
    [
        ("missing.jpg", "missing"),
        ("", "missing"),
        ("/etc/passwd", "outside_case"),
        ("../x.jpg", "outside_case"),
    ],
)
def test_paths_that_do_not_lead_to_a_file_in_the_case(tmp_path: Path, rel: str, status: str) -> None:
    case = tmp_path / "case"
    case.mkdir()
    (tmp_path / "x.jpg").write_bytes(_jpeg())
    result = _run(case, rel)
    assert result.status == status and result.note and result.pdq is None


def test_a_symlink_out_of_the_case_is_not_followed(tmp_path: Path) -> None:
    case = tmp_path / "case"
    case.mkdir()
    (tmp_path / "secret.jpg").write_bytes(_jpeg())
    (case / "link.jpg").symlink_to(tmp_path / "secret.jpg")
    result = _run(case, "link.jpg")
    assert result.status == "outside_case" and "symlink" in result.note


def test_a_folder_and_a_non_image(tmp_path: Path) -> None:
    (tmp_path / "dir.jpg").mkdir()
    (tmp_path / "text.jpg").write_text("<html>not a photo</html>")
    (tmp_path / "empty.jpg").write_bytes(b"")
    assert _run(tmp_path, "dir.jpg").status == "not_a_file"
    assert _run(tmp_path, "text.jpg").status == "not_an_image"
    assert _run(tmp_path, "empty.jpg").status == "not_an_image"


def test_a_truncated_jpeg(tmp_path: Path) -> None:
    data = _jpeg((256, 256), quality=95)
    (tmp_path / "cut.jpg").write_bytes(data[: len(data) // 2])
    result = _run(tmp_path, "cut.jpg")
    assert result.status == "truncated" and result.pdq is None


def test_a_decompression_bomb_is_refused_before_decoding(tmp_path: Path) -> None:
    # A real PNG whose header declares 100,000 x 100,000 pixels (10 gigapixels).
    buf = io.BytesIO()
    Image.new("L", (1, 1)).save(buf, "PNG")
    data = bytearray(buf.getvalue())
    data[16:24] = struct.pack(">II", 100_000, 100_000)
    data[29:33] = struct.pack(">I", zlib.crc32(bytes(data[12:29])))
    (tmp_path / "bomb.png").write_bytes(bytes(data))
    result = _run(tmp_path, "bomb.png")
    assert result.status == "too_many_pixels" and result.pdq is None


def test_the_pixel_cap_is_configurable(tmp_path: Path) -> None:
    (tmp_path / "a.jpg").write_bytes(_jpeg((64, 48)))
    result = _run(tmp_path, "a.jpg", ProvenanceConfig(workers=1, max_pixels=1000))
    assert result.status == "too_many_pixels" and "3,072 pixels" in result.note


def test_a_file_above_the_size_cap(tmp_path: Path) -> None:
    (tmp_path / "a.jpg").write_bytes(_jpeg())
    assert _run(tmp_path, "a.jpg", ProvenanceConfig(workers=1, max_file_bytes=100)).status == "too_large"


def test_looping_exif_ifds_are_read_once(tmp_path: Path) -> None:
    # IFD0 at offset 8: one entry, ExifIFD pointer back to offset 8; next-IFD pointer to itself.
    ifd = struct.pack("<H", 1) + struct.pack("<HHII", 0x8769, 4, 1, 8) + struct.pack("<I", 8)
    (tmp_path / "loop.jpg").write_bytes(_with_app1(_jpeg(), b"II*\x00" + struct.pack("<I", 8) + ifd))
    result = _run(tmp_path, "loop.jpg")
    assert result.status == "ok" and result.pdq is not None


def test_broken_and_huge_exif_leave_the_picture_readable(tmp_path: Path) -> None:
    broken = b"II*\x00" + struct.pack("<I", 0xFFFFFF00)  # IFD0 far past the end
    (tmp_path / "broken.jpg").write_bytes(_with_app1(_jpeg(), broken))
    entries = 5000  # the largest APP1 segment: 5000 entries pointing nowhere
    huge = b"II*\x00" + struct.pack("<I", 8) + struct.pack("<H", entries)
    huge += b"".join(struct.pack("<HHII", 0x0100 + k % 200, 2, 1 << 20, 0xFFFFFF) for k in range(entries))
    (tmp_path / "huge.jpg").write_bytes(_with_app1(_jpeg(), huge[:65000]))
    for name in ("broken.jpg", "huge.jpg"):
        result = _run(tmp_path, name)
        assert result.status == "ok" and result.pdq is not None
        assert result.exif.gps_lat is None


def test_a_slow_image_hits_the_timeout(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import time

    from sentinella.provenance import _media

    (tmp_path / "a.jpg").write_bytes(_jpeg())

    def slow(index: int, path: Path, cfg: ProvenanceConfig) -> _media.MediaResult:
        time.sleep(5)
        raise AssertionError("not interrupted")

    monkeypatch.setattr(_media, "_process", slow)
    result = _run(tmp_path, "a.jpg", ProvenanceConfig(workers=1, timeout_seconds=0.2))
    assert result.status == "timeout"
