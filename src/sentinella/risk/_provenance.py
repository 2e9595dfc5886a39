"""Provenance findings as risk signals: copied or reused photos, spoofed GPS, edited photos,
impossible travel and prices far below the market, one signal per merchant and kind of finding.

A signal's strength counts the merchant's findings of its kinds (a strong finding counts 1, a
moderate one ½) against how many make it full, so a single copied photo (a shop may use a
supplier's picture) weighs less than a catalogue of them. Findings about posts name the
member; provenance fills in their merchant, and only findings with a merchant are scored here.
"""

from __future__ import annotations

TABLES = ("provenance_findings",)

# signal -> (finding kinds, findings that make the strength 1, what the detail calls them)
_SIGNALS: dict[str, tuple[tuple[str, ...], float, str]] = {
    "provenance_copied_photos": (("copied_photo",), 3.0, "photos copied from other shops"),
    "provenance_reused_photos": (("reused_photo",), 1.0, "receipt or parcel photos also in other shops"),
    "provenance_spoofed_gps": (("gps_far_from_claim",), 1.0, "photos with GPS far from the claimed place"),
    "provenance_edited_photos": (
        ("editing_software", "capture_gps_time_mismatch", "taken_after_posted", "origin_photo_old"),
        2.0,
        "origin photos edited or taken at another time than claimed",
    ),
    "provenance_impossible_travel": (("impossible_travel",), 1.0, "posts from places no flight joins"),
    "provenance_price_far_below": (("price_far_below",), 3.0, "branded listings priced far below the market"),
}
SIGNALS: tuple[str, ...] = tuple(_SIGNALS)


def provenance_sql() -> str:
    """One row per merchant and signal: subject_kind, subject_id, signal, strength,
    evidence_table, evidence_key, detail (the count and the first explanation)."""
    parts = []
    for signal, (kinds, full, label) in _SIGNALS.items():
        listed = ", ".join(f"'{kind}'" for kind in kinds)
        weight = "CASE strength WHEN 'strong' THEN 1.0 ELSE 0.5 END"
        parts.append(
            f"SELECT 'merchant' AS subject_kind, merchant_id AS subject_id, '{signal}' AS signal, "
            f"least(1.0, sum({weight}) / {full}) AS strength, 'provenance_findings' AS evidence_table, "
            f"CAST(to_json(struct_pack(merchant_id := merchant_id, kind := [{listed}])) AS VARCHAR) "
            "AS evidence_key, "
            f"count(*) || ' {label}; e.g. ' || min(explanation) AS detail FROM provenance_findings "
            f"WHERE merchant_id IS NOT NULL AND kind IN ({listed}) GROUP BY merchant_id"
        )
    return "\nUNION ALL ".join(parts)
