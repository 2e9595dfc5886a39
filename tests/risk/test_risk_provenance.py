"""Provenance findings as risk signals: many fabrications open a case, one copied photo does not."""

from __future__ import annotations

import json

import pyarrow as pa

from sentinella.risk import load_config, run_risk
from sentinella.store import Store

FINDINGS = [  # merchant, kind, strength
    # a counterfeit shop: copied photos, a reused receipt, cheap branded listings
    *[("S1", "copied_photo", "strong")] * 3,
    ("S1", "reused_photo", "strong"),
    *[("S1", "price_far_below", "strong")] * 4,
    # honest look-alikes: a supplier's photo, one sale priced against a single other shop
    ("S2", "copied_photo", "strong"),
    ("S3", "price_far_below", "moderate"),
    # spoofed GPS alone, on an origin photo
    ("S4", "gps_far_from_claim", "strong"),
]


def _scores() -> dict[str, dict[str, object]]:
    with Store.open(":memory:") as store:
        store.backend.write_table(
            "provenance_findings",
            pa.table(
                {
                    "subject_kind": ["media"] * len(FINDINGS),
                    "subject_id": [f"X{k}" for k in range(len(FINDINGS))],
                    "merchant_id": [f[0] for f in FINDINGS],
                    "member_id": pa.nulls(len(FINDINGS), pa.string()),
                    "kind": [f[1] for f in FINDINGS],
                    "strength": [f[2] for f in FINDINGS],
                    "explanation": [f"{f[1]} of {f[0]}" for f in FINDINGS],
                }
            ),
        )
        summary = run_risk(store.backend)
        assert summary.analyses == ["provenance"]
        rows = store.backend.query("SELECT * FROM risk_scores WHERE subject_kind = 'merchant'").to_pylist()
    return {str(r["subject_id"]): r for r in rows}


def test_a_counterfeit_shop_opens_a_case_and_says_why() -> None:
    scores = _scores()
    case = load_config().case_threshold
    assert float(scores["S1"]["score"]) >= 0.9 > case
    reasons = json.loads(str(scores["S1"]["reasons"]))
    signals = [r["signal"] for r in reasons]
    assert set(signals) == {
        "provenance_copied_photos",
        "provenance_reused_photos",
        "provenance_price_far_below",
    }
    price = next(r for r in reasons if r["signal"] == "provenance_price_far_below")
    assert price["strength"] == 1.0 and price["detail"].startswith("4 branded listings")
    assert price["evidence"] == {
        "table": "provenance_findings",
        "key": {"merchant_id": "S1", "kind": ["price_far_below"]},
    }


def test_look_alikes_stay_under_the_case_threshold() -> None:
    scores = _scores()
    case = load_config().case_threshold
    assert 0 < float(scores["S2"]["score"]) < case  # one copied photo: a supplier's picture, maybe
    assert 0 < float(scores["S3"]["score"]) < case  # one moderate price finding
    assert float(scores["S3"]["score"]) < float(scores["S2"]["score"])
    assert float(scores["S4"]["score"]) >= case  # a spoofed GPS is a fabrication by itself
