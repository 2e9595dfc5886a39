"""Where risk signals come from: one small function per analysis.

A source turns one analysis's result tables into signal rows, one per subject and signal:

    subject_kind ('member' | 'merchant'), subject_id, signal, strength (0..1),
    evidence_table, evidence_key (a JSON object of the key columns), detail (a sentence)

To add an analysis (``provenance_findings`` or ``compare/`` as they land), write a function that
returns that SQL, list the tables it reads and the signals it emits in a :class:`Source`, add it
to ``SOURCES`` and give its signals a weight in ``weights.toml``. A source whose tables are
missing (the analysis has not run) is skipped, and the scores say which analyses they used.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from . import _provenance

# credit thresholds below which a merchant's figures are no signal at all
MIN_ORDERS_60D = 10
DEFECT_FROM, DEFECT_FULL = 0.10, 0.40
MIN_RATINGS = 10
POSITIVE_FROM, POSITIVE_FULL = 0.95, 0.70
BRUSHING_ORDERS_FULL = 10

S1 = "cn-2013-opinions-s1"  # organizer or leader
S4 = "cn-2013-opinions-s4"  # "serious"
ART24 = "cn-direct-selling-art24"


@dataclass(frozen=True)
class Source:
    analysis: str
    tables: tuple[str, ...]
    signals: tuple[str, ...]
    sql: Callable[[], str]


def _key(**columns: str) -> str:
    """A JSON object of key columns, as text: ``_key(rule_id="f.rule_id")``.

    Spelt ``to_json(struct_pack(...))`` rather than ``json_object``: the same text on DuckDB, and
    Spark has ``to_json(struct(...))`` but no ``json_object``. The columns are in name order, as
    Spark lists an object's keys once the reasons nest it (``parse_json``)."""
    fields = ", ".join(f"{name} := {expression}" for name, expression in sorted(columns.items()))
    return f"CAST(to_json(struct_pack({fields})) AS VARCHAR)"


def _pyramid_sql() -> str:
    findings = (
        "SELECT 'member' AS subject_kind, subject_id, "
        f"CASE rule_id WHEN '{S1}' THEN 'pyramid_organizer' WHEN '{S4}' THEN 'pyramid_serious' "
        "ELSE 'direct_selling_pay_cap' END AS signal, 1.0 AS strength, "
        f"'pyramid_findings' AS evidence_table, {_key(rule_id='rule_id', subject_id='subject_id')} "
        "AS evidence_key, min(explanation) AS detail FROM pyramid_findings "
        f"WHERE subject_kind = 'member' AND result = 'met' AND rule_id IN ('{S1}', '{S4}', '{ART24}') "
        "GROUP BY rule_id, subject_id"
    )
    in_pyramid = (
        "FROM pyramid_members m JOIN pyramid_networks n ON n.network_id = m.network_id AND n.is_pyramid "
    )
    network_key = _key(network_id="n.network_id")
    participant = (
        "SELECT 'member', m.member_id, 'pyramid_participant', 1.0, 'pyramid_networks', "
        f"{network_key}, 'takes part in network ' || n.network_id || ', judged a pyramid (' || "
        f"n.members || ' members over ' || n.levels || ' levels)' {in_pyramid}WHERE m.participant"
    )
    recruitment = (
        "SELECT 'member', m.member_id, 'pyramid_recruitment_income', 1.0, 'pyramid_members', "
        f"{_key(member_id='m.member_id')}, 'received ' || "
        "round(m.commission_recruitment + m.fees_received, 2) || ' in recruitment pay and fees in network ' "
        f"|| n.network_id || ', judged a pyramid' {in_pyramid}"
        "WHERE m.commission_recruitment + m.fees_received > 0"
    )
    issues = (
        "SELECT 'member', member_id, 'recruitment_record_issue', 1.0, 'pyramid_issues', "
        f"{_key(member_id='member_id')}, 'recruitment records: ' "
        "|| string_agg(DISTINCT issue, ', ' ORDER BY issue) "
        "FROM pyramid_issues GROUP BY member_id"
    )
    runs = (
        "SELECT 'merchant', s.merchant_id, 'owner_runs_pyramid', 1.0, 'pyramid_networks', "
        f"{network_key}, 'owner ' || s.member_id || ' heads network ' || n.network_id || ', judged a "
        "pyramid (' || n.members || ' members over ' || n.levels || ' levels)' FROM merchants s "
        "JOIN pyramid_networks n ON n.network_id = s.member_id AND n.is_pyramid"
    )
    organizer = (
        "SELECT 'merchant', s.merchant_id, 'owner_pyramid_organizer', 1.0, 'pyramid_findings', "
        f"{_key(rule_id='f.rule_id', subject_id='f.subject_id')}, 'owner ' || s.member_id || "
        "' is an organizer or leader: ' || min(f.explanation) FROM merchants s JOIN pyramid_findings f "
        f"ON f.subject_id = s.member_id AND f.subject_kind = 'member' AND f.rule_id = '{S1}' "
        "AND f.result = 'met' GROUP BY s.merchant_id, s.member_id, f.rule_id, f.subject_id"
    )
    return "\nUNION ALL ".join((findings, participant, recruitment, issues, runs, organizer))


