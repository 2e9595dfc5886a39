"""What each console page shows, read from the store with parameterised SQL.

Every function takes the server's :class:`~sentinella.api.Service` and returns plain data
(the page's JSON twin). Result tables that an analysis has not written yet give an empty
section with a note, never an error. Portable SQL only (no DuckDB-only functions), as the
analyses' SQL.
"""

from __future__ import annotations

import json
from typing import Any

from sentinella.api import Service
from sentinella.api._public import _CARD, credit_card

from ._errors import ConsoleError

CHILDREN_LIMIT = 50  # most children one expansion of the pyramid picture returns
TOP = 10
TIMELINE_LIMIT = 5000
UPLINE_LIMIT = 10_000


def _missing(service: Service, *tables: str) -> str | None:
    gone = [t for t in tables if not service.has_table(t)]
    return f"not computed yet ({', '.join(gone)} missing)" if gone else None


def _count(service: Service, sql: str, params: list[Any] | None = None) -> int:
    row = service.one(sql, params)
    return int(next(iter(row.values())) or 0) if row else 0


# -- dashboard -----------------------------------------------------------------------------------
def finding_counts(service: Service) -> list[dict[str, Any]]:
    """Counts by kind of finding, from whichever analyses have run (aggregates only)."""
    counts: list[dict[str, Any]] = []

    def add(kind: str, analysis: str, table: str, sql: str, params: list[Any] | None = None) -> None:
        if service.has_table(table):
            counts.append({"kind": kind, "analysis": analysis, "count": _count(service, sql, params)})

    add(
        "networks judged pyramids",
        "pyramid",
        "pyramid_networks",
        "SELECT count(*) FROM pyramid_networks WHERE is_pyramid",
    )
    add("networks analysed", "pyramid", "pyramid_networks", "SELECT count(*) FROM pyramid_networks")
    if service.has_table("pyramid_findings"):
        for row in service.rows(
            "SELECT jurisdiction, rule_id, count(*) AS n FROM pyramid_findings WHERE result = 'met' "
            "GROUP BY jurisdiction, rule_id ORDER BY jurisdiction, rule_id"
        ):
            counts.append(
                {"kind": f"legal test met: {row['rule_id']}", "analysis": "pyramid", "count": int(row["n"])}
            )
    add("brushing rings", "rings", "ring_groups", "SELECT count(*) FROM ring_groups")
    add(
        "accounts flagged in rings",
        "rings",
        "ring_member_scores",
        "SELECT count(*) FROM ring_member_scores WHERE flagged",
    )
    add(
        "orders flagged as brushing",
        "rings",
        "ring_order_scores",
        "SELECT count(*) FROM ring_order_scores WHERE flagged",
    )
    add(
        "merchants with brushing removed from credit",
        "credit",
        "credit_merchants",
        "SELECT count(*) FROM credit_merchants WHERE brushing_flagged",
    )
    for kind in ("member", "merchant"):
        add(
            f"{kind}s with a risk score",
            "risk",
            "risk_scores",
            "SELECT count(*) FROM risk_scores WHERE subject_kind = ?",
            [kind],
        )
    if service.has_table("rule_hits"):
        for row in service.rows(
            "SELECT rule_id, count(*) AS n FROM rule_hits GROUP BY rule_id ORDER BY rule_id"
        ):
            counts.append(
                {"kind": f"rule hits: {row['rule_id']}", "analysis": "rules", "count": int(row["n"])}
            )
    if service.has_table("cases"):
        for row in service.rows("SELECT status, count(*) AS n FROM cases GROUP BY status ORDER BY status"):
            counts.append({"kind": f"cases {row['status']}", "analysis": "cases", "count": int(row["n"])})
    return counts


