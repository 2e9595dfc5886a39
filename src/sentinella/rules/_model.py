"""Analyst rules as data: a TOML file of versioned rules with an author and a reason, and lists.

[[rule]]
id = "brushed-and-defective"          # letters, digits, '-' and '_'
version = 2                           # a new version for every change
author = "ana"
reason = "brushing plus many refunds: the buyers were paid back"
subject = "merchant"                  # member | merchant
points = 30                           # what a hit is worth (recorded with the hit)
open_case = true                      # when applied, hits open a case
enabled = false                       # a draft: backtest it first
[[rule.when]]                         # every condition must hold
signal = "credit_brushing_flagged"    # a risk signal (risk_scores.reasons), optional min_strength
[[rule.when]]
figure = "credit_merchants.defect_rate_60d"   # table.column of a result keyed by the subject
op = ">="                             # < <= > >= = !=
value = 0.2

[[list]]
name = "trusted-shops"
subject = "merchant"
action = "allow"                      # allow: never hit by a rule; deny: always hit
ids = ["S00000001"]
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ._errors import RuleError

SUBJECTS = ("member", "merchant")
OPS = ("<", "<=", ">", ">=", "=", "!=")
_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")
_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,63}$")
_RULE_KEYS = {"id", "version", "author", "reason", "subject", "points", "open_case", "enabled", "when"}


@dataclass(frozen=True)
class Condition:
    signal: str | None = None
    min_strength: float = 0.0
    table: str | None = None
    column: str | None = None
    op: str = ">="
    value: float | str | bool | None = None


@dataclass(frozen=True)
class Rule:
    id: str
    version: int
    author: str
    reason: str
    subject: str
    points: int
    open_case: bool
    enabled: bool
    when: tuple[Condition, ...]
    source: str = ""  # the rule's TOML text as stored, for the version history


@dataclass(frozen=True)
class IdList:
    name: str
    subject: str
    action: str  # allow | deny
    ids: tuple[str, ...]


@dataclass
class RuleSet:
    rules: list[Rule] = field(default_factory=list)
    lists: list[IdList] = field(default_factory=list)
    origin: str = ""


def _get(
    table: dict[str, Any], key: str, kind: type | tuple[type, ...], where: str, default: Any = ...
) -> Any:
    if key not in table:
        if default is ...:
            raise RuleError(f"{where}: {key} is required")
        return default
    value = table[key]
    if (
        isinstance(value, bool)
        and kind is not bool
        and bool not in (kind if isinstance(kind, tuple) else (kind,))
    ):
        raise RuleError(f"{where}: {key} must be {getattr(kind, '__name__', kind)}, found {value!r}")
    if not isinstance(value, kind):
        raise RuleError(f"{where}: {key} must be {getattr(kind, '__name__', kind)}, found {value!r}")
    return value


def _condition(raw: Any, where: str) -> Condition:
    if not isinstance(raw, dict):
        raise RuleError(f"{where}: each when entry is a table")
    unknown = sorted(set(raw) - {"signal", "min_strength", "figure", "op", "value"})
    if unknown:
        raise RuleError(f"{where}: unknown key {unknown[0]!r}")
    if ("signal" in raw) == ("figure" in raw):
        raise RuleError(f"{where}: give either signal or figure")
    if "signal" in raw:
        signal = _get(raw, "signal", str, where)
        if not _NAME.match(signal):
            raise RuleError(f"{where}: signal {signal!r} is not a signal name")
        strength = float(_get(raw, "min_strength", (int, float), where, 0.0))
        if not 0 <= strength <= 1:
            raise RuleError(f"{where}: min_strength must lie in [0, 1], found {strength:g}")
        return Condition(signal=signal, min_strength=strength)
    figure = _get(raw, "figure", str, where)
    table, _, column = figure.partition(".")
    if not _NAME.match(table) or not _NAME.match(column):
        raise RuleError(f"{where}: figure must be table.column, found {figure!r}")
    op = _get(raw, "op", str, where)
    if op not in OPS:
        raise RuleError(f"{where}: op must be one of {' '.join(OPS)}, found {op!r}")
    value = _get(raw, "value", (int, float, str, bool), where)
    return Condition(table=table, column=column, op=op, value=value)


def parse_rules(text: str, origin: str) -> RuleSet:
    """Validate a rules file; errors name the file, the rule and the field."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise RuleError(f"{origin}: not valid TOML: {error}") from error
    unknown = sorted(set(data) - {"rule", "list"})
    if unknown:
        raise RuleError(f"{origin}: unknown key {unknown[0]!r} (a rules file holds [[rule]] and [[list]])")
    found = RuleSet(origin=origin)
    seen: set[str] = set()
    for index, raw in enumerate(data.get("rule", [])):
        where = f"{origin}: rule {index + 1}"
        if not isinstance(raw, dict):
            raise RuleError(f"{where}: must be a table")
        rule_id = _get(raw, "id", str, where)
        if not _ID.match(rule_id):
            raise RuleError(f"{where}: id {rule_id!r} may hold letters, digits, '-' and '_' (64 at most)")
        where = f"{origin}: rule {rule_id}"
        if rule_id in seen:
            raise RuleError(f"{where}: id appears twice in the file")
        seen.add(rule_id)
        extra = sorted(set(raw) - _RULE_KEYS)
        if extra:
            raise RuleError(f"{where}: unknown key {extra[0]!r}")
        version = _get(raw, "version", int, where)
        if version < 1:
            raise RuleError(f"{where}: version must be ≥ 1")
        subject = _get(raw, "subject", str, where)
        if subject not in SUBJECTS:
            raise RuleError(f"{where}: subject must be member or merchant, found {subject!r}")
        when = raw.get("when", [])
        if not isinstance(when, list) or not when:
            raise RuleError(f"{where}: when needs at least one condition")
        conditions = tuple(_condition(c, f"{where}: when {i + 1}") for i, c in enumerate(when))
        found.rules.append(
            Rule(
                id=rule_id,
                version=version,
                author=_get(raw, "author", str, where).strip() or _missing(where, "author"),
                reason=_get(raw, "reason", str, where).strip() or _missing(where, "reason"),
                subject=subject,
                points=_get(raw, "points", int, where, 0),
                open_case=_get(raw, "open_case", bool, where, False),
                enabled=_get(raw, "enabled", bool, where, False),
                when=conditions,
                source=tomllib_dump(raw),
            )
        )
    for index, raw in enumerate(data.get("list", [])):
        where = f"{origin}: list {index + 1}"
        if not isinstance(raw, dict):
            raise RuleError(f"{where}: must be a table")
        name = _get(raw, "name", str, where)
        where = f"{origin}: list {name}"
        subject = _get(raw, "subject", str, where)
        if subject not in SUBJECTS:
            raise RuleError(f"{where}: subject must be member or merchant, found {subject!r}")
        action = _get(raw, "action", str, where)
        if action not in ("allow", "deny"):
            raise RuleError(f"{where}: action must be allow or deny, found {action!r}")
        ids = _get(raw, "ids", list, where)
        if not all(isinstance(i, str) and i for i in ids):
            raise RuleError(f"{where}: ids must be a list of IDs (strings)")
        found.lists.append(IdList(name, subject, action, tuple(ids)))
    return found


def _missing(where: str, key: str) -> str:
    raise RuleError(f"{where}: {key} must not be empty")


def tomllib_dump(raw: dict[str, Any]) -> str:
    """A stable text of one rule (sorted JSON), stored with each version."""
    import json

    return json.dumps(raw, sort_keys=True, ensure_ascii=False)


def load_rules(path: Path) -> RuleSet:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise RuleError(f"{path}: cannot read rules: {error}") from error
    return parse_rules(text, str(path))
