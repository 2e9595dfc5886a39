"""The evidence report of one recruitment network.

A network is a tree of the person forest (``pyramid/_metrics.py``): accounts merged on an ID
number or a bank account are one person, and the organizations one person leads through
several accounts are one network, as the 2013 Opinion §1 ¶2 adds their numbers up. Every figure
is a row of the pyramid_* tables; everything that can be long (levels, organizers, members) is
bounded here, with the full list in a CSV written beside the HTML.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from sentinella.engine import Backend

from . import _format
from ._core import Report, ReportError, csv_attachment, literal, one, render, rows
from ._legal_texts import SOURCE, legal_texts
from ._svg import MOST_DRAWN, Person, Row, network_svg

ORGANIZER_RULE = "cn-2013-opinions-s1"
GATE = "Criminal Law art. 224-1 (组织、领导传销活动罪) — gate of the criminal tests"
LEVEL_ROWS = 20
"""At most this many rows in the level table (levels are grouped into ranges beyond)."""
PICTURE_ROWS = 14
TOP_ORGANIZERS = 10
MEMBER_ROWS = 200
"""Members listed in the HTML; the CSV beside it has all of them."""
PYRAMID_INPUTS = ("members", "payments", "orders", "merchants")

_MET = (
    f"SELECT DISTINCT subject_id AS member_id FROM pyramid_findings WHERE rule_id = '{ORGANIZER_RULE}' "
    "AND subject_kind = 'member' AND result = 'met' AND network_id = ?"
)
_LEVELS = f"""
WITH met AS ({_MET})
SELECT p.level, count(*) AS accounts, count(DISTINCT coalesce(p.person_id, p.member_id)) AS people,
       count(DISTINCT coalesce(p.person_id, p.member_id)) FILTER (WHERE met.member_id IS NOT NULL)
           AS organizers,
       sum(p.direct_recruits) AS recruits, sum(p.fees_paid) AS fees_paid, sum(p.rewards) AS rewards,
       sum(p.own_sales_outside) AS sales_outside, sum(p.own_sales_inside) AS sales_inside,
       count(*) FILTER (WHERE p.net_income < 0) AS losing, count(*) FILTER (WHERE p.rewards <= 0) AS no_income
