"""One risk score per member and merchant from every analysis that has run."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field

from sentinella.engine import Backend, rounded

from ._config import RiskConfig, load_config
from ._sources import SOURCES, Source

RESULT_TABLES = ("risk_scores",)
_SIGNAL_ROWS = "risk_signal_rows"
# every table a source may read; those the store lacks are left out (their analysis is skipped)
INPUT_TABLES = tuple(sorted({table for source in SOURCES for table in source.tables}))
# a contribution of 1 would make the product 0 whatever else holds; weights stay below 1
_MAX_CONTRIBUTION = 0.999
# Signals read from the same evidence: within a group only a subject's strongest one counts, so
# one cheap price is not scored twice (comparison and provenance both measure it against the
# market). The others stay among the reasons with a contribution of 0.
EVIDENCE_GROUPS = {
    "compare_below_market": "price_below_market",
    "provenance_price_far_below": "price_below_market",
}


@dataclass
class RiskSummary:
    """What a run scored, and from which analyses."""

    analyses: list[str]
    skipped: dict[str, str]  # analysis -> why it was left out
    members: int
    merchants: int
    at_or_above_case: int
    case_threshold: float
    weights: str
    seconds: float
    by_signal: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, object]:
        return dict(self.__dict__)


def _missing(backend: Backend, source: Source) -> list[str]:
    return [table for table in source.tables if not backend.table_exists(table)]


def signals_sql(backend: Backend, config: RiskConfig) -> tuple[str, list[str], dict[str, str]]:
    """The union of every available source's signals, weighted; and which sources were used."""
    used: list[str] = []
    skipped: dict[str, str] = {}
    parts: list[str] = []
    for source in SOURCES:
        missing = _missing(backend, source)
        if missing:
            skipped[source.analysis] = f"not run (no {', '.join(missing)})"
            continue
        if not any(config.weights.get(signal, 0.0) > 0 for signal in source.signals):
            skipped[source.analysis] = "every signal weighs 0"
            continue
        used.append(source.analysis)
        parts.append(f"SELECT '{source.analysis}' AS analysis, * FROM ({source.sql()})")
    weights = ", ".join(
        f"('{signal}', CAST({float(weight)!r} AS DOUBLE))"
        for signal, weight in sorted(config.weights.items())
        if weight > 0
    )
    if not parts or not weights:
        empty = (
            "SELECT CAST(NULL AS VARCHAR) AS analysis, CAST(NULL AS VARCHAR) AS subject_kind, "
            "CAST(NULL AS VARCHAR) AS subject_id, CAST(NULL AS VARCHAR) AS signal, "
            "CAST(NULL AS DOUBLE) AS strength, CAST(NULL AS VARCHAR) AS evidence_table, "
            "CAST(NULL AS VARCHAR) AS evidence_key, CAST(NULL AS VARCHAR) AS detail, "
            "CAST(NULL AS DOUBLE) AS weight, CAST(NULL AS DOUBLE) AS contribution WHERE FALSE"
        )
        return empty, used, skipped
    union = "\nUNION ALL ".join(parts)
    groups = ", ".join(f"('{signal}', '{group}')" for signal, group in sorted(EVIDENCE_GROUPS.items()))
    weighted = (
        f"SELECT s.*, w.weight, least({_MAX_CONTRIBUTION}, w.weight * greatest(0.0, least(1.0, s.strength))) "
        f"AS raw_contribution, coalesce(g.evidence_group, s.signal) AS evidence_group "
        f"FROM ({union}) s JOIN (VALUES {weights}) w(signal, weight) USING (signal) "
        f"LEFT JOIN (VALUES {groups}) g(signal, evidence_group) USING (signal) "
        "WHERE s.subject_id IS NOT NULL AND s.strength > 0"
    )
    sql = (
        "SELECT analysis, subject_kind, subject_id, signal, strength, evidence_table, evidence_key, detail, "
        "weight, CASE WHEN row_number() OVER (PARTITION BY subject_kind, subject_id, evidence_group "
        "ORDER BY raw_contribution DESC, signal) = 1 THEN raw_contribution ELSE 0.0 END AS contribution "
        f"FROM ({weighted})"
    )
    return sql, used, skipped


