"""Results as the terminal shows them: compact tables, top results after each analysis.

Each ``*_top`` function reads an analysis's results once (through the capability's lookup
functions where it has them) into plain values; ``print_*_top`` renders them as text and
:func:`top_json` as JSON, so the two cannot disagree. Tables keep IDs and numbers on one line
and fold only free text, so they read at 80 columns when piped.
"""

from __future__ import annotations

import shlex
from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich import box
from rich.table import Table
from rich.text import Text

if TYPE_CHECKING:
    from sentinella.credit import MerchantRow
    from sentinella.engine import Backend
    from sentinella.pyramid import NetworkRow
    from sentinella.rings import RingRow

TOP = 5
"""Rows of top results an analysis prints after its counts."""


# -- small renderers ---------------------------------------------------------------------------
def money(value: Decimal | float | None, currency: str) -> str:
    return "–" if value is None else f"{value:,.2f} {currency}".strip()


def pct(value: float | None) -> str:
    return "–" if value is None else f"{value:.1%}"


def compact_table(title: str, columns: Sequence[tuple[str, str]]) -> Table:
    """A table whose cells stay on one line (cut with …) unless the column is free text."""
    table = Table(
        title=Text(title), title_justify="left", box=box.SIMPLE_HEAD, show_edge=False, padding=(0, 1, 0, 0)
    )
    for name, kind in columns:
        if kind == "text":
            table.add_column(name, overflow="fold", ratio=1)
        else:
            table.add_column(
                name, justify="right" if kind == "num" else "left", no_wrap=True, overflow="ellipsis"
            )
    return table


def print_next(console: Any, commands: Sequence[str]) -> None:
    for command in commands:
        console.print(Text(f"next: {command}", style="cyan"), soft_wrap=True)


def db_flag(db: Path) -> str:
    return f"--db {shlex.quote(str(db))}"


def _tests_cell(row: NetworkRow) -> str:
    """``cn 2/4 us 1/3``: tests met of those applied, per jurisdiction."""
    counts: dict[str, list[int]] = {}
    for test in row.tests:
        met_total = counts.setdefault(test.jurisdiction, [0, 0])
        met_total[0] += test.result == "met"
        met_total[1] += 1
    return " ".join(f"{j} {m}/{t}" for j, (m, t) in sorted(counts.items())) or "–"


def networks_table(title: str, networks: Sequence[NetworkRow]) -> Table:
    mixed = len({n.is_pyramid for n in networks}) > 1  # a column of all "yes" says nothing
    columns = [("network", "id"), ("members", "num"), ("people", "num"), ("levels", "num")]
    currency = networks[0].currency if networks else ""
    columns += [(f"fees {currency}", "num"), *([("pyramid", "id")] if mixed else []), ("tests met", "text")]
    table = compact_table(title, columns)
    for n in networks:
        cells: list[str | Text] = [Text(n.network_id), f"{n.members:,}", f"{n.persons:,}", f"{n.levels:,}"]
        cells += [f"{n.fees_total:,.2f}", *(["yes" if n.is_pyramid else "no"] if mixed else [])]
        table.add_row(*cells, _tests_cell(n))
    return table


def print_network_tests(console: Any, networks: Sequence[NetworkRow]) -> None:
    for n in networks:
        by_result: dict[str, list[str]] = {"met": []}
        for test in n.tests:
            by_result.setdefault(test.result, []).append(test.rule_id)
        parts = [
            f"{result.replace('_', ' ')}: {', '.join(ids) or 'none'}" for result, ids in by_result.items()
        ]
        console.print(Text(f"  {n.network_id} {'; '.join(parts)}"))


# -- top results after each analysis -----------------------------------------------------------
def pyramid_top(backend: Backend, db: Path) -> dict[str, Any]:
    """The largest pyramids (or networks, when none is a pyramid) and what to run next."""
    from sentinella.pyramid import list_networks

    pyramids = list_networks(backend, pyramids_only=True, limit=TOP)
    networks = pyramids or list_networks(backend, limit=TOP)
    first = networks[0].network_id if networks else None
    commands = [f"sentinella pyramid networks {db_flag(db)}"]
    if first is not None:
        commands.append(f"sentinella pyramid member {shlex.quote(first)} {db_flag(db)}")
        commands.append(
            f"sentinella pyramid report --network {shlex.quote(first)} --out network.html {db_flag(db)}"
        )
    return {
        "top_title": "Largest pyramids" if pyramids else "Largest networks (none is a pyramid)",
        "top": networks,
        "next": commands,
    }


def print_pyramid_top(console: Any, top: dict[str, Any]) -> None:
    if top["top"]:
        console.print(networks_table(top["top_title"], top["top"]))
        print_network_tests(console, top["top"])
    print_next(console, top["next"])


def rings_top(backend: Backend, db: Path) -> dict[str, Any]:
    from sentinella.rings import list_rings

    found = list_rings(backend, limit=TOP)
    commands = [f"sentinella rings show {shlex.quote(found[0].ring_id)} {db_flag(db)}"] if found else []
    commands.append(f"sentinella credit {db_flag(db)}")
    return {"top": found, "next": commands}