def _rings_sql() -> str:
    accounts = (
        "SELECT 'member' AS subject_kind, member_id AS subject_id, 'ring_account' AS signal, "
        "score AS strength, 'ring_member_scores' AS evidence_table, "
        f"{_key(member_id='member_id')} AS evidence_key, "
        "coalesce('ring ' || ring_id || ': ', '') || coalesce(reasons, 'flagged') AS detail "
        "FROM ring_member_scores WHERE flagged"
    )
    boosted = (
        "SELECT 'merchant', merchant_id, 'ring_boosted_shop', max(score), 'ring_groups', "
        f"{_key(ring_id='arg_max(ring_id, score)')}, "
        "count(*) || ' ring(s) boosting this shop; strongest: ' || arg_max(evidence, score) "
        "FROM ring_groups GROUP BY merchant_id"
    )
    orders = (
        "SELECT 'merchant', merchant_id, 'brushing_orders', "
        f"least(1.0, count(*) / {BRUSHING_ORDERS_FULL}.0), "
        f"'ring_order_scores', {_key(merchant_id='merchant_id', flagged='TRUE')}, "
        "count(*) || ' orders flagged as brushing' FROM ring_order_scores WHERE flagged GROUP BY merchant_id"
    )
    return "\nUNION ALL ".join((accounts, boosted, orders))


def _credit_sql() -> str:
    key = _key(merchant_id="merchant_id")
    brushed = (
        "SELECT 'merchant' AS subject_kind, merchant_id AS subject_id, 'credit_brushing_flagged' AS signal, "
        f"1.0 AS strength, 'credit_merchants' AS evidence_table, {key} AS evidence_key, "
        "flagged_orders || ' brushing orders removed from its credit' AS detail "
        "FROM credit_merchants WHERE brushing_flagged"
    )
    defects = (
        "SELECT 'merchant', merchant_id, 'high_defect_rate', "
        f"least(1.0, (defect_rate_60d - {DEFECT_FROM}) / {DEFECT_FULL - DEFECT_FROM}), 'credit_merchants', "
        f"{key}, 'defect rate over 60 days ' || round(100 * defect_rate_60d, 1) || '% (' || "
        "defect_orders_60d || ' of ' || orders_60d || ' orders)' FROM credit_merchants "
        f"WHERE orders_60d >= {MIN_ORDERS_60D} AND defect_rate_60d > {DEFECT_FROM}"
    )
    positive = (
        "SELECT 'merchant', merchant_id, 'low_positive_rate', "
        f"least(1.0, ({POSITIVE_FROM} - positive_rate_smoothed) / {POSITIVE_FROM - POSITIVE_FULL}), "
        f"'credit_merchants', {key}, 'positive rate ' || round(100 * positive_rate_smoothed, 1) || "
        "'% smoothed (' || positive || ' positive of ' || ratings_counted || ' counted ratings)' "
        f"FROM credit_merchants WHERE ratings_counted >= {MIN_RATINGS} "
        f"AND positive_rate_smoothed < {POSITIVE_FROM}"
    )
    return "\nUNION ALL ".join((brushed, defects, positive))


from ._compare_source import SOURCE as COMPARE_SOURCE  # noqa: E402 (it builds on Source and _key)

SOURCES: tuple[Source, ...] = (
    Source(
        "pyramid",
        ("pyramid_findings", "pyramid_members", "pyramid_networks", "pyramid_issues", "merchants"),
        (
            "pyramid_organizer",
            "pyramid_serious",
            "direct_selling_pay_cap",
            "pyramid_participant",
            "pyramid_recruitment_income",
            "recruitment_record_issue",
            "owner_runs_pyramid",
            "owner_pyramid_organizer",
        ),
        _pyramid_sql,
    ),
    Source(
        "rings",
        ("ring_member_scores", "ring_groups", "ring_order_scores"),
        ("ring_account", "ring_boosted_shop", "brushing_orders"),
        _rings_sql,
    ),
    Source(
        "credit",
        ("credit_merchants",),
        ("credit_brushing_flagged", "high_defect_rate", "low_positive_rate"),
        _credit_sql,
    ),
    COMPARE_SOURCE,
    Source("provenance", _provenance.TABLES, _provenance.SIGNALS, _provenance.provenance_sql),
)

SIGNALS: dict[str, str] = {signal: source.analysis for source in SOURCES for signal in source.signals}
