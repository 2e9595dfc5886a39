"""The ``sentinella`` command: every capability's entry point, for people and for scripts."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table

from sentinella import __version__
from sentinella.contract import TABLES, render_markdown
from sentinella.engine import EngineSettings
from sentinella.store import IngestReport, Store, StoreError, ingest_case

app = typer.Typer(
    name="sentinella",
    help="Trust and safety for social commerce: credit, pyramid forensics, rings, provenance.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
console = Console()
errors = Console(stderr=True)

DEFAULT_DB = "sentinella.duckdb"
DbOption = Annotated[
    Path,
    typer.Option("--db", envvar="SENTINELLA_DB", help="The store (a DuckDB file).", show_default=True),
]
MemoryOption = Annotated[
    str,
    typer.Option(
        "--memory-limit",
        envvar="SENTINELLA_MEMORY_LIMIT",
        help="DuckDB memory limit, e.g. 8GB (default: 60% of RAM).",
    ),
]
ThreadsOption = Annotated[
    int,
    typer.Option("--threads", envvar="SENTINELLA_THREADS", help="Worker threads (default: all cores)."),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print the result as JSON.")]


def _fail(message: str, code: int = 2) -> typer.Exit:
    errors.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
    return typer.Exit(code)


@contextmanager
def _open_store(db: Path, *, read_only: bool, memory_limit: str = "", threads: int = 0) -> Iterator[Store]:
    try:
        store = Store.open(
            db,
            read_only=read_only,
            settings=EngineSettings(memory_limit=memory_limit, threads=threads),
        )
    except StoreError as error:
        raise _fail(str(error)) from error
    try:
        yield store
    finally:
        store.close()


@contextmanager
def progress_bar(enabled: bool) -> Iterator[Callable[[str, int, int], None]]:
    """A Rich progress bar on stderr; callers report (stage, done, total)."""
    if not enabled:
        yield lambda stage, done, total: None
        return
    with Progress(
        TextColumn("{task.description:<14}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(),
        console=errors,
        transient=True,
    ) as bar:
        tasks: dict[str, TaskID] = {}

        def report(stage: str, done: int, total: int) -> None:
            key = stage.split(":")[0]
            if key not in tasks:
                tasks[key] = bar.add_task(stage, total=max(total, 1))
            bar.update(tasks[key], completed=done, total=max(total, 1), description=stage)

        yield report


@app.command()
def ingest(
    case_dir: Annotated[Path, typer.Argument(help="The case folder: one file per table.")],
    db: DbOption = Path(DEFAULT_DB),
    as_json: JsonOption = False,
    salt: Annotated[
        str | None,
        typer.Option(
            "--salt",
            envvar="SENTINELLA_SALT",
            help="Keep only salted SHA-256 hashes of identity columns (phone, id_number, ...).",
        ),
    ] = None,
    show: Annotated[int, typer.Option("--show", help="Bad rows to print per table.")] = 20,
    memory_limit: MemoryOption = "",
    threads: ThreadsOption = 0,
) -> None:
    """Validate and load a case folder into the store.

    Exit status: 0 all rows imported; 1 some rows quarantined or a table failed (good rows are
    in); 2 nothing could be imported.
    """
    if not case_dir.is_dir():  # before the store is created: a typo must not leave an empty store
        reason = (
            "no such folder" if not case_dir.exists() else "is a file; give the case folder that holds it"
        )
        raise _fail(f"{case_dir}: {reason}")
    with _open_store(db, read_only=False, memory_limit=memory_limit, threads=threads) as store:
        try:
            with progress_bar(not as_json and sys.stderr.isatty()) as progress:
                report = ingest_case(store, case_dir, identity_salt=salt, progress=progress)
        except StoreError as error:
            raise _fail(str(error)) from error
    if as_json:
        console.print_json(json.dumps(report.to_dict(), ensure_ascii=False))
    else:
        _print_ingest(report, db, show)
    raise typer.Exit(report.exit_code)


def _print_ingest(report: IngestReport, db: Path, show: int) -> None:
    for message in report.errors:
        errors.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
    if report.tables:
        table = Table(title=f"Imported {report.case_dir} into {db}", title_justify="left")
        for column in ("table", "read", "imported", "duplicate", "conflict", "rejected", "status"):
            table.add_column(column, justify="left" if column in ("table", "status") else "right")
        for t in report.tables:
            colour = {"ok": "green", "partial": "yellow", "failed": "red"}[t.status]
            table.add_row(
                t.table,
                f"{t.read:,}",
                f"{t.imported:,}",
                f"{t.duplicate:,}",
                f"{t.conflict:,}",
                f"{t.rejected:,}",
                f"[{colour}]{t.status}[/]",
            )
        console.print(table)
    for t in report.tables:
        for message in t.errors:
            errors.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
        for problem in t.problems[:show]:
            console.print(f"  [yellow]rejected[/] {problem.sentence()}", highlight=False, soft_wrap=True)
        hidden = t.rejected + t.conflict - min(len(t.problems), show)
        if hidden > 0 and t.problems:
            console.print(f"  … and more in table ingest_quarantine ({t.table})", highlight=False)
        for note in t.notes:
            console.print(f"  [dim]note[/] {note}", highlight=False, soft_wrap=True)
    for reference, count in report.notices.items():
        source, target = reference.split(" → ")
        rows = f"{count:,} row points" if count == 1 else f"{count:,} rows point"
        console.print(
            f"  [cyan]kept[/] {source}: {rows} to an unknown {target} (see table ingest_notices)",
            highlight=False,
            soft_wrap=True,
        )
    if report.ignored:
        console.print(
            f"  [dim]ignored (not contract tables): {', '.join(report.ignored)}[/]", highlight=False
        )
    console.print(f"done in {report.seconds:.2f} s, exit status {report.exit_code}", highlight=False)


@app.command()
def tables(db: DbOption = Path(DEFAULT_DB), as_json: JsonOption = False) -> None:
    """List the store's tables with their row counts."""
    with _open_store(db, read_only=True) as store:
        infos = store.tables()
    if as_json:
        console.print_json(json.dumps([{"table": t.name, "rows": t.rows, "kind": t.kind} for t in infos]))
        return
    table = Table(title=str(db), title_justify="left")
    table.add_column("table")
    table.add_column("rows", justify="right")
    table.add_column("kind")
    for info in infos:
        table.add_row(info.name, f"{info.rows:,}", info.kind)
    console.print(table)