def scores_sql(signals: str, analyses: list[str]) -> str:
    """Noisy-OR per subject; reasons ranked by contribution, each with its evidence's table and key.

    The reasons are ranked before they are gathered and sorted by that rank: an ordered list
    aggregate (``list(x ORDER BY y)``) has no Spark equivalent (``collect_list`` keeps no order)."""
    used = json.dumps(analyses).replace("'", "''")
    fields = (
        "signal",
        "analysis",
        "weight",
        "strength",
        "contribution",
        "detail",
        "evidence_table",
        "evidence_key",
    )
    gathered = ", ".join(f"{name} := {name}" for name in fields)
    # the key is JSON text until the list is sorted (Spark cannot order its JSON values)
    reason = (
        "struct_pack(signal := r.signal, analysis := r.analysis, weight := r.weight, "
        f"strength := {rounded('r.strength', 6)}, contribution := {rounded('r.contribution', 6)}, "
        "detail := r.detail, "
        'evidence := struct_pack("table" := r.evidence_table, "key" := json(r.evidence_key)))'
    )
    ranked = (
        "SELECT *, row_number() OVER (PARTITION BY subject_kind, subject_id "
        f"ORDER BY contribution DESC, signal, evidence_key) AS place FROM ({signals})"
    )
    return (
        "SELECT subject_kind, subject_id, "
        f"{rounded('1 - exp(sum(ln(1 - contribution)))', 6)} AS score, "
        f"CAST(to_json(list_transform(list_sort(list(struct_pack(place := place, {gathered}))), "
        f"lambda r: {reason})) AS VARCHAR) AS reasons, "
        f"CAST('{used}' AS VARCHAR) AS analyses "
        f"FROM ({ranked}) GROUP BY subject_kind, subject_id"
    )


def run_risk(backend: Backend, *, config: RiskConfig | None = None) -> RiskSummary:
    """Replace ``risk_scores`` in one transaction: readers see the old scores or the new, never half."""
    started = time.perf_counter()
    config = config or load_config()
    signals, used, skipped = signals_sql(backend, config)
    with backend.transaction("risk"):
        # The signal rows are kept for this run only: the scores and the count per signal read them.
        backend.execute(f"CREATE OR REPLACE TEMP TABLE {_SIGNAL_ROWS} AS {signals}", step="risk signals")
        backend.execute(
            f"CREATE OR REPLACE TABLE risk_scores AS {scores_sql(f'SELECT * FROM {_SIGNAL_ROWS}', used)} "
            "ORDER BY subject_kind, score DESC, subject_id",
            step="risk_scores",
        )
    counts = backend.query(
        "SELECT count(*) FILTER (WHERE subject_kind = 'member'), "
        "count(*) FILTER (WHERE subject_kind = 'merchant'), "
        "count(*) FILTER (WHERE score >= ?) FROM risk_scores",
        [float(config.case_threshold)],
        step="risk counts",
    )
    members, merchants, above = (int(column[0].as_py() or 0) for column in counts.columns)
    by_signal = backend.query(
        f"SELECT signal, count(*) AS n FROM {_SIGNAL_ROWS} GROUP BY signal ORDER BY n DESC, signal",
        step="risk signals per kind",
    ).to_pylist()
    backend.execute(f"DROP TABLE IF EXISTS {_SIGNAL_ROWS}", step="risk: drop signal rows")
    return RiskSummary(
        analyses=used,
        skipped=skipped,
        members=members,
        merchants=merchants,
        at_or_above_case=above,
        case_threshold=config.case_threshold,
        weights=config.source,
        seconds=round(time.perf_counter() - started, 3),
        by_signal={str(row["signal"]): int(row["n"]) for row in by_signal},
    )
