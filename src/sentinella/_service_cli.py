"""The service's commands (risk, cases, keys, serve), kept out of cli.py so it stays small.

``cli.py`` calls :func:`register` on its ``app``; the shared helpers (``_open_store``, ``_fail``,
``console``) are imported from it when a command runs, so the two modules never import each
other at load time.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

DEFAULT_DB = "sentinella.duckdb"
DbOption = Annotated[
    Path,
    typer.Option("--db", envvar="SENTINELLA_DB", help="The store (a DuckDB file).", show_default=True),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print the result as JSON.")]


def register(app: typer.Typer) -> None:
    app.command()(risk)


def risk(
    db: DbOption = Path(DEFAULT_DB),
    weights: Annotated[
        Path | None,
        typer.Option("--weights", help="TOML file of signal weights (default: the shipped weights.toml)."),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """One risk score per member and merchant from the analyses that have run, with reasons."""
    from sentinella.cli import _fail, _open_store, console
    from sentinella.risk import RiskError, load_config, run_risk

    try:
        config = load_config(weights)
    except RiskError as error:
        raise _fail(str(error)) from error
    with _open_store(db, read_only=False) as store:
        try:
            summary = run_risk(store.backend, config=config)
        except RiskError as error:
            raise _fail(str(error)) from error
    if as_json:
        console.print_json(json.dumps(summary.as_dict()))
        return
    used = ", ".join(summary.analyses) or "none"
    console.print(
        f"{summary.members:,} members and {summary.merchants:,} merchants scored from {used} in "
        f"{summary.seconds:.2f} s; {summary.at_or_above_case:,} at or above the case threshold "
        f"{summary.case_threshold:g}",
        highlight=False,
    )
    for analysis, why in summary.skipped.items():
        console.print(f"  [yellow]skipped[/] {analysis}: {why}", highlight=False)
    console.print("  results: risk_scores", highlight=False)
