"""Rules: analyst-written, versioned rules over findings and figures, lists, backtests.

Design: docs/capabilities.md, "Risk, rules and cases".

A rules file (TOML, see ``_model``) holds rules (id, version, author, reason, subject, points,
open_case, enabled, conditions over risk signals and result-table figures) and allow/deny lists.
``backtest`` runs a rule over the stored history and reports its hits beside planted truth and
case outcomes; ``apply_rules`` writes the enabled rules' hits to ``rule_hits`` (and every rule
version to ``rule_versions``), with the same query, so a backtest's count is what the rule
flags when switched on. Rule points are recorded with each hit; they do not change risk scores.
"""

from __future__ import annotations

from ._errors import RuleError
from ._model import Condition, IdList, Rule, RuleSet, load_rules, parse_rules
from ._run import Applied, Backtest, apply_rules, backtest, hits_sql, rule_hits

__all__ = [
    "Applied",
    "Backtest",
    "Condition",
    "IdList",
    "Rule",
    "RuleError",
    "RuleSet",
    "apply_rules",
    "backtest",
    "hits_sql",
    "load_rules",
    "parse_rules",
    "rule_hits",
]
