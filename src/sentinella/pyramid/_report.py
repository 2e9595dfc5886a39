"""The evidence report an investigator files: one network, its tree, its money, its tests."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape

from sentinella import __version__
from sentinella.engine import Backend

from ._errors import PyramidError

_LEVEL_SQL = """
SELECT level, count(*) AS members, sum(direct_recruits) AS recruits, sum(fees_paid) AS fees_paid,
       sum(rewards) AS rewards, sum(own_sales_outside) AS sales_outside,
       sum(own_sales_inside) AS sales_inside, avg(CASE WHEN net_income < 0 THEN 1.0 ELSE 0 END) AS losing,
       avg(CASE WHEN rewards <= 0 THEN 1.0 ELSE 0 END) AS no_income
FROM pyramid_members WHERE network_id = ? AND in_network GROUP BY level ORDER BY level
"""


class ReportError(PyramidError):
    """The report cannot be made (no results yet, unknown network)."""


def _rows(backend: Backend, sql: str, params: list[Any]) -> list[dict[str, Any]]:
    return backend.rows(sql, params, step="pyramid report")


def _store_fingerprint(path: str) -> str:
    if path in ("", ":memory:") or not Path(path).exists():
        return "in-memory store"
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return "sha256:" + digest.hexdigest()


def render_report(backend: Backend, network_id: str, *, store_path: str = "") -> str:
    """HTML for one network; raises ReportError when the analysis has not run or the ID is unknown."""
    if not backend.table_exists("pyramid_networks"):
        raise ReportError("no pyramid results in this store: run `sentinella pyramid --db FILE` first")
    network = _rows(backend, "SELECT * FROM pyramid_networks WHERE network_id = ?", [network_id])
    if not network:
        top = _rows(backend, "SELECT network_id FROM pyramid_networks ORDER BY members DESC LIMIT 5", [])
        hint = ", ".join(r["network_id"] for r in top)
        raise ReportError(f"no network {network_id!r}; the largest are: {hint}")
    findings = _rows(
        backend,
        "SELECT * FROM pyramid_findings WHERE network_id = ? AND subject_kind = 'network' "
        "ORDER BY jurisdiction, rule_id",
        [network_id],
    )
    for finding in findings:
        finding["figures"] = json.loads(finding["figures"])
    member_findings = _rows(
        backend,
        "SELECT jurisdiction, rule_id, citation, count(*) AS members FROM pyramid_findings "
        "WHERE network_id = ? AND subject_kind = 'member' GROUP BY ALL ORDER BY jurisdiction, rule_id",
        [network_id],
    )
    organizers = _rows(
        backend,
        "SELECT f.subject_id AS member_id, f.explanation, m.level, "
        "coalesce(m.person_id, m.member_id) AS person_id, m.person_headcount, "
        "m.person_levels, m.fees_in_downline, m.rewards, m.net_income FROM pyramid_findings f "
        "JOIN pyramid_members m ON m.member_id = f.subject_id "
        "WHERE f.network_id = ? AND f.rule_id = 'cn-2013-opinions-s1' AND f.subject_kind = 'member' "
        "AND f.result = 'met' "
        "ORDER BY m.person_headcount DESC, m.level LIMIT 50",
        [network_id],
    )
    flows = (
        _rows(
            backend,
            "SELECT c.kind, c.basis, c.level, sum(c.payments) AS payments, sum(c.amount) AS amount "
            "FROM pyramid_flows c JOIN pyramid_members m ON m.member_id = c.member_id "
            "WHERE m.network_id = ? GROUP BY ALL ORDER BY c.kind, c.basis NULLS LAST, c.level",
            [network_id],
        )
        if backend.table_exists("pyramid_flows")
        else []
    )
    issues = _rows(
        backend,
        "SELECT i.issue, count(*) AS members, min(i.member_id) AS example FROM pyramid_issues i "
        "JOIN pyramid_members m ON m.member_id = i.member_id WHERE m.network_id = ? GROUP BY ALL",
        [network_id],
    )
    merged = _rows(
        backend,
        "SELECT l.member_id, l.linked_member_id, l.identifier FROM pyramid_person_links l "
        "JOIN pyramid_members m ON m.member_id = l.member_id WHERE m.network_id = ? LIMIT 100",
        [network_id],
    )
    levels = _rows(backend, _LEVEL_SQL, [network_id])
    peak = max((row["members"] for row in levels), default=1)
    environment = Environment(
        loader=PackageLoader("sentinella.pyramid", "templates"), autoescape=select_autoescape(["html"])
    )
    return environment.get_template("report.html").render(
        network=network[0],
        findings=findings,
        member_findings=member_findings,
        organizers=organizers,
        flows=flows,
        issues=issues,
        merged=merged,
        levels=levels,
        peak=peak,
        generated=dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        version=__version__,
        store=store_path or "in-memory store",
        fingerprint=_store_fingerprint(store_path),
    )