def trends(service: Service) -> list[dict[str, Any]]:
    """Monthly series (orders, brushing orders, members joined, cases opened), for a line chart."""
    series: list[dict[str, Any]] = []

    def add(name: str, table: str, sql: str) -> None:
        if service.has_table(table):
            series.extend(
                {"month": row["month"], "series": name, "count": int(row["n"])} for row in service.rows(sql)
            )

    add(
        "orders",
        "orders",
        "SELECT date_trunc('month', placed_at) AS month, count(*) AS n FROM orders "
        "WHERE placed_at IS NOT NULL GROUP BY 1 ORDER BY 1",
    )
    if service.has_table("ring_order_scores"):
        add(
            "orders flagged as brushing",
            "orders",
            "SELECT date_trunc('month', o.placed_at) AS month, count(*) AS n FROM orders o "
            "JOIN ring_order_scores s ON s.order_id = o.order_id WHERE s.flagged AND o.placed_at IS NOT NULL "
            "GROUP BY 1 ORDER BY 1",
        )
    add(
        "members joined",
        "members",
        "SELECT date_trunc('month', joined_at) AS month, count(*) AS n FROM members "
        "WHERE joined_at IS NOT NULL GROUP BY 1 ORDER BY 1",
    )
    add(
        "cases opened",
        "cases",
        "SELECT date_trunc('month', opened_at) AS month, count(*) AS n FROM cases GROUP BY 1 ORDER BY 1",
    )
    return series


def _reasons(raw: str | None) -> list[dict[str, Any]]:
    return list(json.loads(raw)) if raw else []


def top_risk(service: Service, kind: str, limit: int = TOP) -> list[dict[str, Any]]:
    if not service.has_table("risk_scores"):
        return []
    rows = service.rows(
        "SELECT subject_id, score, reasons FROM risk_scores WHERE subject_kind = ? "
        "ORDER BY score DESC, subject_id LIMIT ?",
        [kind, limit],
    )
    return [
        {
            "subject_id": row["subject_id"],
            "score": row["score"],
            "top_reason": (_reasons(row["reasons"]) or [{}])[0].get("detail"),
        }
        for row in rows
    ]


# -- merchant ------------------------------------------------------------------------------------
def public_card(service: Service, merchant_id: str) -> dict[str, Any] | None:
    if not service.has_table("credit_merchants"):
        return None
    row = service.one(_CARD, [merchant_id])
    return credit_card(row) if row else None


def comparison(service: Service, merchant_id: str) -> dict[str, Any]:
    """The merchant's listings beside the market price of the same product (``compare``'s tables)."""
    note = _missing(service, "product_clusters", "product_prices")
    if note:
        return {"note": f"comparison {note}: run `sentinella compare`", "listings": []}
    rows = service.rows(
        "SELECT l.listing_id, l.title, CAST(l.price AS DOUBLE) AS price, l.currency, c.product_id, "
        "p.merchants AS product_merchants, p.median_price AS market_median_cny, "
        "p.currency AS market_currency "
        "FROM listings l JOIN product_clusters c ON c.listing_id = l.listing_id "
        "JOIN product_prices p ON p.product_id = c.product_id WHERE l.merchant_id = ? "
        "ORDER BY l.listing_id LIMIT 200",
        [merchant_id],
    )
    return {"note": None, "listings": rows}


def _evidence(service: Service, evidence: dict[str, Any] | None, limit: int = 5) -> dict[str, Any] | None:
    """The rows a reason points at; table and columns are checked against the store's catalogue."""
    if not evidence:
        return None
    table, key = str(evidence.get("table", "")), evidence.get("key") or {}
    columns = {
        r["column_name"]
        for r in service.rows(
            "SELECT column_name FROM information_schema.columns WHERE table_name = ?", [table]
        )
    }
    if not columns or not isinstance(key, dict) or not set(key) <= columns:
        return {"table": table, "key": key, "rows": [], "total": 0}
    where = " AND ".join(f'"{column}" = ?' for column in key)
    total = _count(service, f'SELECT count(*) FROM "{table}" WHERE {where}', list(key.values()))
    rows = service.rows(f'SELECT * FROM "{table}" WHERE {where} LIMIT ?', [*key.values(), limit])
    return {"table": table, "key": key, "rows": rows, "total": total}


def risk_of(service: Service, kind: str, subject_id: str) -> dict[str, Any]:
    if not service.has_table("risk_scores"):
        return {"score": None, "findings": [], "note": "risk has not been run on this store"}
    row = service.one(
        "SELECT score, reasons FROM risk_scores WHERE subject_kind = ? AND subject_id = ?", [kind, subject_id]
    )
    if row is None:
        return {"score": 0.0, "findings": [], "note": "no risk signal"}
    findings = [
        {**reason, "evidence_rows": _evidence(service, reason.get("evidence"))}
        for reason in _reasons(row["reasons"])
    ]
    return {"score": row["score"], "findings": findings, "note": None}


def cases_for(service: Service, subject_id: str) -> list[dict[str, Any]]:
    from sentinella.cases import list_cases

    return [c.as_dict() for c in list_cases(service.cursor(), subject_id=subject_id)]