def _print_rings(console: Any, title: str, found: Sequence[RingRow]) -> None:
    console.print(Text(title, style="bold"))
    for ring in found:
        console.print(
            Text(
                f"  {ring.ring_id} at {ring.merchant_id}: {ring.members:,} accounts, {ring.orders:,} "
                f"flagged orders, score {ring.score:.3f}"
            )
        )
        console.print(Text(f"    {ring.evidence}", style="dim"))


def print_rings_top(console: Any, top: dict[str, Any]) -> None:
    if top["top"]:
        _print_rings(console, "Strongest rings", top["top"])
    print_next(console, top["next"])


def credit_top(backend: Backend, db: Path) -> dict[str, Any]:
    from sentinella.credit import rank_merchants

    lowest = rank_merchants(backend, "lowest", limit=TOP)
    penalised = rank_merchants(backend, "penalised", limit=TOP)
    listed = penalised or lowest
    commands = (
        [f"sentinella credit show {shlex.quote(listed[0].merchant_id)} {db_flag(db)}"] if listed else []
    )
    return {"lowest": lowest, "penalised": penalised, "next": commands}


def _merchants_table(title: str, merchants: Sequence[MerchantRow]) -> Table:
    table = compact_table(
        title,
        [
            ("merchant", "id"),
            ("level", "id"),
            ("points", "num"),
            ("positive", "num"),
            ("ratings", "num"),
            ("not counted", "num"),
            ("mostly", "text"),
        ],
    )
    for m in merchants:
        table.add_row(
            Text(m.merchant_id),
            Text(m.level_name or "none"),
            f"{m.points:,}",
            pct(m.positive_rate_smoothed),
            f"{m.ratings:,}",
            f"{m.ratings_not_counted:,}",
            Text((m.top_reason or "–").replace("_", " ")),
        )
    return table


def print_credit_top(console: Any, top: dict[str, Any]) -> None:
    if top["lowest"]:
        console.print(_merchants_table("Lowest credit (smoothed positive rate)", top["lowest"]))
    if top["penalised"]:
        console.print(_merchants_table("Most ratings not counted", top["penalised"]))
    print_next(console, top["next"])


# compare, provenance and risk: their result tables are read here (through the engine seam)
# until those capabilities have lookups of their own.
def compare_top(backend: Backend, db: Path) -> dict[str, Any]:
    """Products sold by the most merchants, widest price spread first, with a listing to open."""
    from sentinella._query import rows

    found = rows(
        backend,
        "SELECT p.product_id, p.title, p.merchants, p.currency, p.median_price, p.min_price, p.max_price, "
        "(SELECT min(c.listing_id) FROM product_clusters c WHERE c.product_id = p.product_id) AS listing_id "
        "FROM product_prices p WHERE p.merchants > 1 AND p.median_price > 0 "
        "ORDER BY p.merchants DESC, (p.max_price - p.min_price) / p.median_price DESC, p.product_id "
        f"LIMIT {TOP}",
        step="compare: top products",
    )
    commands = [
        f"sentinella compare listing {shlex.quote(str(r['listing_id']))} {db_flag(db)}" for r in found[:1]
    ]
    return {"top": found, "next": commands}


def print_compare_top(console: Any, top: dict[str, Any]) -> None:
    if top["top"]:
        table = compact_table(
            "Products sold by the most merchants",
            [("product", "text"), ("shops", "num"), ("median", "num"), ("lowest", "num"), ("highest", "num")],
        )
        for r in top["top"]:
            table.add_row(
                Text(str(r["title"] or r["product_id"])),
                f"{r['merchants']:,}",
                *(
                    f"{r[k]:,.2f}" if r[k] is not None else "–"
                    for k in ("median_price", "min_price", "max_price")
                ),
            )
        console.print(table)
    print_next(console, top["next"])


def provenance_top(backend: Backend, db: Path) -> dict[str, Any]:
    """Merchants with the most photo and price findings, strong ones first, with their kinds."""
    from sentinella._query import rows

    if not backend.table_exists("provenance_findings"):
        return {"top": [], "next": []}
    found = rows(
        backend,
        "SELECT merchant_id, kind, count(*) AS findings, "
        "sum(CASE WHEN strength = 'strong' THEN 1 ELSE 0 END) AS strong "
        "FROM provenance_findings WHERE merchant_id IS NOT NULL GROUP BY merchant_id, kind",
        step="provenance: top merchants",
    )
    merchants: dict[str, dict[str, Any]] = {}
    for r in found:
        entry = merchants.setdefault(
            str(r["merchant_id"]),
            {"merchant_id": str(r["merchant_id"]), "findings": 0, "strong": 0, "kinds": {}},
        )
        entry["findings"] += int(r["findings"])
        entry["strong"] += int(r["strong"])
        entry["kinds"][str(r["kind"])] = int(r["findings"])
    ranked = sorted(merchants.values(), key=lambda m: (-m["strong"], -m["findings"], m["merchant_id"]))[:TOP]
    commands = [f"sentinella credit show {shlex.quote(m['merchant_id'])} {db_flag(db)}" for m in ranked[:1]]
    commands.append(f"sentinella export provenance_findings --out findings.csv {db_flag(db)}")
    return {"top": ranked, "next": commands}


