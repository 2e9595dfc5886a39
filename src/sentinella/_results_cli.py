"""Lookups in the terminal (pyramid networks, pyramid member, credit show, rings show) and an
example at the end of every command's --help.

``cli.py`` calls :func:`register` once its groups exist. Every printout is built from one
object: the capabilities' lookup functions (``pyramid.list_networks``, ``credit.credit_card``,
``rings.ring_view`` ...) return dataclasses; ``--json`` prints their ``to_dict()`` and the text
is rendered from the same objects (renderers in ``_results_text.py``), so the two cannot disagree.
"""

from __future__ import annotations

import shlex
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.text import Text
from typer.models import DefaultPlaceholder

from sentinella._cli_options import DEFAULT_DB, DbOption, JsonOption
from sentinella._query import dumps
from sentinella._results_text import (
    compact_table,
    db_flag,
    money,
    networks_table,
    pct,
    print_network_tests,
    print_next,
    top_json,
)

if TYPE_CHECKING:
    from sentinella.credit import CreditCard
    from sentinella.pyramid import MemberView
    from sentinella.rings import RingView

LimitOption = Annotated[int, typer.Option("--limit", min=1, max=100_000, help="Rows to list.")]

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
    "report": "sentinella report pyramid M000000129 --db case.duckdb --out network.pdf",
    "report pyramid": "sentinella report pyramid M000000129 --db case.duckdb --out network.pdf",
    "report merchant": "sentinella report merchant S00000066 --db case.duckdb --out shop.html",
    "report ring": "sentinella report ring R000001 --db case.duckdb --out ring.html",
}


def _epilog(path: str) -> str | None:
    example = EXAMPLES.get(path)
    return f"Example:  {example}" if example else None


def add_examples(app: typer.Typer, prefix: str = "") -> None:
    """Give every command and group an example in its --help (Typer's epilog), unless it has one."""
    if not prefix and not isinstance(getattr(app.info, "epilog", None), str):  # a Default placeholder
        app.info.epilog = "Example:  sentinella demo --out demo   (then follow the next: lines it prints)"
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
        console.print(networks_table(f"Networks by {sort}", found))
        print_network_tests(console, found)
        print_next(console, [f"sentinella pyramid member {shlex.quote(found[0].network_id)} {db_flag(path)}"])

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
            f"themselves; entry fees paid below them {money(view.fees_in_downline, c)}"
        )
    )
    console.print(
        Text(
            f"  own money: fees paid {money(view.fees_paid, c)}, rewards {money(view.rewards, c)}, "
            f"net income {money(view.net_income, c)}"
        )
    )
    if view.downline_levels:
        table = compact_table(
            "Downline by level", [("levels below", "num"), ("members", "num"), ("fees paid", "num")]
        )
        for level in view.downline_levels:
            table.add_row(f"{level.below:,}", f"{level.members:,}", money(level.fees_paid, c))
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
        print_next(
            console,
            [
                f"sentinella pyramid report --network {shlex.quote(view.network_id)} --out network.html "
                f"{db_flag(db)}"
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
            f"{pct(card.positive_rate)} (smoothed {pct(card.positive_rate_smoothed)})"
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
            f"({pct(card.defect_rate_60d)})"
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
    print_next(console, [f"sentinella risk {db_flag(db)}"])


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
    print_next(console, [f"sentinella credit show {shlex.quote(ring.merchant_id)} {db_flag(db)}"])


def register(
    app: typer.Typer, *, pyramid_app: typer.Typer, credit_app: typer.Typer, rings_app: typer.Typer
) -> None:
    """Add the lookups to their groups; call after every command is registered (examples last)."""
    pyramid_app.command("networks")(pyramid_networks)
    pyramid_app.command("member")(pyramid_member)
    credit_app.command("show")(credit_show)
    rings_app.command("show")(rings_show)
