"""Risk against planted truth: does the score order bad actors above honest subjects?

For each kind of planted bad actor, ROC AUC of the score against every honest subject of the
same kind (member or merchant), and how many reach the case threshold; for each kind of honest
look-alike, the share that reaches it (their false-positive rate). Subjects without a
``risk_scores`` row score 0. Members of planted pyramids who are not organizers, and their own
micro-shops, are neither bad actors nor honest here (they are the scheme's victims and its
sales outlets) and are left out of the AUC, as the rings scoring leaves camouflage orders out.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sentinella.engine import Backend


@dataclass(frozen=True)
class KindMetric:
    subject_kind: str  # member | merchant
    kind: str  # e.g. pyramid_organizer, ring_account, boosted_shop; or a look-alike kind
    role: str  # bad | lookalike | honest
    subjects: int
    auc: float | None  # bad actors only: against every honest subject of the same kind
    at_or_above_case: int

    @property
    def rate(self) -> float:
        return self.at_or_above_case / self.subjects if self.subjects else 0.0


def _truth(folder: Path, name: str) -> str:
    return f"read_parquet('{str(folder / f'{name}.parquet').replace(chr(39), chr(39) * 2)}')"


def planted_sets(truth: Path) -> tuple[dict[str, dict[str, str]], dict[str, str], dict[str, dict[str, str]]]:
    """SQL for the IDs of each kind: bad actors, ambiguous subjects, look-alikes (kind -> SQL)."""
    tm, tn = _truth(truth, "pyramid_members"), _truth(truth, "pyramid_networks")
    bad = {
        "member": {
            "pyramid_organizer": f"SELECT tm.member_id FROM {tm} tm JOIN {tn} tn USING (network_id) "
            "WHERE NOT tn.legit AND (tm.organizer OR tm.organizer_merged)",
            "ring_account": f"SELECT member_id FROM {_truth(truth, 'ring_members')}",
        },
        "merchant": {
            "boosted_shop": f"SELECT merchant_id FROM {_truth(truth, 'brushing_rings')}",
            "pyramid_company_shop": f"SELECT merchant_id FROM {tn} WHERE NOT legit",
            "counterfeit_seller": f"SELECT merchant_id FROM {_truth(truth, 'provenance_flags')}",
        },
    }
    ambiguous = {
        "member": f"SELECT tm.member_id FROM {tm} tm JOIN {tn} tn USING (network_id) WHERE NOT tn.legit",
        "merchant": f"SELECT tm.micro_shop_id FROM {tm} tm JOIN {tn} tn USING (network_id) "
        "WHERE NOT tn.legit AND tm.micro_shop_id IS NOT NULL",
    }
    looks = _truth(truth, "lookalikes")
    lookalikes = {
        "member": {
            "lookalike_buyers_and_owners": f"SELECT entity_id FROM {looks} WHERE entity_kind = 'member'",
            "legit_network_members": f"SELECT tm.member_id FROM {tm} tm JOIN {tn} tn USING (network_id) "
            "WHERE tn.legit",
        },
        "merchant": {
            "lookalike_shops": f"SELECT entity_id FROM {looks} WHERE entity_kind = 'merchant'",
            "legit_network_shops": f"SELECT merchant_id FROM {tn} WHERE legit",
        },
    }
    return bad, ambiguous, lookalikes


def _one(backend: Backend, sql: str) -> tuple[Any, ...]:
    table = backend.query(sql, step="risk evaluation")
    return tuple(column[0].as_py() for column in table.columns)


def evaluate_risk(backend: Backend, truth: Path, *, case_threshold: float = 0.5) -> list[KindMetric]:
    """One line per kind of bad actor, of look-alike, and for all honest subjects."""
    bad, ambiguous, lookalikes = planted_sets(truth)
    has_scores = backend.table_exists("risk_scores")
    metrics: list[KindMetric] = []
    threshold = float(case_threshold)
    for subject, table, key in (("member", "members", "member_id"), ("merchant", "merchants", "merchant_id")):
        scores = (
            f"SELECT u.{key} AS id, coalesce(r.score, 0.0) AS score "
            f"FROM (SELECT DISTINCT {key} FROM {table}) u "
            + (
                f"LEFT JOIN risk_scores r ON r.subject_kind = '{subject}' AND r.subject_id = u.{key}"
                if has_scores
                else "LEFT JOIN (SELECT NULL AS score) r ON FALSE"
            )
        )
        all_bad = " UNION ".join(bad[subject].values())
        honest = f"SELECT * FROM ({scores}) WHERE id NOT IN ({all_bad}) AND id NOT IN ({ambiguous[subject]})"
        for kind, ids in bad[subject].items():
            labelled = (
                f"SELECT score, TRUE AS pos FROM ({scores}) WHERE id IN ({ids}) "
                f"UNION ALL SELECT score, FALSE FROM ({honest})"
            )
            auc, positives, above = _one(
                backend,
                f"WITH s AS ({labelled}), "
                "r AS (SELECT pos, score, avg(rn) OVER (PARTITION BY score) AS ar FROM "
                "(SELECT pos, score, row_number() OVER (ORDER BY score) AS rn FROM s)), "
                "c AS (SELECT count(*) FILTER (WHERE pos) AS p, count(*) FILTER (WHERE NOT pos) AS n, "
                f"sum(ar) FILTER (WHERE pos) AS sp, count(*) FILTER (WHERE pos AND score >= {threshold!r}) "
                "AS hit FROM r) "
                "SELECT CASE WHEN p > 0 AND n > 0 THEN (sp - p * (p + 1) / 2.0) / (p * n) END, p, hit FROM c",
            )
            metrics.append(
                KindMetric(
                    subject,
                    kind,
                    "bad",
                    int(positives or 0),
                    None if auc is None else float(auc),
                    int(above or 0),
                )
            )
        for kind, ids in lookalikes[subject].items():
            count, above = _one(
                backend,
                f"SELECT count(*), count(*) FILTER (WHERE score >= {threshold!r}) FROM ({scores}) "
                f"WHERE id IN ({ids}) AND id NOT IN ({all_bad})",
            )
            metrics.append(KindMetric(subject, kind, "lookalike", int(count or 0), None, int(above or 0)))
        count, above = _one(
            backend, f"SELECT count(*), count(*) FILTER (WHERE score >= {threshold!r}) FROM ({honest})"
        )
        metrics.append(KindMetric(subject, "all_honest", "honest", int(count or 0), None, int(above or 0)))
    return metrics
