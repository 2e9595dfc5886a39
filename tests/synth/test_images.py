"""The picture primitives: EXIF round trips, stripping, reproducible bytes, near-duplicates.

The perceptual measures live here on purpose (numpy only): a 64-bit DCT hash like pHash and a
normalised 32x32 grey-level difference, so the test does not share code with what it checks.
"""

from __future__ import annotations

import io
from datetime import datetime, timedelta

import numpy as np
import numpy.typing as npt
import pytest
from PIL import Image

from sentinella.synth._catalog import build_catalog
from sentinella.synth._images import (
    ExifSpec,
    edit_copy,
    encode_jpeg,
    read_exif,
    render_delivery,
    render_product,
    render_receipt,
    render_street,
    shot_style,
)


def _dct_matrix(n: int) -> npt.NDArray[np.float64]:
    k = np.arange(n)[:, None]
    i = np.arange(n)[None, :]
    return np.cos(np.pi * (2 * i + 1) * k / (2 * n))


_D32 = _dct_matrix(32)


def _grey(data: bytes, n: int = 32, mirror: bool = False) -> npt.NDArray[np.float64]:
    """A small grey version; ``mirror`` flips it back left-right (for a mirrored copy)."""
    img = Image.open(io.BytesIO(data)).convert("L").resize((n, n), Image.Resampling.BOX)
    grey = np.asarray(img, dtype=np.float64)
    return grey[:, ::-1] if mirror else grey


def phash(data: bytes, mirror: bool = False) -> npt.NDArray[np.bool_]:
    """pHash: 8x8 lowest DCT frequencies of a 32x32 grey image, above their median."""
    coeffs = _D32 @ _grey(data, mirror=mirror) @ _D32.T
    low = coeffs[:8, :8].ravel()
    return low > np.median(low)


def hamming(a: bytes, b: bytes, mirror: bool = False) -> int:
    return int((phash(a) != phash(b, mirror)).sum())


def grey_difference(a: bytes, b: bytes, mirror: bool = False) -> float:
    """Mean absolute difference of two 32x32 grey images, each normalised to mean 0, sd 1."""
    x, y = _grey(a), _grey(b, mirror=mirror)
    x = (x - x.mean()) / (x.std() + 1e-9)
    y = (y - y.mean()) / (y.std() + 1e-9)
    return float(np.abs(x - y).mean())


@pytest.fixture(scope="module")
def shots() -> dict[tuple[int, int], bytes]:
    catalog = build_catalog(2, 200)
    return {
        (merchant, p): encode_jpeg(
            render_product(catalog.product(p), shot_style(1000 + merchant), merchant * 97 + p),
            None,
        )
        for merchant in range(8)
        for p in range(8)
    }


def test_exif_round_trips_through_pillow() -> None:
    img = render_street(3, 4, "Castellani")
    spec = ExifSpec(
        "Apple",
        "iPhone 15 Pro",
        datetime(2025, 5, 6, 14, 30, 15),
        2.0,
        software="Adobe Photoshop 25.4 (Windows)",
        gps=(45.464211, -9.190012),
    )
    data = encode_jpeg(img, spec)
    back = read_exif(data)
    assert back["make"] == "Apple"
    assert back["model"] == "iPhone 15 Pro"
    assert back["software"] == "Adobe Photoshop 25.4 (Windows)"
    assert back["datetime_original"] == datetime(2025, 5, 6, 14, 30, 15)
    assert back["offset"] == 2.0
    assert back["gps_lat"] == pytest.approx(45.464211, abs=1e-5)
    assert back["gps_lon"] == pytest.approx(-9.190012, abs=1e-5)
    # GPS time is UTC, consistent with local time minus the offset unless told otherwise.
    assert back["gps_time"] == datetime(2025, 5, 6, 12, 30, 15)
    # And Pillow's own reader sees the GPS IFD.
    with Image.open(io.BytesIO(data)) as opened:
        gps = opened.getexif().get_ifd(0x8825)
    assert gps[1] == "N" and gps[3] == "W"


def test_inconsistent_gps_time_is_written_as_given() -> None:
    taken = datetime(2025, 5, 6, 14, 0, 0)
    spec = ExifSpec("HUAWEI", "ALN-AL00", taken, 8.0, gps=(23.1, 113.3), gps_time=taken + timedelta(hours=30))
    back = read_exif(encode_jpeg(render_delivery(1, ["EMS"]), spec))
    assert back["gps_time"] == taken + timedelta(hours=30)
    assert back["datetime_original"] == taken