def print_provenance_top(console: Any, top: dict[str, Any]) -> None:
    if top["top"]:
        table = compact_table(
            "Merchants with the most findings",
            [("merchant", "id"), ("findings", "num"), ("strong", "num"), ("kinds", "text")],
        )
        for m in top["top"]:
            kinds = ", ".join(
                f"{k.replace('_', ' ')} {n:,}" for k, n in sorted(m["kinds"].items(), key=lambda x: -x[1])
            )
            table.add_row(Text(m["merchant_id"]), f"{m['findings']:,}", f"{m['strong']:,}", Text(kinds))
        console.print(table)
    print_next(console, top["next"])


def risk_top(backend: Backend, db: Path) -> dict[str, Any]:
    """The riskiest members and merchants, each with its strongest reason."""
    import json

    from sentinella._query import rows

    top: dict[str, Any] = {}
    for kind in ("member", "merchant"):
        found = rows(
            backend,
            "SELECT s.subject_id, s.score, s.reasons FROM risk_scores s "
            "JOIN {p} p ON p.kind = s.subject_kind "
            f"ORDER BY s.score DESC, s.subject_id LIMIT {TOP}",
            {"kind": [kind]},
            step=f"risk: top {kind}s",
        )
        top[f"top_{kind}s"] = [
            {
                "subject_id": str(r["subject_id"]),
                "score": float(r["score"]),
                "reason": (json.loads(r["reasons"]) or [{}])[0].get("detail", ""),
            }
            for r in found
        ]
    commands = [
        f"sentinella pyramid member {shlex.quote(m['subject_id'])} {db_flag(db)}"
        for m in top["top_members"][:1]
    ]
    commands += [
        f"sentinella credit show {shlex.quote(m['subject_id'])} {db_flag(db)}"
        for m in top["top_merchants"][:1]
    ]
    commands.append(f"sentinella cases open --from-risk {db_flag(db)}")
    return {**top, "next": commands}


def print_risk_top(console: Any, top: dict[str, Any]) -> None:
    for kind in ("members", "merchants"):
        if top[f"top_{kind}"]:
            table = compact_table(
                f"Riskiest {kind}", [(kind[:-1], "id"), ("score", "num"), ("strongest reason", "text")]
            )
            for r in top[f"top_{kind}"]:
                table.add_row(Text(r["subject_id"]), f"{r['score']:.2f}", Text(r["reason"]))
            console.print(table)
    print_next(console, top["next"])


def top_json(top: dict[str, Any]) -> dict[str, Any]:
    """The top results as JSON-ready values (dataclasses through their ``to_dict``)."""

    def plain(value: Any) -> Any:
        if hasattr(value, "to_dict"):
            return value.to_dict()
        if isinstance(value, list):
            return [plain(v) for v in value]
        return value

    return {key: plain(value) for key, value in top.items()}


def demo_payload(result: Any, out: Path) -> dict[str, Any]:
    """The demo's found-vs-planted figures, timings and where things are: the text and --json."""
    store = out / "sentinella.duckdb"
    return {
        "scores": [
            {
                "capability": score.capability,
                "what": score.what,
                "planted": score.planted,
                "found": score.found,
                "recall": round(score.recall, 4),
                "flagged_wrongly": score.wrong,
                "note": score.note,
            }
            for score in result.scores
        ],
        "seconds": {stage: round(seconds, 2) for stage, seconds in result.seconds.items()},
        "reused_world": result.reused_world,
        "report": str(result.report),
        "store": str(store),
        "next": [
            f"sentinella pyramid networks {db_flag(store)}",
            f"sentinella rings {db_flag(store)}",
            f"sentinella serve {db_flag(store)}",
        ],
    }


def print_demo(console: Any, payload: dict[str, Any]) -> None:
    table = compact_table(
        "Found vs planted",
        [
            ("capability", "id"),
            ("what", "text"),
            ("planted", "num"),
            ("found", "num"),
            ("recall", "num"),
            ("wrong", "num"),
        ],
    )
    for score in payload["scores"]:
        colour = "green" if score["recall"] >= 0.95 else "red"
        table.add_row(
            Text(score["capability"]),
            Text(score["what"]),
            f"{score['planted']:,}",
            f"{score['found']:,}",
            Text(f"{score['recall']:.0%}", style=colour),
            f"{score['flagged_wrongly']:,}",
        )
    console.print(table)
    timings = ", ".join(f"{stage} {seconds:.1f} s" for stage, seconds in payload["seconds"].items())
    console.print(Text(f"done: {timings}"))
    if payload.get("reused_world"):
        console.print(Text("generate: reused the world of the last run (same seed, size and generator code)"))
    console.print(Text(f"report: {payload['report']}   store: {payload['store']}"))
    print_next(console, payload["next"])
