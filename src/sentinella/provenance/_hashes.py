"""Perceptual hashes of one decoded picture: PDQ (8 dihedral variants), a centre pHash, a colour thumb.

PDQ (Meta's 256-bit hash with a quality score) comes from the ``pdqhash`` binding of Meta's C++
reference. The second hash is a 64-bit pHash of the central 70% of the picture (DCT of a 32x32
grey thumbnail, the 8x8 lowest frequencies against their median): a price sticker or a border
in a corner does not reach it. The 8x8 colour thumbnail confirms near matches, because both
hashes see only brightness. Bits are packed most significant first into unsigned 64-bit words,
so a hash is 4 words (PDQ) or 1 word (pHash) and its hex string is those words in order.
"""

from __future__ import annotations

from functools import cache

import numpy as np
import numpy.typing as npt
import pdqhash
from PIL import Image

U64 = npt.NDArray[np.uint64]
PDQ_WORDS = 4
CENTRE = 0.15  # margin cut from each side before the pHash
THUMB = 8


@cache
def _dct_matrix(n: int) -> npt.NDArray[np.float64]:
    k = np.arange(n, dtype=np.float64)[:, None]
    x = np.arange(n, dtype=np.float64)[None, :]
    return np.cos(np.pi * k * (2.0 * x + 1.0) / (2.0 * n))


def pack_bits(bits: npt.ArrayLike) -> U64:
    """Rows of 0/1 (…, 64k) as (…, k) big-endian unsigned 64-bit words."""
    raw = np.packbits(np.asarray(bits, dtype=np.uint8), axis=-1)
    words: U64 = raw.view(">u8").astype(np.uint64)
    return words


def to_hex(words: U64) -> str:
    return "".join(f"{int(w):016x}" for w in np.asarray(words).ravel())


def from_hex(text: str) -> U64:
    """Hex back to words; raises ValueError for text that is not whole 64-bit words of hex."""
    if len(text) % 16:
        raise ValueError(f"hash {text!r} is not a whole number of 64-bit words")
    return np.array([int(text[i : i + 16], 16) for i in range(0, len(text), 16)], dtype=np.uint64)


def pdq_dihedral(rgb: npt.NDArray[np.uint8]) -> tuple[U64, int]:
    """The 8 dihedral PDQ hashes (original first, then rotations and flips) and the quality (0-100)."""
    vectors, quality = pdqhash.compute_dihedral(np.ascontiguousarray(rgb))
    return pack_bits(np.stack(vectors)), int(quality)


def phash_bits(grey: npt.NDArray[np.float64]) -> npt.NDArray[np.bool_]:
    """pHash of a 32x32 grey array: 8x8 lowest DCT frequencies above their median."""
    m = _dct_matrix(32)
    low = (m @ grey @ m.T)[:8, :8].ravel()
    out: npt.NDArray[np.bool_] = low > np.median(low)
    return out


def centre_phash(img: Image.Image) -> U64:
    """pHash of the centre (as shot, and mirrored left-right): shape (2, 1)."""
    w, h = img.size
    box = (
        int(CENTRE * w),
        int(CENTRE * h),
        max(int(CENTRE * w) + 1, int((1 - CENTRE) * w)),
        max(int(CENTRE * h) + 1, int((1 - CENTRE) * h)),
    )
    grey = np.asarray(img.convert("L").crop(box).resize((32, 32), Image.Resampling.BOX), dtype=np.float64)
    return pack_bits(np.stack([phash_bits(grey), phash_bits(grey[:, ::-1])]))


def colour_thumb(img: Image.Image) -> npt.NDArray[np.uint8]:
    """An 8x8 RGB average of the whole picture."""
    return np.asarray(img.convert("RGB").resize((THUMB, THUMB), Image.Resampling.BOX), dtype=np.uint8)


def dihedral_thumbs(thumb: npt.NDArray[np.uint8]) -> npt.NDArray[np.uint8]:
    """The 8 rotations and mirrors of a square thumbnail, shape (8, n, n, 3)."""
    out = []
    for flipped in (thumb, thumb[:, ::-1]):
        for k in range(4):
            out.append(np.rot90(flipped, k))
    return np.stack(out)