def rule_hits_for(service: Service, subject_id: str) -> list[dict[str, Any]]:
    if not service.has_table("rule_hits"):
        return []
    return service.rows(
        "SELECT rule_id, version, points, reason, applied_at FROM rule_hits WHERE subject_id = ? "
        "ORDER BY rule_id",
        [subject_id],
    )


def merchant_page(service: Service, merchant_id: str, analyst: bool) -> dict[str, Any]:
    card = public_card(service, merchant_id)
    record = service.one("SELECT * FROM merchants WHERE merchant_id = ?", [merchant_id]) if analyst else None
    if card is None and record is None:
        raise ConsoleError(404, f"no credit for merchant {merchant_id!r}")
    data: dict[str, Any] = {
        "merchant_id": merchant_id,
        "credit": card,
        "comparison": comparison(service, merchant_id),
    }
    if analyst:
        data["merchant"] = record
        data["risk"] = risk_of(service, "merchant", merchant_id)
        data["rings"] = (
            service.rows(
                "SELECT ring_id, members, orders, score, evidence FROM ring_groups WHERE merchant_id = ? "
                "ORDER BY score DESC",
                [merchant_id],
            )
            if service.has_table("ring_groups")
            else []
        )
        data["rule_hits"] = rule_hits_for(service, merchant_id)
        data["cases"] = cases_for(service, merchant_id)
    return data


# -- pyramid -------------------------------------------------------------------------------------
def networks(service: Service, pyramid: bool | None, limit: int, offset: int) -> dict[str, Any]:
    note = _missing(service, "pyramid_networks")
    if note:
        return {"note": f"pyramid {note}: run `sentinella pyramid`", "networks": [], "total": 0}
    where, params = ("WHERE is_pyramid = ?", [pyramid]) if pyramid is not None else ("", [])
    total = _count(service, f"SELECT count(*) FROM pyramid_networks {where}", params)
    rows = service.rows(
        "SELECT network_id, members, persons, levels, is_pyramid, currency, fees_total, recruitment_rewards, "
        f"share_losing, assessment FROM pyramid_networks {where} ORDER BY members DESC, network_id "
        "LIMIT ? OFFSET ?",
        [*params, limit, offset],
    )
    return {"note": None, "networks": rows, "total": total, "limit": limit, "offset": offset}


def network_page(service: Service, network_id: str) -> dict[str, Any]:
    note = _missing(service, "pyramid_networks", "pyramid_members", "pyramid_findings")
    if note:
        raise ConsoleError(404, f"pyramid {note}: run `sentinella pyramid`")
    row = service.one("SELECT * FROM pyramid_networks WHERE network_id = ?", [network_id])
    if row is None:
        raise ConsoleError(404, f"no network {network_id!r}")
    findings = service.rows(
        "SELECT jurisdiction, rule_id, citation, result, figures, explanation FROM pyramid_findings "
        "WHERE network_id = ? AND subject_kind = 'network' ORDER BY jurisdiction, rule_id",
        [network_id],
    )
    for finding in findings:
        finding["figures"] = json.loads(finding["figures"]) if finding["figures"] else None
    levels = service.rows(
        "SELECT level, count(*) AS members, sum(fees_paid) AS fees_paid, sum(received_total) AS received, "
        "sum(net_income) AS net_income, sum(CASE WHEN net_income < 0 THEN 1 ELSE 0 END) AS losing "
        "FROM pyramid_members WHERE network_id = ? GROUP BY level ORDER BY level",
        [network_id],
    )
    member_findings = _count(
        service,
        "SELECT count(*) FROM pyramid_findings WHERE network_id = ? AND subject_kind = 'member'",
        [network_id],
    )
    return {
        "network": row,
        "findings": findings,
        "levels": levels,
        "member_findings": member_findings,
        "children_limit": CHILDREN_LIMIT,
    }


_NODE = "p.member_id, p.level, p.direct_recruits, p.downline, p.net_income"


