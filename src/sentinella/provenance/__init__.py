"""Counterfeit and fake provenance: copied photos, spoofed GPS, impossible prices.

Design: docs/capabilities.md, "Counterfeit and fake provenance".

``run_provenance`` hashes and reads every image the ``media`` table points to (files under the
case folder), clusters the same picture across merchants and runs the checks, writing:

``media_hashes`` (one row per media): media_id, status (ok, missing, outside_case, not_a_file,
too_large, not_an_image, too_many_pixels, truncated, unreadable, timeout), note, format, width,
height, file_bytes, pdq (256-bit PDQ as 64 hex digits), pdq_quality (0-100), pdq_mirror (PDQ of
the left-right mirror), phash_centre (64-bit pHash of the centre).

``media_exif`` (one row per media): media_id, has_exif, taken_local, utc_offset_minutes, taken_at
(UTC, only with an offset), gps_lat, gps_lon, gps_alt, gps_time, gps_dop, make, model, lens,
software, notes (what could not be read).

``image_clusters`` (pictures with at least one near-duplicate): cluster_id (its first media_id),
media_id, merchant_id, owner_id, context, pdq_distance (to its nearest match), likely_source.

``provenance_findings``: subject_kind (media, post, listing), subject_id, merchant_id, member_id,
kind (copied_photo, reused_photo, gps_far_from_claim, editing_software,
capture_gps_time_mismatch, taken_after_posted, origin_photo_old, impossible_travel,
price_far_below), strength (strong, moderate), figures (JSON), evidence_media, explanation.
"""

from __future__ import annotations

from ._analysis import INPUT_TABLES, RESULT_TABLES, ProvenanceSummary, run_provenance
from ._config import ProvenanceConfig
from ._errors import CaseFolderError, MissingTableError, ProvenanceError
from ._exif import ExifRecord, read_exif
from ._index import query

__all__ = [
    "INPUT_TABLES",
    "RESULT_TABLES",
    "CaseFolderError",
    "ExifRecord",
    "MissingTableError",
    "ProvenanceConfig",
    "ProvenanceError",
    "ProvenanceSummary",
    "query",
    "read_exif",
    "run_provenance",
]