@app.command()
def export(
    table: Annotated[str, typer.Argument(help="Table to export.")],
    out: Annotated[Path, typer.Option("--out", help="Output file: .csv, .parquet, .json or .jsonl.")],
    db: DbOption = Path(DEFAULT_DB),
) -> None:
    """Write a table to a file; the format follows the extension."""
    with _open_store(db, read_only=True) as store:
        try:
            rows = store.export(table, out)
        except StoreError as error:
            raise _fail(str(error)) from error
    console.print(f"wrote {rows:,} rows of {table} to {out}", highlight=False)


@app.command()
def contract(as_json: JsonOption = False) -> None:
    """Print the input data contract: which files and columns a case folder holds."""
    if not as_json:
        sys.stdout.write(render_markdown())
        return
    tables = [
        {
            "table": spec.name,
            "key": list(spec.key),
            "columns": [
                {
                    "name": c.name,
                    "kind": c.kind.value,
                    "required": c.required,
                    "allowed": list(c.allowed),
                    "minimum": c.minimum,
                    "maximum": c.maximum,
                    "references": c.references,
                }
                for c in spec.columns
            ],
        }
        for spec in TABLES.values()
    ]
    console.print_json(json.dumps(tables))


@app.command()
def generate(
    out: Annotated[Path, typer.Option("--out", help="Case folder to write (its tables are replaced).")],
    members: Annotated[int, typer.Option("--members", min=1, help="Number of members.")] = 10_000,
    seed: Annotated[int, typer.Option("--seed", help="Same seed, same bytes.")] = 1,
    profile: Annotated[str, typer.Option("--profile", help="default, pyramid-case or tiny.")] = "default",
    file_format: Annotated[str, typer.Option("--format", help="parquet, csv or jsonl.")] = "parquet",
    media: Annotated[bool, typer.Option("--media/--no-media", help="Render images (JPEG with EXIF).")] = True,
    dirty_rate: Annotated[
        float | None, typer.Option("--dirty-rate", help="Share of rows made dirty (default: the profile's).")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Write a synthetic case with planted ground truth (in OUT/truth/)."""
    from sentinella.synth import PROFILES, generate_world

    if profile not in PROFILES:
        raise _fail(f"unknown profile {profile!r}: choose one of {', '.join(PROFILES)}")
    if file_format not in ("parquet", "csv", "jsonl"):
        raise _fail(f"unknown format {file_format!r}: choose parquet, csv or jsonl")
    with progress_bar(not as_json and sys.stderr.isatty()) as progress:
        summary = generate_world(
            out,
            members=members,
            seed=seed,
            profile=profile,
            fmt=file_format,  # type: ignore[arg-type]
            media=media,
            dirty_rate=dirty_rate,
            progress=progress,
        )
    if as_json:
        payload = {k: (str(v) if isinstance(v, Path) else v) for k, v in summary.__dict__.items()}
        console.print_json(json.dumps(payload))
        return
    rows = ", ".join(f"{name} {count:,}" for name, count in summary.rows.items())
    console.print(f"wrote {out} in {summary.seconds:.1f} s: {rows}", highlight=False, soft_wrap=True)
    planted = ", ".join(f"{name.replace('_', ' ')} {count:,}" for name, count in summary.planted.items())
    console.print(f"planted (see {out / 'truth'}): {planted}", highlight=False, soft_wrap=True)


@app.command()
def demo(
    out: Annotated[
        Path, typer.Option("--out", help="Folder for the world, the store and the report.")
    ] = Path("demo"),
    members: Annotated[int, typer.Option("--members", min=1000, help="World size.")] = 20_000,
    seed: Annotated[int, typer.Option("--seed")] = 42,
    media: Annotated[bool, typer.Option("--media/--no-media")] = True,
) -> None:
    """Generate a world, ingest it, run every analysis and show what was found vs planted."""
    from sentinella.demo import run_demo

    console.print(
        f"Sentinella demo: a world of {members:,} members with planted fraud → {out}/", highlight=False
    )
    with progress_bar(sys.stderr.isatty()) as progress:
        result = run_demo(out, members=members, seed=seed, media=media, progress=progress)
    table = Table(title="Found vs planted", title_justify="left")
    for column in ("capability", "what", "planted", "found", "recall", "flagged wrongly"):
        table.add_column(column, justify="left" if column in ("capability", "what") else "right")
    for score in result.scores:
        colour = "green" if score.recall >= 0.95 else "red"
        table.add_row(
            score.capability,
            score.what,
            f"{score.planted:,}",
            f"{score.found:,}",
            f"[{colour}]{score.recall:.0%}[/]",
            f"{score.wrong:,}",
        )
    console.print(table)
    timings = ", ".join(f"{stage} {seconds:.1f} s" for stage, seconds in result.seconds.items())
    console.print(f"done: {timings}", highlight=False)
    console.print(f"report: {result.report}   store: {out / 'sentinella.duckdb'}", highlight=False)


@app.command()
def rings(
    db: DbOption = Path(DEFAULT_DB),
    labels: Annotated[
        Path | None,
        typer.Option("--labels", help="CSV of order_id,label (1 fake, 0 honest) to learn from."),
    ] = None,
    as_json: JsonOption = False,
    memory_limit: MemoryOption = "",
    threads: ThreadsOption = 0,
) -> None:
    """Find brushing and fake-review rings; score every order and buyer."""
    from sentinella.rings import RESULT_TABLES as RINGS_TABLES
    from sentinella.rings import LabelsError, MissingTableError, run_rings

    with _open_store(db, read_only=False, memory_limit=memory_limit, threads=threads) as store:
        try:
            summary = run_rings(store.backend, labels=labels)
        except (LabelsError, MissingTableError) as error:
            raise _fail(str(error)) from error
    if as_json:
        console.print_json(json.dumps(summary.__dict__, default=str))
        return
    console.print(
        f"{summary.orders:,} orders scored: {summary.rings:,} rings of {summary.ring_members:,} accounts; "
        f"{summary.flagged_orders:,} orders and {summary.flagged_members:,} accounts flagged "
        f"({'supervised' if summary.supervised else 'unsupervised'}) in {summary.seconds:.2f} s",
        highlight=False,
    )
    console.print(f"  results: {', '.join(RINGS_TABLES)}", highlight=False)


@app.command()
def credit(
    db: DbOption = Path(DEFAULT_DB),
    as_of: Annotated[
        str | None,
        typer.Option("--as-of", help="Score as of this date (YYYY-MM-DD); default: the last day with data."),
    ] = None,
    as_json: JsonOption = False,
    memory_limit: MemoryOption = "",
    threads: ThreadsOption = 0,
) -> None:
    """Merchant credit: Taobao's rules on verified orders, brushing removed, with explanations."""
    import datetime as dt

    from sentinella.credit import RESULT_TABLES as CREDIT_TABLES
    from sentinella.credit import CreditError, run_credit

    try:
        day = dt.date.fromisoformat(as_of) if as_of else None
    except ValueError as error:
        raise _fail(f"--as-of {as_of!r} is not a date (YYYY-MM-DD)") from error
    with _open_store(db, read_only=False, memory_limit=memory_limit, threads=threads) as store:
        try:
            summary = run_credit(store.backend, as_of=day)
        except CreditError as error:
            raise _fail(str(error)) from error
    if as_json:
        console.print_json(json.dumps(summary.__dict__, default=str))
        return
    skipped = ", ".join(f"{reason} {count:,}" for reason, count in summary.not_counted.items() if count)
    console.print(
        f"{summary.merchants:,} merchants scored as of {summary.as_of} ({summary.timezone}): "
        f"{summary.counted:,} of {summary.ratings:,} ratings counted in {summary.seconds:.2f} s",
        highlight=False,
    )
    if skipped:
        console.print(f"  not counted: {skipped}", highlight=False, soft_wrap=True)
    if summary.flagged_orders:
        console.print(
            f"  {summary.flagged_orders:,} brushing orders removed (from {summary.flagged_source})",
            highlight=False,
        )
    console.print(f"  results: {', '.join(CREDIT_TABLES)}", highlight=False)


pyramid_app = typer.Typer(
    help="Pyramid-selling forensics: hierarchy, money flows and the legal tests.",
    invoke_without_command=True,
    no_args_is_help=False,
)
app.add_typer(pyramid_app, name="pyramid")


@pyramid_app.callback(invoke_without_command=True)
def pyramid(
    ctx: typer.Context,
    db: DbOption = Path(DEFAULT_DB),
    profile: Annotated[
        list[str] | None,
        typer.Option(
            "--profile", help="Jurisdiction: cn, us, eu or a TOML file (repeatable; default all three)."
        ),
    ] = None,
    repeat_offender: Annotated[
        list[str] | None,
        typer.Option("--repeat-offender", help="Member sanctioned before for pyramid selling (repeatable)."),
    ] = None,
    rates: Annotated[
        Path | None, typer.Option("--rates", help="TOML file of CNY per unit of each currency.")
    ] = None,
    as_json: JsonOption = False,
    memory_limit: MemoryOption = "",
    threads: ThreadsOption = 0,
) -> None:
    """Rebuild the recruitment forest, measure every member and network, apply the legal tests."""
    if ctx.invoked_subcommand is not None:
        return
    from sentinella.pyramid import RESULT_TABLES as PYRAMID_TABLES
    from sentinella.pyramid import PyramidError, run_pyramid

    with _open_store(db, read_only=False, memory_limit=memory_limit, threads=threads) as store:
        try:
            summary = run_pyramid(
                store.backend,
                profiles=profile or ("cn", "us", "eu"),
                repeat_offenders=repeat_offender or (),
                rates_file=rates,
            )
        except PyramidError as error:
            raise _fail(str(error)) from error
    if as_json:
        console.print_json(json.dumps(summary.__dict__))
        return
    console.print(
        f"{summary.members:,} members, {summary.networks:,} networks of which {summary.pyramids:,} "
        f"pyramids; {summary.organizers:,} organizers or leaders; {summary.findings:,} findings "
        f"({', '.join(summary.profiles)}) in {summary.seconds:.2f} s",
        highlight=False,
    )
    for issue, count in summary.issues.items():
        console.print(
            f"  [yellow]data problem[/] {issue.replace('_', ' ')}: {count:,} members", highlight=False
        )
    console.print(f"  results: {', '.join(PYRAMID_TABLES)}", highlight=False)


@pyramid_app.command("report")
def pyramid_report(
    network: Annotated[str, typer.Option("--network", help="The network (its leader's member_id).")],
    out: Annotated[Path, typer.Option("--out", help="HTML file to write.")],
    db: DbOption = Path(DEFAULT_DB),
) -> None:
    """Write the evidence report of one network as HTML (print it to PDF from a browser)."""
    from sentinella.pyramid import PyramidError, render_report

    with _open_store(db, read_only=True) as store:
        try:
            html = render_report(store.backend, network, store_path=str(db))
        except PyramidError as error:
            raise _fail(str(error)) from error
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(html, encoding="utf-8")
    console.print(f"wrote {out}", highlight=False)


compare_app = typer.Typer(
    help="Comparison: the same product across merchants, ranked by a credit-aware value.",
    invoke_without_command=True,
    no_args_is_help=False,
)
app.add_typer(compare_app, name="compare")
RatesOption = Annotated[
    Path | None, typer.Option("--rates", help="TOML file of CNY per unit of each currency.")
]


@compare_app.callback(invoke_without_command=True)
def compare(
    ctx: typer.Context,
    db: DbOption = Path(DEFAULT_DB),
    embeddings: Annotated[
        bool,
        typer.Option(
            "--embeddings/--no-embeddings",
            help="Add sentence-embedding similarity (needs `pip install sentinella[compare]`).",
        ),
    ] = False,
    rates: RatesOption = None,
    as_json: JsonOption = False,
    memory_limit: MemoryOption = "",
    threads: ThreadsOption = 0,
) -> None:
    """Match listings into products (any language, model numbers, GTIN) and price each product."""
    if ctx.invoked_subcommand is not None:
        return
    from sentinella.compare import RESULT_TABLES as COMPARE_TABLES
    from sentinella.compare import CompareError, run_compare

    with _open_store(db, read_only=False, memory_limit=memory_limit, threads=threads) as store:
        try:
            summary = run_compare(store.backend, embeddings=embeddings, rates_file=rates)
        except CompareError as error:
            raise _fail(str(error)) from error
    if as_json:
        console.print_json(json.dumps(summary.to_dict()))
        return
    for line in summary.lines():
        console.print(line, highlight=False, soft_wrap=True)
    console.print(f"  results: {', '.join(COMPARE_TABLES)}", highlight=False)


@compare_app.command("listing")
def compare_listing_command(
    listing_id: Annotated[str, typer.Argument(help="The listing to compare.")],
    db: DbOption = Path(DEFAULT_DB),
    limit: Annotated[int, typer.Option("--limit", min=1, help="Rows per table.")] = 20,
    rates: RatesOption = None,
    as_json: JsonOption = False,
) -> None:
    """Print one listing's comparison: its product at other merchants, and alternatives."""
    from sentinella.compare import CompareError, compare_listing

    with _open_store(db, read_only=True) as store:
        try:
            result = compare_listing(store.backend, listing_id, limit=limit, rates_file=rates)
        except CompareError as error:
            raise _fail(str(error)) from error
    if as_json:
        console.print_json(json.dumps(result.to_dict(), default=str))
        return
    market = "unknown" if result.market_price is None else f"¥{result.market_price:,.2f}"
    console.print(f"{result.listing_id}: {result.title}", highlight=False, soft_wrap=True)
    console.print(
        f"product {result.product_id}, market price {market} (median over merchants)", highlight=False
    )
    offers = Table(title="Same product at other merchants (best value first)")
    for column in (
        "listing",
        "merchant",
        "price",
        "vs market",
        "credit",
        "positive",
        "defect",
        "days",
        "value",
    ):
        offers.add_column(column, justify="left" if column in ("listing", "merchant", "credit") else "right")

    def pct(x: object) -> str:
        return "–" if x is None else f"{float(str(x)):.1%}"

    for row in result.offers:
        offers.add_row(
            ("→ " if row["this_listing"] else "") + str(row["listing_id"]),
            str(row["merchant_id"]),
            f"{row['price']:,.2f} {row['currency']}",
            "–" if row["vs_market_pct"] is None else f"{row['vs_market_pct']:+.1f}%",
            str(row["level_name"] or "none"),
            pct(row["positive_rate"]),
            pct(row["defect_rate"]),
            "–" if row["delivery_days"] is None else f"{row['delivery_days']:.1f}",
            ("–" if row["value_cny"] is None else f"¥{row['value_cny']:,.2f}")
            + ("*" if row["chance_assumed"] else "")
            + (" ⚠ far below market" if row["below_market"] else ""),
        )
    console.print(offers)
    if result.alternatives:
        alternatives = Table(title=f"Alternatives in {result.category} at a similar price")
        for column in ("product", "title", "merchants", "market", "best value", "best listing"):
            alternatives.add_column(column)
        for row in result.alternatives:
            alternatives.add_row(
                str(row["product_id"]),
                str(row["title"]),
                str(row["merchants"]),
                "–" if row["median_price"] is None else f"¥{row['median_price']:,.2f}",
                "–" if row["best_value_cny"] is None else f"¥{row['best_value_cny']:,.2f}",
                str(row["best_listing"]),
            )
        console.print(alternatives)
    console.print(result.explanation + " (* = assumed)", highlight=False, soft_wrap=True)


@app.callback(invoke_without_command=True)
def _root(
    version: Annotated[bool, typer.Option("--version", help="Print the version.")] = False,
) -> None:
    if version:
        console.print(f"sentinella {__version__}")
        raise typer.Exit(0)


def main() -> None:
    os.environ.setdefault("PYTHONIOENCODING", "utf-8")
    app()


if __name__ == "__main__":
    main()
