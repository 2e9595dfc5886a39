"""Risk: one score per member and merchant from every analysis that has run.

Design: docs/capabilities.md, "Risk, rules and cases".

``run_risk`` reads the result tables of pyramid/, rings/, credit/ and compare/ (whichever exist), turns
them into weighted signals (``weights.toml``, or a file of the same shape) and writes
``risk_scores``: subject_kind ('member' | 'merchant'), subject_id, score in [0, 1] (a noisy-OR
of weight × strength over the subject's signals), reasons (JSON list, strongest first: signal,
analysis, weight, strength, contribution, detail, evidence {table, key}) and analyses (JSON list
of the analyses used). Subjects without any signal have no row: their score is 0.
``evaluate_risk`` scores a run against a generated world's ``truth/`` folder.
"""

from __future__ import annotations

from ._analysis import INPUT_TABLES, RESULT_TABLES, RiskSummary, run_risk
from ._config import RiskConfig, load_config, parse_config
from ._errors import RiskError
from ._evaluate import KindMetric, evaluate_risk, planted_sets
from ._sources import SIGNALS, SOURCES, Source

__all__ = [
    "INPUT_TABLES",
    "RESULT_TABLES",
    "SIGNALS",
    "SOURCES",
    "KindMetric",
    "RiskConfig",
    "RiskError",
    "RiskSummary",
    "Source",
    "evaluate_risk",
    "load_config",
    "parse_config",
    "planted_sets",
    "run_risk",
]