def network_children(
    service: Service, network_id: str, *, level: int | None, member: str | None, offset: int
) -> dict[str, Any]:
    """At most ``CHILDREN_LIMIT`` members: those on one level, or one member's direct recruits.

    One query: the total rides along as a window count, computed before the LIMIT.
    """
    if _missing(service, "pyramid_members"):
        raise ConsoleError(404, "pyramid has not been run on this store")
    if (level is None) == (member is None):
        raise ConsoleError(422, "give either level or member")
    if member is not None:
        # the recruits first (a filter on members), then their figures: no join of two whole tables
        source = (
            "(SELECT member_id FROM members WHERE sponsor_id = ?) r "
            "JOIN pyramid_members p ON p.member_id = r.member_id WHERE p.network_id = ?"
        )
        params: list[Any] = [member, network_id]
    else:
        source, params = "pyramid_members p WHERE p.network_id = ? AND p.level = ?", [network_id, level]
    rows = service.rows(
        f"SELECT {_NODE}, count(*) OVER () AS total FROM {source} "
        "ORDER BY p.downline DESC, p.member_id LIMIT ? OFFSET ?",
        [*params, CHILDREN_LIMIT, offset],
    )
    total = int(rows[0]["total"]) if rows else _count(service, f"SELECT count(*) FROM {source}", params)
    for row in rows:
        del row["total"]
    return {
        "network_id": network_id,
        "parent": {"level": level} if member is None else {"member_id": member},
        "children": rows,
        "total": total,
        "offset": offset,
        "more": max(0, total - offset - len(rows)),
    }


def upline(service: Service, member_id: str) -> dict[str, Any]:
    """The sponsor chain up to the top; a chain that loops is cut where it repeats."""
    rows = service.rows(
        "WITH RECURSIVE up(member_id, sponsor_id, depth) AS ("
        "SELECT member_id, sponsor_id, 0 FROM members WHERE member_id = ? "
        "UNION ALL SELECT m.member_id, m.sponsor_id, up.depth + 1 FROM up "
        "JOIN members m ON m.member_id = up.sponsor_id WHERE up.depth < ?) "
        "SELECT member_id, sponsor_id, depth FROM up ORDER BY depth",
        [member_id, UPLINE_LIMIT],
    )
    seen: set[str] = set()
    path, loop = [], False
    for row in rows:
        if row["member_id"] in seen:
            loop = True
            break
        seen.add(row["member_id"])
        path.append(row)
    return {"path": path[1:], "loop": loop}


def member_page(service: Service, member_id: str) -> dict[str, Any]:
    record = service.one("SELECT * FROM members WHERE member_id = ?", [member_id])
    if record is None:
        raise ConsoleError(404, f"no member {member_id!r}")
    pyramid = (
        service.one("SELECT * FROM pyramid_members WHERE member_id = ?", [member_id])
        if service.has_table("pyramid_members")
        else None
    )
    recruits = service.rows(
        "SELECT member_id, joined_at FROM members WHERE sponsor_id = ? ORDER BY member_id LIMIT ?",
        [member_id, CHILDREN_LIMIT],
    )
    findings = (
        service.rows(
            "SELECT jurisdiction, rule_id, citation, result, explanation FROM pyramid_findings "
            "WHERE subject_kind = 'member' AND subject_id = ? ORDER BY jurisdiction, rule_id",
            [member_id],
        )
        if service.has_table("pyramid_findings")
        else []
    )
    return {
        "member": record,
        "pyramid": pyramid,
        "upline": upline(service, member_id),
        "direct_recruits": recruits,
        "direct_recruits_total": _count(
            service, "SELECT count(*) FROM members WHERE sponsor_id = ?", [member_id]
        ),
        "findings": findings,
        "rings": (
            service.one("SELECT * FROM ring_member_scores WHERE member_id = ?", [member_id])
            if service.has_table("ring_member_scores")
            else None
        ),
        "merchants": service.rows(
            "SELECT merchant_id FROM merchants WHERE member_id = ? ORDER BY 1", [member_id]
        ),
        "risk": risk_of(service, "member", member_id),
        "rule_hits": rule_hits_for(service, member_id),
        "cases": cases_for(service, member_id),
    }


# -- rings ---------------------------------------------------------------------------------------
def rings(service: Service, limit: int, offset: int) -> dict[str, Any]:
    note = _missing(service, "ring_groups")
    if note:
        return {"note": f"rings {note}: run `sentinella rings`", "rings": [], "total": 0}
    return {
        "note": None,
        "total": _count(service, "SELECT count(*) FROM ring_groups"),
        "rings": service.rows(
            "SELECT ring_id, merchant_id, members, orders, score, first_order_at, last_order_at, evidence "
            "FROM ring_groups ORDER BY score DESC, ring_id LIMIT ? OFFSET ?",
            [limit, offset],
        ),
    }