FROM pyramid_members p LEFT JOIN met USING (member_id)
WHERE p.network_id = ? AND p.in_network GROUP BY p.level ORDER BY p.level
"""
_SUMMED: tuple[str, ...] = (
    "accounts",
    "people",
    "organizers",
    "recruits",
    "fees_paid",
    "rewards",
    "sales_outside",
)
_SUMMED += ("sales_inside", "losing", "no_income")


def _members_select(network_id: str) -> str:
    """Who recruited whom, one row per account (the CSV and the table share it)."""
    net = literal(network_id)
    return (
        "WITH met AS (SELECT DISTINCT subject_id AS member_id FROM pyramid_findings "
        f"WHERE rule_id = '{ORGANIZER_RULE}' AND subject_kind = 'member' AND result = 'met' "
        f"AND network_id = {net}), "
        "inferred AS (SELECT member_id, regexp_extract(detail, 'inferred (.+) from [0-9]+ level-1', 1) "
        "AS sponsor FROM pyramid_issues WHERE issue = 'sponsor_inferred') "
        "SELECT p.member_id, coalesce(p.person_id, p.member_id) AS person_id, "
        "coalesce(m.sponsor_id, inferred.sponsor) AS sponsor_id, p.sponsor_inferred, p.sponsor_cut, "
        "p.level, p.direct_recruits, p.person_headcount AS people_in_own_organization, "
        "p.person_levels AS levels_in_own_organization, met.member_id IS NOT NULL AS meets_s1_numbers, "
        "p.fees_paid, p.rewards, p.net_income "
        "FROM pyramid_members p JOIN members m ON m.member_id = p.member_id "
        "LEFT JOIN met ON met.member_id = p.member_id LEFT JOIN inferred ON inferred.member_id = p.member_id "
        f"WHERE p.network_id = {net} AND p.in_network ORDER BY p.level, p.member_id"
    )


def _picture(
    backend: Backend, network_id: str, levels: list[dict[str, Any]], title: str, currency: str
) -> str:
    numbers = [int(r["level"]) for r in levels]
    ranges = _format.level_ranges(numbers, PICTURE_ROWS)
    grouped = _format.group_levels(levels, ranges, _SUMMED)
    narrow = [
        a for (a, b), g in zip(ranges, grouped, strict=True) if a == b and 0 < g["people"] <= MOST_DRAWN
    ]
    drawn: dict[int, list[Person]] = {}
    if narrow:
        people = rows(
            backend,
            f"WITH met AS ({_MET}) "
            "SELECT p.level, coalesce(p.person_id, p.member_id) AS person, count(*) AS accounts, "
            "bool_or(met.member_id IS NOT NULL) AS organizer, "
            "min(coalesce(s.person_id, s.member_id)) FILTER (WHERE s.network_id = p.network_id) AS sponsor "
            "FROM pyramid_members p JOIN members m ON m.member_id = p.member_id "
            "LEFT JOIN pyramid_members s ON s.member_id = m.sponsor_id "
            "LEFT JOIN met ON met.member_id = p.member_id "
            f"WHERE p.network_id = ? AND p.in_network AND p.level IN ({', '.join(map(str, narrow))}) "
            "GROUP BY ALL ORDER BY p.level, sponsor NULLS FIRST, person",
            [network_id, network_id],
        )
        for r in people:
            drawn.setdefault(int(r["level"]), []).append(
                Person(str(r["person"]), int(r["accounts"]), bool(r["organizer"]), r["sponsor"])
            )
    picture_rows = [
        Row(
            g["first"],
            g["last"],
            g["people"],
            g["accounts"],
            g["organizers"],
            g["fees_paid"],
            g["rewards"],
            drawn.get(g["first"], []) if g["first"] == g["last"] else [],
        )
        for g in grouped
    ]
    return network_svg(picture_rows, currency, title)


def _legal_tests(findings: list[dict[str, Any]]) -> list[dict[str, Any]]:
    texts = legal_texts()
    out = []
    for finding in findings:
        finding["figures"] = json.loads(finding["figures"] or "{}", parse_float=Decimal)
        finding["text"] = texts.get(finding["rule_id"])
        out.append(finding)
    return out


def _reproduce(backend: Backend, network_id: str, store: str, out: str) -> list[str]:
    run = (
        one(backend, "SELECT * FROM pyramid_runs ORDER BY finished_at DESC LIMIT 1")
        if backend.table_exists("pyramid_runs")
        else None
    )
    profiles = ""
    if run is not None:
        try:
            sources = [str(p["source"]).removeprefix("bundled:") for p in json.loads(run["profiles"])]
            profiles = " ".join(f"--profile {source}" for source in sources)
        except (ValueError, KeyError, TypeError):
            profiles = ""
    db = store or "sentinella.duckdb"
    return [
        f"sentinella ingest CASE_FOLDER --db {db}",
        f"sentinella pyramid --db {db} {profiles}".rstrip(),
        f"sentinella report pyramid {network_id} --db {db} --out {out}",
    ]


def pyramid_report(
    backend: Backend,
    network_id: str,
    *,
    store_path: str = "",
    stem: str = "",
    out_name: str = "report.html",
    member_rows: int = MEMBER_ROWS,
) -> Report:
    """The report of one network: picture, who recruited whom, money per level, the legal tests
    with the text they apply, the data problems and the commands that reproduce it.

    ``stem`` names the CSV files written beside the HTML (``STEM-members.csv``, ...).
    """
    if not backend.table_exists("pyramid_networks"):
        raise ReportError("no pyramid results in this store: run `sentinella pyramid --db FILE` first")
    network = one(backend, "SELECT * FROM pyramid_networks WHERE network_id = ?", [network_id])
    if network is None:
        top = rows(backend, "SELECT network_id FROM pyramid_networks ORDER BY members DESC LIMIT 5")
        hint = ", ".join(r["network_id"] for r in top) or "none"
        raise ReportError(f"no network {network_id!r}; the largest are: {hint}")
    stem = stem or f"network-{network_id}"
    currency = str(network["currency"])
    pyramid = bool(network["is_pyramid"])
    title = "Pyramid-selling evidence report" if pyramid else "Network report"
    findings = _legal_tests(
        rows(
            backend,
            "SELECT * FROM pyramid_findings WHERE network_id = ? AND subject_kind = 'network' "
            "ORDER BY jurisdiction, rule_id",
            [network_id],
        )
    )
    member_findings = rows(
        backend,
        "SELECT jurisdiction, rule_id, citation, result, count(DISTINCT subject_id) AS members "
        "FROM pyramid_findings WHERE network_id = ? AND subject_kind = 'member' "
        "GROUP BY ALL ORDER BY jurisdiction, rule_id, result",
        [network_id],
    )
    organizers_all = rows(
        backend,
        f"WITH met AS ({_MET}) "
        "SELECT coalesce(p.person_id, p.member_id) AS person, "
        "string_agg(p.member_id, ', ' ORDER BY p.member_id) AS accounts, count(*) AS account_count, "
        "max(p.person_headcount) AS people, max(p.person_levels) AS levels, min(p.level) AS level, "
        "sum(p.rewards) AS rewards, sum(p.net_income) AS net_income "
        "FROM pyramid_members p JOIN met USING (member_id) WHERE p.network_id = ? "
        f"GROUP BY ALL ORDER BY people DESC, levels DESC, person LIMIT {TOP_ORGANIZERS}",
        [network_id, network_id],
    )
    organizer_count = one(
        backend,
        f"WITH met AS ({_MET}) SELECT count(DISTINCT coalesce(p.person_id, p.member_id)) AS n "
        "FROM pyramid_members p JOIN met USING (member_id) WHERE p.network_id = ?",
        [network_id, network_id],
    )
    organizer_total = int(organizer_count["n"]) if organizer_count else 0
    levels = rows(backend, _LEVELS, [network_id, network_id])
    ranges = _format.level_ranges([int(r["level"]) for r in levels], LEVEL_ROWS)
    level_groups = _format.group_levels(levels, ranges, _SUMMED)
    persons = rows(
        backend,
        "SELECT p.person_id, string_agg(p.member_id, ', ' ORDER BY p.member_id) AS accounts, "
        "count(*) AS account_count, min(p.level) AS level, "
        "(SELECT string_agg(DISTINCT l.identifier, ', ') FROM pyramid_person_links l "
        " WHERE l.person_id = p.person_id AND l.merges) AS shared "
        "FROM pyramid_members p WHERE p.network_id = ? AND p.person_id IS NOT NULL "
        "GROUP BY p.person_id ORDER BY account_count DESC, p.person_id LIMIT 50",
        [network_id],
    )
    person_total = one(
        backend,
        "SELECT count(DISTINCT person_id) AS n FROM pyramid_members "
        "WHERE network_id = ? AND person_id IS NOT NULL",
        [network_id],
    )
    weak = rows(
        backend,
        "SELECT b.network_id, string_agg(DISTINCT l.identifier, ', ') AS identifiers, count(*) AS links "
        "FROM pyramid_person_links l JOIN pyramid_members a ON a.member_id = l.member_id "
        "JOIN pyramid_members b ON b.member_id = l.linked_member_id "
        "WHERE NOT l.merges AND a.network_id = ? AND b.network_id IS NOT NULL AND b.network_id <> ? "
        "GROUP BY ALL UNION ALL "
        "SELECT a.network_id, string_agg(DISTINCT l.identifier, ', '), count(*) "
        "FROM pyramid_person_links l JOIN pyramid_members a ON a.member_id = l.member_id "
        "JOIN pyramid_members b ON b.member_id = l.linked_member_id "
        "WHERE NOT l.merges AND b.network_id = ? AND a.network_id IS NOT NULL AND a.network_id <> ? "
        "GROUP BY ALL ORDER BY 1 LIMIT 20",
        [network_id] * 4,
    )
    flows = (
        rows(
            backend,
            "SELECT c.kind, c.basis, c.level, sum(c.payments) AS payments, sum(c.amount) AS amount "
            "FROM pyramid_flows c JOIN pyramid_members m ON m.member_id = c.member_id "
            "WHERE m.network_id = ? GROUP BY ALL ORDER BY c.kind, c.basis NULLS LAST, c.level NULLS FIRST",
            [network_id],
        )
        if backend.table_exists("pyramid_flows")
        else []
    )
    issues = rows(
        backend,
        "SELECT i.issue, count(*) AS members, min(i.member_id) AS example, min(i.detail) AS detail "
        "FROM pyramid_issues i JOIN pyramid_members m ON m.member_id = i.member_id "
        "WHERE m.network_id = ? GROUP BY ALL ORDER BY i.issue",
        [network_id],
    )
    quarantine = (
        rows(
            backend,
            "SELECT table_name, coalesce(kind, 'invalid') AS kind, count(*) AS rows FROM ingest_quarantine "
            f"WHERE table_name IN ({', '.join(map(literal, PYRAMID_INPUTS))}) GROUP BY ALL ORDER BY 1, 2",
        )
        if backend.table_exists("ingest_quarantine")
        else []
    )
    notices = (
        rows(
            backend,
            "SELECT table_name, column_name, count(*) AS rows FROM ingest_notices "
            f"WHERE table_name IN ({', '.join(map(literal, PYRAMID_INPUTS))}) GROUP BY ALL ORDER BY 1, 2",
        )
        if backend.table_exists("ingest_notices")
        else []
    )
    select = _members_select(network_id)
    member_count = int(network["members"])
    listed = rows(backend, f"{select} LIMIT {int(member_rows)}")
    attachments = [
        csv_attachment(backend, f"{stem}-members.csv", select, ("member_id", "person_id", "sponsor_id")),
    ]
    if organizer_total > TOP_ORGANIZERS:
        attachments.append(
            csv_attachment(
                backend,
                f"{stem}-organizers.csv",
                f"WITH met AS ({_MET.replace('?', literal(network_id))}) "
                "SELECT coalesce(p.person_id, p.member_id) AS person_id, "
                "string_agg(p.member_id, ' ' ORDER BY p.member_id) AS accounts, "
                "max(p.person_headcount) AS people, max(p.person_levels) AS levels, min(p.level) AS level, "
                "sum(p.rewards) AS rewards, sum(p.net_income) AS net_income "
                "FROM pyramid_members p JOIN met USING (member_id) "
                f"WHERE p.network_id = {literal(network_id)} "
                "GROUP BY ALL ORDER BY people DESC, levels DESC, person_id",
                ("person_id", "accounts"),
            )
        )
    html = render(
        "pyramid.html",
        title=title,
        pyramid=pyramid,
        network=network,
        currency=currency,
        picture=_picture(backend, network_id, levels, f"{title}: network {network_id}", currency),
        findings=findings,
        gate=legal_texts().get(GATE),
        s1=legal_texts().get(ORGANIZER_RULE),
        member_findings=member_findings,
        organizers=organizers_all,
        organizer_total=organizer_total,
        levels=level_groups,
        level_count=len(levels),
        persons=persons,
        person_total=int(person_total["n"]) if person_total else 0,
        weak=weak,
        flows=flows,
        issues=issues,
        quarantine=quarantine,
        notices=notices,
        members=listed,
        member_count=member_count,
        attachments=[a.name for a in attachments],
        stem=stem,
        source=SOURCE,
        commands=_reproduce(backend, network_id, store_path, out_name),
        store_path=store_path,
    )
    return Report("pyramid", network_id, f"{title} — network {network_id}", html, attachments)
