"""Rules against the store: which subjects a rule hits, a backtest, and applying the enabled rules.

A rule's hits are computed by one parameterised query: table and column names in a rule are
checked against the store's catalogue (and quoted), values are bind parameters. The backtest
and ``apply_rules`` run the very same query, so a backtest's count is what the rule flags when
it is switched on.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb

from sentinella import audit

from ._errors import RuleError
from ._model import IdList, Rule, RuleSet

_UNIVERSE = {"member": ("members", "member_id"), "merchant": ("merchants", "merchant_id")}
HITS_TABLE, VERSIONS_TABLE = "rule_hits", "rule_versions"


def _columns(connection: duckdb.DuckDBPyConnection, table: str) -> set[str]:
    rows = connection.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_name = ?", [table]
    ).fetchall()
    return {str(r[0]) for r in rows}


def hits_sql(connection: duckdb.DuckDBPyConnection, rule: Rule, lists: list[IdList]) -> tuple[str, list[Any]]:
    """The query listing the IDs ``rule`` hits (allow-listed subjects left out), and its parameters."""
    table, key = _UNIVERSE[rule.subject]
    where, params = [], list[Any]()
    for number, condition in enumerate(rule.when, 1):
        at = f"rule {rule.id}: when {number}"
        if condition.signal is not None:
            if not _columns(connection, "risk_scores"):
                raise RuleError(f"{at}: signals come from risk_scores; run `sentinella risk` first")
            where.append(
                "u.id IN (SELECT r.subject_id FROM risk_scores r, unnest(from_json(r.reasons, "
                '\'[{"signal": "VARCHAR", "strength": "DOUBLE"}]\')) AS t(x) '
                "WHERE r.subject_kind = ? AND x.signal = ? AND x.strength >= ?)"
            )
            params += [rule.subject, condition.signal, condition.min_strength]
            continue
        assert condition.table is not None and condition.column is not None
        columns = _columns(connection, condition.table)
        if not columns:
            raise RuleError(f"{at}: no table {condition.table!r} in the store")
        if condition.column not in columns:
            raise RuleError(f"{at}: {condition.table} has no column {condition.column!r}")
        if condition.table == "risk_scores":
            inner, extra = "subject_id", ["subject_kind = ?"]
            params_extra: list[Any] = [rule.subject]
        elif key in columns:
            inner, extra, params_extra = key, [], []
        else:
            raise RuleError(
                f"{at}: {condition.table} is not keyed by {key}, so it says nothing about a {rule.subject}"
            )
        filters = " AND ".join([*extra, f'"{condition.column}" {condition.op} ?'])
        where.append(f'u.id IN (SELECT "{inner}" FROM "{condition.table}" WHERE {filters})')
        params += [*params_extra, condition.value]
    allowed = sorted(
        {i for lst in lists if lst.subject == rule.subject and lst.action == "allow" for i in lst.ids}
    )
    if allowed:
        where.append(f"u.id NOT IN ({', '.join('?' * len(allowed))})")
        params += allowed
    sql = f"SELECT DISTINCT u.{key} AS id FROM {table} u WHERE " + " AND ".join(where)
    return sql.replace("u.id", f"u.{key}"), params


def rule_hits(connection: duckdb.DuckDBPyConnection, rule: Rule, lists: list[IdList]) -> list[str]:
    sql, params = hits_sql(connection, rule, lists)
    try:
        rows = connection.execute(f"{sql} ORDER BY id", params).fetchall()
    except duckdb.Error as error:
        raise RuleError(f"rule {rule.id}: cannot run: {str(error).splitlines()[0]}") from error
    return [str(r[0]) for r in rows]


@dataclass
class Backtest:
    rule_id: str
    version: int
    subject: str
    hits: int
    sample: list[str]
    truth: dict[str, int] = field(default_factory=dict)  # planted kind -> hits among them
    cases: dict[str, int] = field(default_factory=dict)  # case outcome -> hits with that outcome

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def backtest(
    connection: duckdb.DuckDBPyConnection, rule: Rule, lists: list[IdList], *, truth: Path | None = None
) -> Backtest:
    """What a draft rule would hit on the stored history, beside planted truth and case outcomes."""
    hits = rule_hits(connection, rule, lists)
    result = Backtest(rule.id, rule.version, rule.subject, len(hits), hits[:20])
    if not hits:
        return result
    name = "__rule_backtest_hits"
    connection.execute(f"CREATE OR REPLACE TEMP TABLE {name} (id VARCHAR)")
    connection.executemany(f"INSERT INTO {name} VALUES (?)", [[h] for h in hits])
    try:
        if truth is not None:
            from sentinella.risk import planted_sets

            bad, _, lookalikes = planted_sets(truth)
            for kind, ids in {**bad[rule.subject], **lookalikes[rule.subject]}.items():
                count = connection.execute(f"SELECT count(*) FROM {name} WHERE id IN ({ids})").fetchall()
                result.truth[kind] = int(count[0][0])
            every_bad = " UNION ".join(bad[rule.subject].values())
            count = connection.execute(
                f"SELECT count(*) FROM {name} WHERE id NOT IN ({every_bad})"
            ).fetchall()
            result.truth["not_planted"] = int(count[0][0])
        if _columns(connection, "cases"):
            for status, count in connection.execute(
                "SELECT c.status, count(DISTINCT c.subject_id) FROM cases c "
                f"JOIN {name} h ON h.id = c.subject_id "
                "WHERE c.subject_kind = ? GROUP BY c.status ORDER BY c.status",
                [rule.subject],
            ).fetchall():
                result.cases[str(status)] = int(count)
    finally:
        connection.execute(f"DROP TABLE {name}")
    return result


def _record_versions(
    connection: duckdb.DuckDBPyConnection, rules: list[Rule], actor: str, at: dt.datetime
) -> None:
    connection.execute(
        f"""CREATE TABLE IF NOT EXISTS {VERSIONS_TABLE} (
            rule_id VARCHAR NOT NULL, version INTEGER NOT NULL, author VARCHAR NOT NULL,
            reason VARCHAR NOT NULL, definition VARCHAR NOT NULL, recorded_by VARCHAR NOT NULL,
            recorded_at TIMESTAMPTZ NOT NULL)"""
    )
    for rule in rules:
        stored = connection.execute(
            f"SELECT definition FROM {VERSIONS_TABLE} WHERE rule_id = ? AND version = ?",
            [rule.id, rule.version],
        ).fetchall()
        if stored and json.loads(stored[0][0]) != json.loads(rule.source):
            raise RuleError(
                f"rule {rule.id}: version {rule.version} is stored with a different definition; "
                "give the changed rule a new version"
            )
        if not stored:
            connection.execute(
                f"INSERT INTO {VERSIONS_TABLE} VALUES (?, ?, ?, ?, ?, ?, ?)",
                [rule.id, rule.version, rule.author, rule.reason, rule.source, actor, at],
            )


@dataclass
class Applied:
    rules: dict[str, int]  # rule (or list:NAME) -> hits
    cases_opened: int


def apply_rules(connection: duckdb.DuckDBPyConnection, ruleset: RuleSet, *, actor: str) -> Applied:
    """Replace ``rule_hits`` with the enabled rules' hits and the deny lists, in one transaction.

    Every rule's version is kept in ``rule_versions`` (a changed rule needs a new version);
    rules with ``open_case`` open a case for each hit that has no active one.
    """
    from sentinella.cases import ensure_tables, open_case

    enabled = [r for r in ruleset.rules if r.enabled]
    found = {rule.id: rule_hits(connection, rule, ruleset.lists) for rule in enabled}
    at = audit.now()
    ensure_tables(connection)
    opened = 0
    connection.execute("BEGIN TRANSACTION")
    try:
        _record_versions(connection, ruleset.rules, actor, at)
        connection.execute(
            f"CREATE OR REPLACE TABLE {HITS_TABLE} (rule_id VARCHAR, version INTEGER, subject_kind VARCHAR, "
            "subject_id VARCHAR, points INTEGER, reason VARCHAR, applied_at TIMESTAMPTZ)"
        )
        rows: list[list[Any]] = []
        for rule in enabled:
            rows += [
                [rule.id, rule.version, rule.subject, h, rule.points, rule.reason, at] for h in found[rule.id]
            ]
        for lst in ruleset.lists:
            if lst.action == "deny":
                rows += [
                    [f"list:{lst.name}", None, lst.subject, i, None, "on deny list", at] for i in lst.ids
                ]
        if rows:
            connection.executemany(f"INSERT INTO {HITS_TABLE} VALUES (?, ?, ?, ?, ?, ?, ?)", rows)
        audit.record(
            connection,
            actor=actor,
            action="rules.apply",
            target_kind="rules",
            target_id=ruleset.origin,
            after=json.dumps({r.id: len(found[r.id]) for r in enabled}),
            at=at,
        )
    except BaseException:
        connection.execute("ROLLBACK")
        raise
    connection.execute("COMMIT")
    for rule in enabled:
        if rule.open_case:
            for subject in found[rule.id]:
                _, new = open_case(
                    connection,
                    subject_kind=rule.subject,
                    subject_id=subject,
                    actor=actor,
                    title=f"rule {rule.id} v{rule.version}: {rule.reason}"[:500],
                    source=f"rule:{rule.id}",
                )
                opened += int(new)
    counts = {rule.id: len(found[rule.id]) for rule in enabled}
    counts.update({f"list:{lst.name}": len(lst.ids) for lst in ruleset.lists if lst.action == "deny"})
    return Applied(counts, opened)
