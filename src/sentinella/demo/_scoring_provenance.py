"""Provenance found versus planted: copied and reused photos, spoofed GPS, edited files,
impossible travel, prices far below the market, and the honest look-alikes left clean.

Scores are SQL joins between ``provenance_findings``/``image_clusters`` and the world's
``truth/`` folder (``provenance_flags``, ``media_copies``, ``honest_lookalikes``).
"""

from __future__ import annotations

from pathlib import Path

from sentinella.engine import Backend

from ._scoring import Score, _one, _truth

EXIF_KINDS = "('editing_software', 'capture_gps_time_mismatch', 'taken_after_posted', 'origin_photo_old')"


def _flags(
    backend: Backend, truth: Path, planted: str, found: str, what: str, lookalikes: str = "()"
) -> Score:
    """Planted flags of kinds ``planted`` found by findings of kinds ``found`` on the same subject;
    wrong = look-alikes of kinds ``lookalikes`` (or any honest subject) given such a finding."""
    flags = _truth(truth, "provenance_flags")
    honest = _truth(truth, "honest_lookalikes")
    total, caught = _one(
        backend,
        f"SELECT count(*), count(*) FILTER (WHERE EXISTS (SELECT 1 FROM provenance_findings f "
        f"WHERE f.subject_id = t.entity_id AND f.kind IN {found})) "
        f"FROM (SELECT DISTINCT entity_id FROM {flags} WHERE kind IN {planted}) t",
    )
    wrong = _one(
        backend,
        f"SELECT count(DISTINCT f.subject_id) FROM provenance_findings f JOIN {honest} h "
        f"ON h.entity_id = f.subject_id WHERE f.kind IN {found}"
        + (f" AND h.kind IN {lookalikes}" if lookalikes != "()" else "")
        + f" AND f.subject_id NOT IN (SELECT entity_id FROM {flags})",
    )[0]
    return Score("provenance", what, int(total), int(caught), int(wrong))


def score_provenance(backend: Backend, truth: Path) -> list[Score]:
    if not backend.table_exists("provenance_findings") or not (truth / "provenance_flags.parquet").exists():
        return []
    flags = _truth(truth, "provenance_flags")
    honest = _truth(truth, "honest_lookalikes")
    scores: list[Score] = []
    if (truth / "media_copies.parquet").exists():
        copies = _truth(truth, "media_copies")
        # A copy is found when it sits in the same cluster as the photo it was made from.
        planted, found = _one(
            backend,
            "SELECT count(*), "
            "count(*) FILTER (WHERE a.cluster_id IS NOT NULL AND a.cluster_id = b.cluster_id) "
            f"FROM {copies} c LEFT JOIN image_clusters a ON a.media_id = c.media_id "
            "LEFT JOIN image_clusters b ON b.media_id = c.source_media_id",
        )
        # A false cluster spans two or more merchants and holds no planted copy or reused photo.
        false_clusters = _one(
            backend,
            "SELECT count(*) FROM (SELECT cluster_id FROM image_clusters GROUP BY cluster_id "
            "HAVING count(DISTINCT coalesce(merchant_id, owner_id)) >= 2 "
            f"AND count(*) FILTER (WHERE media_id IN (SELECT entity_id FROM {flags})) = 0)",
        )[0]
        scores.append(
            Score(
                "provenance",
                "copied photos clustered with their source",
                int(planted),
                int(found),
                int(false_clusters),
                "wrong = clusters across shops with no planted copy",
            )
        )
    scores.append(_flags(backend, truth, "('copied_photo')", "('copied_photo')", "copied photos flagged"))
    scores.append(
        _flags(
            backend,
            truth,
            "('reused_receipt', 'reused_delivery')",
            "('reused_photo')",
            "receipts and parcels reused by several shops",
        )
    )
    scores.append(_flags(backend, truth, "('spoofed_gps')", "('gps_far_from_claim')", "spoofed GPS flagged"))
    scores.append(_flags(backend, truth, "('edited_exif')", EXIF_KINDS, "edited photos flagged"))
    scores.append(
        _flags(backend, truth, "('impossible_travel')", "('impossible_travel')", "impossible travel")
    )
    scores.append(
        _flags(backend, truth, "('price_far_below')", "('price_far_below')", "prices far below the market")
    )
    merchants, found, wrong = _one(
        backend,
        f"WITH planted AS (SELECT DISTINCT merchant_id FROM {flags}), "
        "flagged AS (SELECT DISTINCT merchant_id FROM provenance_findings WHERE strength = 'strong' "
        "AND merchant_id IS NOT NULL) "
        "SELECT (SELECT count(*) FROM planted), "
        "(SELECT count(*) FROM planted JOIN flagged USING (merchant_id)), "
        "(SELECT count(*) FROM flagged ANTI JOIN planted USING (merchant_id))",
    )
    scores.append(Score("provenance", "counterfeit merchants found", int(merchants), int(found), int(wrong)))
    lookalikes, flagged = _one(
        backend,
        "SELECT count(DISTINCT h.entity_id), "
        "count(DISTINCT h.entity_id) FILTER (WHERE f.subject_id IS NOT NULL) "
        f"FROM {honest} h LEFT JOIN provenance_findings f ON f.subject_id = h.entity_id "
        f"WHERE h.entity_id NOT IN (SELECT entity_id FROM {flags})",
    )
    scores.append(
        Score(
            "provenance",
            "honest look-alikes left clean",
            int(lookalikes),
            int(lookalikes) - int(flagged),
            int(flagged),
            "daigou trips, clearance, second-hand, stripped EXIF, filter apps, own photos",
        )
    )
    return scores