def ring_page(service: Service, ring_id: str) -> dict[str, Any]:
    note = _missing(service, "ring_groups", "ring_members", "ring_order_scores")
    if note:
        raise ConsoleError(404, f"rings {note}: run `sentinella rings`")
    ring = service.one("SELECT * FROM ring_groups WHERE ring_id = ?", [ring_id])
    if ring is None:
        raise ConsoleError(404, f"no ring {ring_id!r}")
    members = service.rows(
        "SELECT * FROM ring_members WHERE ring_id = ? ORDER BY score DESC, member_id", [ring_id]
    )
    orders = service.rows(
        "SELECT o.order_id, o.buyer_id, o.merchant_id, o.placed_at, CAST(o.amount AS DOUBLE) AS amount, "
        "o.currency, o.status, s.flagged, s.score FROM ring_members r "
        "JOIN orders o ON o.buyer_id = r.member_id "
        "LEFT JOIN ring_order_scores s ON s.order_id = o.order_id "
        "WHERE r.ring_id = ? ORDER BY o.placed_at, o.order_id LIMIT ?",
        [ring_id, TIMELINE_LIMIT],
    )
    merchants = service.rows(
        "SELECT o.merchant_id, count(*) AS orders, sum(CASE WHEN s.flagged THEN 1 ELSE 0 END) AS flagged "
        "FROM ring_members r JOIN orders o ON o.buyer_id = r.member_id "
        "LEFT JOIN ring_order_scores s ON s.order_id = o.order_id WHERE r.ring_id = ? "
        "GROUP BY o.merchant_id ORDER BY orders DESC, o.merchant_id",
        [ring_id],
    )
    return {
        "ring": ring,
        "members": members,
        "merchants": merchants,
        "orders": orders,
        "orders_shown_limit": TIMELINE_LIMIT,
        "merchant_cases": cases_for(service, ring["merchant_id"]) if ring["merchant_id"] else [],
    }


# -- rules ---------------------------------------------------------------------------------------
def _toml_value(value: Any) -> str:
    if isinstance(value, dict):
        return "{" + ", ".join(f"{json.dumps(k)} = {_toml_value(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    return json.dumps(value, ensure_ascii=False)


def stored_rule_text(definition: str) -> str:
    """A stored rule version (sorted JSON) as a rules file's TOML text, to backtest it again."""
    return f"rule = [{_toml_value(json.loads(definition))}]"


def rules_page(service: Service) -> dict[str, Any]:
    note = _missing(service, "rule_versions")
    if note:
        return {"note": f"no rules recorded yet: run `sentinella rules apply FILE` ({note})", "rules": []}
    rows = service.rows(
        "SELECT v.rule_id, v.version, v.author, v.reason, v.definition, v.recorded_by, v.recorded_at "
        "FROM rule_versions v ORDER BY v.rule_id, v.version DESC"
    )
    hits: dict[tuple[str, int], int] = {}
    if service.has_table("rule_hits"):
        for row in service.rows(
            "SELECT rule_id, version, count(*) AS n FROM rule_hits GROUP BY rule_id, version"
        ):
            hits[(row["rule_id"], row["version"])] = int(row["n"])
    for row in rows:
        row["definition"] = json.loads(row["definition"])
        row["applied_hits"] = hits.get((row["rule_id"], row["version"]))
    return {"note": None, "rules": rows}


def backtest_text(service: Service, text: str, origin: str) -> list[dict[str, Any]]:
    from sentinella.rules import RuleError, backtest, parse_rules

    try:
        ruleset = parse_rules(text, origin)
        return [backtest(service.cursor(), rule, ruleset.lists).as_dict() for rule in ruleset.rules]
    except RuleError as error:
        raise ConsoleError(422, str(error)) from error


def backtest_stored(service: Service, rule_id: str, version: int) -> list[dict[str, Any]]:
    if _missing(service, "rule_versions"):
        raise ConsoleError(404, "no rules recorded yet")
    row = service.one(
        "SELECT definition FROM rule_versions WHERE rule_id = ? AND version = ?", [rule_id, version]
    )
    if row is None:
        raise ConsoleError(404, f"no rule {rule_id!r} version {version}")
    return backtest_text(service, stored_rule_text(row["definition"]), f"rule {rule_id} v{version}")
