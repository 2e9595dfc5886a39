"""``sentinella report pyramid|merchant|ring``: evidence reports as HTML or PDF.

``cli.py`` calls :func:`register` on its ``app``; the shared helpers (``_open_store``,
``console``) are imported from it when a command runs, so the two modules never import each
other at load time.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from sentinella._cli_options import DEFAULT_DB, DbOption

JsonOption = Annotated[bool, typer.Option("--json", help="Print the files written as JSON.")]
OutOption = Annotated[
    Path,
    typer.Option(
        "--out", help="The report file: .html (opens offline) or .pdf; CSV files it links to go beside it."
    ),
]

report_app = typer.Typer(
    help="Evidence reports (HTML or PDF) for a pyramid network, a merchant or a brushing ring.",
    no_args_is_help=True,
)


def register(app: typer.Typer) -> None:
    """Add ``report`` to the ``sentinella`` command."""
    app.add_typer(report_app, name="report")


def write(kind: str, subject: str, db: Path, out: Path, *, as_json: bool = False, **options: object) -> None:
    """Build one report from the store and write it (shared by ``pyramid report``)."""
    from sentinella.cli import _open_store, console
    from sentinella.report import write_report
    from sentinella.report._output import build

    if out.suffix.lower() not in (".html", ".htm", ".pdf"):
        from sentinella.report import ReportError

        raise ReportError(f"--out {out}: give a file ending in .html or .pdf")
    with _open_store(db, read_only=True) as store:
        report = build(store.backend, kind, subject, store_path=str(db), out_name=out.name, **options)
        written = write_report(report, out)
    if as_json:
        files = [str(path) for path in written]
        console.print_json(
            json.dumps({"kind": kind, "subject": subject, "written": files}, ensure_ascii=False)
        )
        return
    console.print(f"wrote {written[0]}", markup=False)
    for extra in written[1:]:
        console.print(f"  and {extra}", markup=False)


@report_app.command("pyramid")
def pyramid(
    network: Annotated[str, typer.Argument(help="The network: its network_id (see pyramid_networks).")],
    out: OutOption,
    db: DbOption = Path(DEFAULT_DB),
    as_json: JsonOption = False,
) -> None:
    """One recruitment network: picture, who recruited whom, money per level, the legal tests."""
    write("pyramid", network, db, out, as_json=as_json, stem=out.stem)


@report_app.command("merchant")
def merchant(
    merchant_id: Annotated[str, typer.Argument(help="The merchant_id.")],
    out: OutOption,
    db: DbOption = Path(DEFAULT_DB),
    case: Annotated[
        Path | None,
        typer.Option("--case", help="Case folder of the photos (default: the one media was ingested from)."),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """One merchant: credit card and its explanation, findings with their photos, prices vs the market."""
    write("merchant", merchant_id, db, out, as_json=as_json, case=case)


@report_app.command("ring")
def ring(
    ring_id: Annotated[str, typer.Argument(help="The ring_id (see ring_groups).")],
    out: OutOption,
    db: DbOption = Path(DEFAULT_DB),
    as_json: JsonOption = False,
) -> None:
    """One brushing ring: accounts, the shop, its orders on a timeline, the evidence."""
    write("ring", ring_id, db, out, as_json=as_json, stem=out.stem)
