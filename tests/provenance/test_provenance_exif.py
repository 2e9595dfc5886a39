"""The EXIF reader against ExifTool on real camera and phone files, and on broken EXIF."""

from __future__ import annotations

import io
import json
import math
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image, TiffImagePlugin

from sentinella.provenance import read_exif
from sentinella.synth._images import ExifSpec, encode_jpeg

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "provenance"
REFERENCE = {row["SourceFile"]: row for row in json.loads((FIXTURES / "exiftool.json").read_text())}


def _read(name: str):  # type: ignore[no-untyped-def]
    with Image.open(FIXTURES / name) as img:
        return read_exif(img)


@pytest.mark.parametrize("name", sorted(REFERENCE))
def test_reader_agrees_with_exiftool(name: str) -> None:
    ref = REFERENCE[name]
    got = _read(name)
    assert got.make == (str(ref["IFD0:Make"]).strip() if "IFD0:Make" in ref else None)
    assert got.model == (str(ref["IFD0:Model"]).strip() if "IFD0:Model" in ref else None)
    assert got.software == (str(ref["IFD0:Software"]).strip() if "IFD0:Software" in ref else None)
    original = ref.get("ExifIFD:DateTimeOriginal")
    expected = datetime.strptime(original, "%Y:%m:%d %H:%M:%S") if original else None
    assert got.taken_local == expected
    assert got.lens == ref.get("ExifIFD:LensModel")
    if "Composite:GPSLatitude" in ref:
        assert got.gps_lat == pytest.approx(ref["Composite:GPSLatitude"], abs=1e-9)
        assert got.gps_lon == pytest.approx(ref["Composite:GPSLongitude"], abs=1e-9)
    else:
        assert got.gps_lat is None and got.gps_lon is None
    if "Composite:GPSAltitude" in ref:
        assert got.gps_alt == pytest.approx(ref["Composite:GPSAltitude"], abs=1e-6)
    if "Composite:GPSDateTime" in ref:
        expected_gps = datetime.strptime(
            ref["Composite:GPSDateTime"].rstrip("Z"),
            "%Y:%m:%d %H:%M:%S.%f" if "." in ref["Composite:GPSDateTime"] else "%Y:%m:%d %H:%M:%S",
        )
        assert got.gps_time == expected_gps.replace(tzinfo=UTC)
    else:
        assert got.gps_time is None  # e.g. a time stamp without a date: no invented day
    if "GPS:GPSDOP" in ref:
        assert got.gps_dop == pytest.approx(ref["GPS:GPSDOP"])


def test_the_fixtures_cover_phones_cameras_and_gps() -> None:
    with_gps = [n for n, r in REFERENCE.items() if "Composite:GPSLatitude" in r]
    assert len(REFERENCE) >= 10 and len(with_gps) >= 4


def _jpeg_with_gps(gps: dict[int, object], ifd0: dict[int, object] | None = None) -> Image.Image:
    exif = Image.Exif()
    for tag, value in (ifd0 or {}).items():
        exif[tag] = value
    exif[0x8825] = gps
    buf = io.BytesIO()
    Image.new("RGB", (16, 16), (90, 120, 40)).save(buf, "JPEG", exif=exif)
    buf.seek(0)
    return Image.open(buf)


R = TiffImagePlugin.IFDRational


@pytest.mark.parametrize(
    ("gps", "note"),
    [
        ({1: "N", 2: (R(45, 1), R(75, 1), R(0, 1)), 3: "E", 4: (R(9, 1), R(10, 1), R(0, 1))}, "out of range"),
        ({1: "N", 2: (R(91, 1), R(0, 1), R(0, 1)), 3: "E", 4: (R(9, 1), R(10, 1), R(0, 1))}, "out of range"),
        ({1: "N", 2: (R(45, 0), R(1, 1), R(0, 1)), 3: "E", 4: (R(9, 1), R(10, 1), R(0, 1))}, "unreadable"),
        ({2: (R(45, 1), R(1, 1), R(0, 1)), 4: (R(9, 1), R(10, 1), R(0, 1))}, "reference"),
        ({1: "N", 2: (R(0, 1), R(0, 1), R(0, 1)), 3: "E", 4: (R(0, 1), R(0, 1), R(0, 1))}, "no fix"),
    ],
)
def test_unparseable_gps_gives_no_coordinate_and_a_note(gps: dict[int, object], note: str) -> None:
    record = read_exif(_jpeg_with_gps(gps))
    assert record.gps_lat is None and record.gps_lon is None
    assert any(note in text for text in record.notes)


def test_missing_exif_is_not_a_note() -> None:
    buf = io.BytesIO()
    Image.new("RGB", (16, 16)).save(buf, "JPEG")
    record = read_exif(Image.open(io.BytesIO(buf.getvalue())))
    assert not record.has_exif and record.notes == []


@settings(max_examples=60, deadline=None)
@given(
    lat=st.floats(-89.99, 89.99),
    lon=st.floats(-179.99, 179.99),
    offset=st.sampled_from([-5.0, 0.0, 1.0, 5.5, 8.0, 9.0]),
)
def test_positions_written_by_a_phone_are_read_back(lat: float, lon: float, offset: float) -> None:
    if abs(lat) < 1e-3 and abs(lon) < 1e-3:
        return  # 0,0 is read as "no fix"
    spec = ExifSpec("Apple", "iPhone 14", datetime(2024, 5, 1, 10, 30), offset, gps=(lat, lon))
    record = read_exif(Image.open(io.BytesIO(encode_jpeg(Image.new("RGB", (16, 16)), spec))))
    assert record.gps_lat == pytest.approx(lat, abs=1e-6) and record.gps_lon == pytest.approx(lon, abs=1e-6)
    assert record.utc_offset_minutes == round(offset * 60)
    assert record.taken_utc is not None and record.gps_time is not None
    assert math.isclose((record.taken_utc - record.gps_time).total_seconds(), 0.0, abs_tol=1.0)


def test_heic_photos_are_read_when_pillow_heif_is_installed(tmp_path: Path) -> None:
    pytest.importorskip("pillow_heif")
    from sentinella.provenance import ProvenanceConfig
    from sentinella.provenance._media import process_file
    from sentinella.synth._images import exif_bytes

    spec = ExifSpec("Apple", "iPhone 15 Pro", datetime(2025, 5, 1, 12, 0), 8.0, gps=(31.2304, 121.4737))
    Image.new("RGB", (64, 48), (30, 90, 160)).save(tmp_path / "a.heic", "HEIF", exif=exif_bytes(spec))
    result = process_file(0, tmp_path / "a.heic", "ok", "", ProvenanceConfig(workers=1))
    assert result.status == "ok" and result.format == "HEIF" and result.pdq is not None
    assert result.exif.model == "iPhone 15 Pro"
    assert result.exif.gps_lat == pytest.approx(31.2304, abs=1e-6)
