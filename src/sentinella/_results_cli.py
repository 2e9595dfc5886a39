"""Results in the terminal: what each analysis found, lookups of one item, examples in --help.

``cli.py`` calls :func:`register` once its groups exist. Every printout here is built twice
from one object: the lookup functions of the capabilities (``pyramid.list_networks``,
``credit.credit_card``, ``rings.ring_view`` ...) return dataclasses, ``--json`` prints their
``to_dict()`` and the text is rendered from the same objects, so the two cannot disagree.
Tables keep IDs on one line and fold only free text, so they read at 80 columns when piped.
"""

from __future__ import annotations

import shlex
from collections.abc import Callable, Sequence
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich import box
from rich.table import Table
from rich.text import Text
from typer.models import DefaultPlaceholder

from sentinella._query import dumps

if TYPE_CHECKING:
    from sentinella.credit import CreditCard, MerchantRow
    from sentinella.engine import Backend
    from sentinella.pyramid import MemberView, NetworkRow
    from sentinella.rings import RingRow, RingView

DEFAULT_DB = "sentinella.duckdb"
DbOption = Annotated[
    Path,
    typer.Option("--db", envvar="SENTINELLA_DB", help="The store (a DuckDB file).", show_default=True),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print the result as JSON.")]
LimitOption = Annotated[int, typer.Option("--limit", min=1, max=100_000, help="Rows to list.")]
TOP = 5
"""Rows of top results an analysis prints after its counts."""

# -- examples shown at the end of every command's --help -------------------------------------
EXAMPLES: dict[str, str] = {
    "ingest": "sentinella ingest examples/sample-case --db case.duckdb",
    "tables": "sentinella tables --db case.duckdb --json",
    "export": "sentinella export pyramid_networks --db case.duckdb --out networks.csv",
    "contract": "sentinella contract > CONTRACT.md",
    "generate": "sentinella generate --out world --members 20000 --seed 7",
    "demo": "sentinella demo --out demo --members 20000",
    "rings": "sentinella rings --db case.duckdb",
    "rings show": "sentinella rings show R000001 --db case.duckdb",
    "credit": "sentinella credit --db case.duckdb --as-of 2025-06-30",
    "credit show": "sentinella credit show S00000066 --db case.duckdb",
    "provenance": "sentinella provenance --case world --db case.duckdb",
    "pyramid": "sentinella pyramid --db case.duckdb --profile cn",
    "pyramid report": "sentinella pyramid report --network M000000129 --out network.html --db case.duckdb",
    "pyramid networks": "sentinella pyramid networks --db case.duckdb --sort fees --pyramids",
    "pyramid member": "sentinella pyramid member M000000346 --db case.duckdb",
    "compare": "sentinella compare --db case.duckdb",
    "compare listing": "sentinella compare listing L00000001 --db case.duckdb",
    "risk": "sentinella risk --db case.duckdb",
    "cases": "sentinella cases list --db case.duckdb --status open",
    "cases open": "sentinella cases open --from-risk --db case.duckdb",
    "cases list": "sentinella cases list --db case.duckdb --status open",
    "cases show": "sentinella cases show C0000001 --db case.duckdb",
    "cases update": "sentinella cases update C0000001 --status investigating --assignee ana --db case.duckdb",
    "cases note": 'sentinella cases note C0000001 "called the shop" --db case.duckdb',
    "cases attach": 'sentinella cases attach C0000001 --table ring_groups --key \'{"ring_id": "R000001"}\' '
    "--db case.duckdb",
    "cases labels": "sentinella cases labels --out labels.csv --db case.duckdb",
    "keys": "sentinella keys list --db case.duckdb",
    "keys create": "sentinella keys create --role analyst --db case.duckdb",
    "keys list": "sentinella keys list --db case.duckdb",
    "keys revoke": "sentinella keys revoke 3f9a1c2b7d4e --db case.duckdb",
    "rules": "sentinella rules backtest rules.toml --db case.duckdb",
    "rules backtest": "sentinella rules backtest rules.toml --db case.duckdb",
    "rules apply": "sentinella rules apply rules.toml --db case.duckdb",
    "serve": "sentinella serve --db case.duckdb --port 8000",
}


def _epilog(path: str) -> str | None:
    example = EXAMPLES.get(path)
    return f"Example:  {example}" if example else None


def add_examples(app: typer.Typer, prefix: str = "") -> None:
    """Give every command and group an example in its --help (Typer's epilog), unless it has one."""
    for command in app.registered_commands:
        name = command.name or (command.callback.__name__.replace("_", "-") if command.callback else "")
        path = f"{prefix}{name}"
        if command.epilog is None:
            command.epilog = _epilog(path)
    for group in app.registered_groups:
        path = f"{prefix}{group.name}"
        sub = group.typer_instance
        if sub is None:
            continue
        if isinstance(group.epilog, DefaultPlaceholder) or group.epilog is None:
            group.epilog = _epilog(path)  # add_typer's settings win over the sub-app's
        add_examples(sub, f"{path} ")


# -- small renderers ---------------------------------------------------------------------------
def _money(value: Decimal | float | None, currency: str) -> str:
    return "–" if value is None else f"{value:,.2f} {currency}".strip()


def _pct(value: float | None) -> str:
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


def _next(console: Any, commands: Sequence[str]) -> None:
    for command in commands:
        console.print(Text(f"next: {command}", style="cyan"), soft_wrap=True)


def _db_flag(db: Path) -> str:
    return f"--db {shlex.quote(str(db))}"


def _tests_cell(row: NetworkRow) -> str:
    """``cn 2/4 us 1/3``: tests met of those applied, per jurisdiction."""
    counts: dict[str, list[int]] = {}
    for test in row.tests:
        met_total = counts.setdefault(test.jurisdiction, [0, 0])
        met_total[0] += test.result == "met"
        met_total[1] += 1
    return " ".join(f"{j} {m}/{t}" for j, (m, t) in sorted(counts.items())) or "–"


def _networks_table(title: str, networks: Sequence[NetworkRow]) -> Table:
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


def _print_network_tests(console: Any, networks: Sequence[NetworkRow]) -> None:
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
    commands = [f"sentinella pyramid networks {_db_flag(db)}"]
    if first is not None:
        commands.append(f"sentinella pyramid member {shlex.quote(first)} {_db_flag(db)}")
        commands.append(
            f"sentinella pyramid report --network {shlex.quote(first)} --out network.html {_db_flag(db)}"
        )
    return {
        "top_title": "Largest pyramids" if pyramids else "Largest networks (none is a pyramid)",
        "top": networks,
        "next": commands,
    }


def print_pyramid_top(console: Any, top: dict[str, Any]) -> None:
    if top["top"]:
        console.print(_networks_table(top["top_title"], top["top"]))
        _print_network_tests(console, top["top"])
    _next(console, top["next"])


def rings_top(backend: Backend, db: Path) -> dict[str, Any]:
    from sentinella.rings import list_rings

    found = list_rings(backend, limit=TOP)
    commands = [f"sentinella rings show {shlex.quote(found[0].ring_id)} {_db_flag(db)}"] if found else []
    commands.append(f"sentinella credit {_db_flag(db)}")
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
    _next(console, top["next"])


def credit_top(backend: Backend, db: Path) -> dict[str, Any]:
    from sentinella.credit import rank_merchants

    lowest = rank_merchants(backend, "lowest", limit=TOP)
    penalised = rank_merchants(backend, "penalised", limit=TOP)
    listed = penalised or lowest
    commands = (
        [f"sentinella credit show {shlex.quote(listed[0].merchant_id)} {_db_flag(db)}"] if listed else []
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
            _pct(m.positive_rate_smoothed),
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
    _next(console, top["next"])


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
        f"sentinella compare listing {shlex.quote(str(r['listing_id']))} {_db_flag(db)}" for r in found[:1]
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
    _next(console, top["next"])


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
    commands = [f"sentinella credit show {shlex.quote(m['merchant_id'])} {_db_flag(db)}" for m in ranked[:1]]
    commands.append(f"sentinella export provenance_findings --out findings.csv {_db_flag(db)}")
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
    _next(console, top["next"])


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
        f"sentinella pyramid member {shlex.quote(m['subject_id'])} {_db_flag(db)}"
        for m in top["top_members"][:1]
    ]
    commands += [
        f"sentinella credit show {shlex.quote(m['subject_id'])} {_db_flag(db)}"
        for m in top["top_merchants"][:1]
    ]
    commands.append(f"sentinella cases open --from-risk {_db_flag(db)}")
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
    _next(console, top["next"])


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
        "report": str(result.report),
        "store": str(store),
        "next": [
            f"sentinella pyramid networks {_db_flag(store)}",
            f"sentinella rings {_db_flag(store)}",
            f"sentinella serve {_db_flag(store)}",
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
    console.print(Text(f"report: {payload['report']}   store: {payload['store']}"))
    _next(console, payload["next"])


# -- lookups ----------------------------------------------------------------------------------
def _emit(as_json: bool, value: Any, text: Callable[[Any], None]) -> None:
    from sentinella.cli import console

    if as_json:
        console.print_json(dumps(value.to_dict() if hasattr(value, "to_dict") else top_json(value)))
    else:
        text(console)


def pyramid_networks(
    ctx: typer.Context,
    db: Annotated[
        Path | None,
        typer.Option("--db", help="The store (default: the pyramid group's --db, or SENTINELLA_DB)."),
    ] = None,
    sort: Annotated[
        str, typer.Option("--sort", help="members, persons, levels, fees (entry fees) or rewards.")
    ] = "members",
    pyramids: Annotated[bool, typer.Option("--pyramids", help="Only networks assessed as pyramids.")] = False,
    limit: LimitOption = 20,
    as_json: JsonOption = False,
) -> None:
    """List recruitment networks, largest first, with the legal tests each met."""
    from sentinella.cli import _open_store
    from sentinella.pyramid import list_networks

    path = _group_db(ctx, db)
    with _open_store(path, read_only=True) as store:
        found = list_networks(store.backend, sort=sort, pyramids_only=pyramids, limit=limit)  # type: ignore[arg-type]
    value = {"networks": found, "sort": sort, "pyramids_only": pyramids}

    def text(console: Any) -> None:
        if not found:
            console.print("no networks", markup=False)
            return
        console.print(_networks_table(f"Networks by {sort}", found))
        _print_network_tests(console, found)
        _next(console, [f"sentinella pyramid member {shlex.quote(found[0].network_id)} {_db_flag(path)}"])

    _emit(as_json, value, text)


def _group_db(ctx: typer.Context, db: Path | None) -> Path:
    """A subcommand's --db, else the group's (``pyramid --db X networks``), else the default."""
    if db is not None:
        return db
    parent = ctx.parent.params.get("db") if ctx.parent is not None else None
    return Path(parent) if parent else Path(DEFAULT_DB)


def pyramid_member(
    ctx: typer.Context,
    member_id: Annotated[str, typer.Argument(help="The member's ID.")],
    db: Annotated[
        Path | None,
        typer.Option("--db", help="The store (default: the pyramid group's --db, or SENTINELLA_DB)."),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """One member: upline path to the network's root, downline by level, findings with their paragraph."""
    from sentinella.cli import _open_store
    from sentinella.pyramid import member_view

    path = _group_db(ctx, db)
    with _open_store(path, read_only=True) as store:
        view = member_view(store.backend, member_id)
    _emit(as_json, view, lambda console: _print_member(console, view, path))


def _print_member(console: Any, view: MemberView, db: Path) -> None:
    person = f" (person {view.person_id})" if view.person_id and view.person_id != view.member_id else ""
    where = f"in network {view.network_id} at level {view.level}" if view.network_id else "not in any network"
    console.print(Text(f"{view.member_id}{person} {where}", style="bold"))
    chain = [view.member_id, *(step.member_id for step in view.upline)]
    if len(chain) > 16:
        chain = [*chain[:10], f"… {len(chain) - 15:,} more …", *chain[-5:]]
    if view.upline or view.upline_note:
        note = f" ({view.upline_note})" if view.upline_note else " (root)"
        console.print(Text(f"  upline: {' → '.join(chain)}{note}"))
    c = view.currency
    console.print(
        Text(
            f"  downline: {view.downline:,} accounts over {view.depth_below:,} levels, "
            f"{view.direct_recruits:,} recruited directly; {view.person_headcount:,} people counting "
            f"themselves; entry fees paid below them {_money(view.fees_in_downline, c)}"
        )
    )
    console.print(
        Text(
            f"  own money: fees paid {_money(view.fees_paid, c)}, rewards {_money(view.rewards, c)}, "
            f"net income {_money(view.net_income, c)}"
        )
    )
    if view.downline_levels:
        table = compact_table(
            "Downline by level", [("levels below", "num"), ("members", "num"), ("fees paid", "num")]
        )
        for level in view.downline_levels:
            table.add_row(f"{level.below:,}", f"{level.members:,}", _money(level.fees_paid, c))
        console.print(table)
    if view.downline_note:
        console.print(Text(f"  {view.downline_note}", style="dim"))
    for finding in view.findings:
        style = "red" if finding.result == "met" else "green"
        console.print(
            Text.assemble(
                "  ",
                (finding.result.replace("_", " "), style),
                f" {finding.rule_id}: {finding.citation}",
            )
        )
        console.print(Text(f"    {finding.explanation}", style="dim"))
    if not view.findings:
        console.print(Text("  no findings about this member", style="dim"))
    for issue in view.issues:
        console.print(Text(f"  data problem {issue['issue'].replace('_', ' ')}: {issue['detail']}"))
    if view.network_id:
        _next(
            console,
            [
                f"sentinella pyramid report --network {shlex.quote(view.network_id)} --out network.html "
                f"{_db_flag(db)}"
            ],
        )


def credit_show(
    merchant_id: Annotated[str, typer.Argument(help="The merchant's ID.")],
    db: DbOption = Path(DEFAULT_DB),
    as_json: JsonOption = False,
) -> None:
    """One merchant's credit card: level, points, rates with their counts, what was not counted and why."""
    from sentinella.cli import _open_store
    from sentinella.credit import credit_card

    with _open_store(db, read_only=True) as store:
        card = credit_card(store.backend, merchant_id)
    _emit(as_json, card, lambda console: _print_card(console, card, db))


def _print_card(console: Any, card: CreditCard, db: Path) -> None:
    level = f"{card.level_name} {card.level_symbol or ''}".strip() if card.level_name else "no level yet"
    console.print(
        Text(
            f"{card.merchant_id}: {level}, {card.points:,} points (as of {card.as_of}, {card.timezone})",
            style="bold",
        )
    )
    console.print(
        Text(
            f"  ratings: {card.ratings:,}, of which {card.ratings_counted:,} counted ({card.positive:,} "
            f"positive, {card.neutral:,} neutral, {card.negative:,} negative); positive rate "
            f"{_pct(card.positive_rate)} (smoothed {_pct(card.positive_rate_smoothed)})"
        )
    )
    parts = [
        f"{d.part} {'–' if d.average is None else f'{d.average:.2f}'} from {d.count:,}"
        for d in card.detailed_ratings
    ]
    console.print(Text(f"  detailed ratings (180 days): {'; '.join(parts)}"))
    console.print(
        Text(
            f"  defects (60 days): {card.defect_orders_60d:,} of {card.orders_60d:,} orders "
            f"({_pct(card.defect_rate_60d)})"
        )
    )
    robust = "–" if card.robust_score is None else f"{card.robust_score:.2f} of 5"
    console.print(Text(f"  robust score: {robust} from {card.robust_raters:,} raters"))
    if card.not_counted:
        table = compact_table("Not counted", [("reason", "id"), ("ratings", "num"), ("why", "text")])
        for item in card.not_counted:
            table.add_row(Text(item.reason.replace("_", " ")), f"{item.ratings:,}", Text(item.why))
        console.print(table)
    if card.brushing_flagged:
        console.print(
            Text(
                f"  brushing: {card.flagged_orders:,} orders flagged, removed with their ratings",
                style="yellow",
            )
        )
    console.print(Text(f"  {card.explanation}", style="dim"))
    _next(console, [f"sentinella risk {_db_flag(db)}"])


def rings_show(
    ring_id: Annotated[str, typer.Argument(help="The ring's ID (ring_groups.ring_id).")],
    db: DbOption = Path(DEFAULT_DB),
    orders: Annotated[int, typer.Option("--orders", min=0, max=100_000, help="Orders to list.")] = 20,
    as_json: JsonOption = False,
) -> None:
    """One ring: its shop, accounts, flagged orders in time order, and the evidence that binds them."""
    from sentinella.cli import _open_store
    from sentinella.rings import ring_view

    with _open_store(db, read_only=True) as store:
        view = ring_view(store.backend, ring_id, orders=orders)
    _emit(as_json, view, lambda console: _print_ring(console, view, db))


def _print_ring(console: Any, view: RingView, db: Path) -> None:
    ring = view.ring
    console.print(
        Text(
            f"{ring.ring_id} at {ring.merchant_id}: {ring.members:,} accounts, {ring.orders:,} flagged "
            f"orders from {ring.first_order_at or '–'} to {ring.last_order_at or '–'}, "
            f"score {ring.score:.3f}",
            style="bold",
        )
    )
    console.print(Text(f"  evidence: {ring.evidence}"))
    table = compact_table(
        "Accounts",
        [
            ("member", "id"),
            ("score", "num"),
            ("orders", "num"),
            ("5-star", "num"),
            ("age days", "num"),
            ("shared ids", "id"),
            ("chat", "id"),
            ("cashback", "id"),
        ],
    )

    def yes(flag: bool) -> str:
        return "yes" if flag else "–"

    for a in view.accounts:
        table.add_row(
            Text(a.member_id),
            f"{a.score:.3f}",
            f"{a.orders:,}",
            f"{a.five_star_share:.0%}",
            f"{a.age_days:,.0f}",
            yes(a.shared_identifiers),
            yes(a.chat_group),
            yes(a.cashback),
        )
    console.print(table)
    if view.orders:
        orders = compact_table(
            "Flagged orders", [("order", "id"), ("buyer", "id"), ("placed", "id"), ("score", "num")]
        )
        for o in view.orders:
            orders.add_row(
                Text(o.order_id), Text(o.buyer_id), Text((o.placed_at or "–")[:16]), f"{o.score:.3f}"
            )
        console.print(orders)
        if view.orders_total > len(view.orders):
            console.print(
                Text(
                    f"  … {view.orders_total - len(view.orders):,} more (--orders N, or --json)", style="dim"
                )
            )
    _next(console, [f"sentinella credit show {shlex.quote(ring.merchant_id)} {_db_flag(db)}"])


def register(
    app: typer.Typer, *, pyramid_app: typer.Typer, credit_app: typer.Typer, rings_app: typer.Typer
) -> None:
    """Add the lookups to their groups; call after every command is registered (examples last)."""
    pyramid_app.command("networks")(pyramid_networks)
    pyramid_app.command("member")(pyramid_member)
    credit_app.command("show")(credit_show)
    rings_app.command("show")(rings_show)
