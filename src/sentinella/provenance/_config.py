"""Thresholds of the provenance checks, in one place, each with the reason for its value.

The hash thresholds were measured on generated worlds (``benchmarks/provenance.py --world``
prints the pairs of unrelated photos of different shops that pass each rule beside the share of
planted copies found): a pair is the same photo when its PDQ distance is at most ``pdq_match``
(Meta's suggested 31 of 256 bits), or at most ``pdq_near`` when the centre pHash also agrees
within ``phash_near`` bits; and, either way, its coarse colours agree within ``colour_near``. A
sticker, a crop and a recompression together move PDQ past 31 for about a third of the copies
of small product photos; unrelated photos of the same product or the same backdrop pass the
hashes at times, never the colours as well.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ProvenanceConfig:
    # decoding limits (per image): nothing above them is decoded
    max_pixels: int = 50_000_000
    """Declared width x height above this is a decompression bomb, refused before decoding."""
    max_file_bytes: int = 64 * 1024 * 1024
    decode_side: int = 256
    """JPEGs are decoded at the smallest DCT scale keeping both sides at least this long."""
    timeout_seconds: float = 20.0
    """Per image, in a worker process; an image that takes longer is reported, not waited for."""
    workers: int = 0
    """Processes that decode and hash (0: one per core; 1: in this process)."""

    # near-duplicates
    pdq_match: int = 31
    pdq_near: int = 60
    phash_near: int = 10
    colour_near: float = 16.0
    """Median over 8x8 cells of the largest channel difference (0-255), best dihedral alignment."""

    # EXIF checks
    gps_far_km: float = 300.0
    """A photo for a post is this far from the place the post claims: the claim is false."""
    time_mismatch_minutes: float = 30.0
    """Capture time (with its offset) and GPS time (UTC) disagree by more than this."""
    taken_after_upload_minutes: float = 60.0
    origin_taken_before_days: float = 7.0
    """An 'origin' photo taken this long before the post that shows it is not from the trip."""
    travel_min_km: float = 300.0
    travel_max_kmh: float = 1000.0
    """Faster than an airliner between two consecutive claimed places of one member."""

    # prices
    price_far_below: float = 0.5
    """Price at most this share of the market price of the same product."""
    price_far_below_explained: float = 0.25
    """Same, for titles that say sale, clearance or second-hand (lower bound for honest ones)."""
    price_min_peers: int = 2
    """Other merchants listing the same product needed for a market price (the median of all
    its listings: with two others, one cheap listing cannot move it below half). With exactly
    one other merchant, that merchant's price is the reference: a moderate finding, and only for
    titles that do not explain a low price (a sale's 25% bound would catch honest second-hand
    items priced against a dear listing)."""