def test_stripped_images_have_no_exif() -> None:
    data = encode_jpeg(render_receipt(1, "Shop", "1 Milano", datetime(2025, 1, 1), [], "0"), None)
    with Image.open(io.BytesIO(data)) as img:
        assert len(img.getexif()) == 0
        assert img.format == "JPEG"
    assert read_exif(data) == {}


def test_rendering_is_reproducible_byte_for_byte() -> None:
    catalog = build_catalog(2, 100)
    spec = ExifSpec("vivo", "V2309A", datetime(2025, 2, 2, 9, 0), 8.0, gps=(31.2, 121.5))

    def make() -> list[bytes]:
        return [
            encode_jpeg(render_product(catalog.product(5), shot_style(9), 77), spec),
            encode_jpeg(render_receipt(3, "A", "B", datetime(2025, 1, 1), [("x", "1")], "1"), None),
            encode_jpeg(render_delivery(4, ["SF"]), None),
            encode_jpeg(render_street(5, 6, "Vettore"), spec),
        ]

    assert make() == make()
    assert encode_jpeg(render_product(catalog.product(5), shot_style(9), 78), None) != (
        encode_jpeg(render_product(catalog.product(5), shot_style(9), 77), None)
    )


def test_images_are_small_but_real_pictures() -> None:
    catalog = build_catalog(2, 100)
    pictures = [
        render_product(catalog.product(1), shot_style(1), 1),
        render_receipt(1, "Shop", "1 Roma", datetime(2025, 1, 1), [("a", "1")], "1"),
        render_delivery(1, ["SF"]),
        render_street(1, 1, "Vettore"),
    ]
    for img in pictures:
        assert 320 <= max(img.size) <= 640 and min(img.size) >= 240, img.size
        # Not a flat fill: there is structure a perceptual hash can latch on to.
        assert float(np.asarray(img.convert("L"), dtype=np.float64).std()) > 10
        assert len(encode_jpeg(img, None)) < 40_000


def test_copies_are_near_duplicates(shots: dict[tuple[int, int], bytes]) -> None:
    rng = np.random.default_rng(8)
    bits, diffs = [], []
    mirrors = 0
    for data in shots.values():
        edited, edits = edit_copy(Image.open(io.BytesIO(data)).convert("RGB"), rng, "¥199")
        assert edits[-1] == "recompress"
        copy = encode_jpeg(edited, None, quality=int(rng.integers(60, 86)))
        assert copy != data
        mirrored = "mirror" in edits
        mirrors += mirrored
        bits.append(hamming(data, copy, mirrored))
        diffs.append(grey_difference(data, copy, mirrored))
    assert 0 < mirrors < len(shots) / 2
    assert max(diffs) < 0.33
    assert np.median(bits) <= 6
    assert np.quantile(bits, 0.9) <= 12


def test_own_shots_of_same_product_are_not_near_duplicates(
    shots: dict[tuple[int, int], bytes],
) -> None:
    hashes = {key: phash(data) for key, data in shots.items()}
    bits, diffs = [], []
    for p in range(8):
        for a in range(8):
            for b in range(a + 1, 8):
                bits.append(int((hashes[(a, p)] != hashes[(b, p)]).sum()))
                diffs.append(grey_difference(shots[(a, p)], shots[(b, p)]))
    assert min(diffs) > 0.36
    assert min(bits) >= 12
    assert np.median(bits) >= 22


def test_distinct_receipts_and_parcels_are_not_near_duplicates() -> None:
    """Reuse detection needs different receipts to look different, though all are white slips."""
    for make in (
        lambda s: render_receipt(s, "Vettore", "8 Milano", datetime(2025, 1, 1), [("x", "1")], "1"),
        lambda s: render_delivery(s, ["EMS", "TO: Guangzhou"]),
    ):
        hashes = [phash(encode_jpeg(make(seed), None)) for seed in range(1, 21)]
        bits = [
            int((hashes[i] != hashes[j]).sum()) for i in range(len(hashes)) for j in range(i + 1, len(hashes))
        ]
        assert min(bits) >= 8
        assert np.median(bits) >= 20
