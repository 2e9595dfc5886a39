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
from rich.markup import escape
from rich.text import Text

from sentinella import __version__
from sentinella._cli_errors import SentinellaGroup, print_error
from sentinella._cli_options import (
    DEFAULT_DB,
    DbOption,
    Engine,
    EngineOption,
    Forest,
    JsonOption,
    SparkMasterOption,
)
from sentinella._progress import progress_reporter
from sentinella.contract import TABLES, render_markdown
from sentinella.engine import EngineSettings, analysis_backend
from sentinella.errors import ConfigError
from sentinella.store import TIMEZONE_META, IngestReport, Store, check_encoding, check_timezone, ingest_case

# Errors: every command runs inside SentinellaGroup.invoke (sentinella/_cli_errors.py), which
# turns any SentinellaError into one line on stderr and exit status 2, Ctrl-C into 130 and
# anything else into a one-line bug report. Commands raise; they do not catch.
app = typer.Typer(
    name="sentinella",
    help="Trust and safety for social commerce: merchant credit, pyramid forensics, brushing rings.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    cls=SentinellaGroup,
)
# Data values (IDs, names, file names, table headers) reach the screen: print them as text,
# never as Rich markup (a value "[/]" would otherwise raise MarkupError).
console = Console(highlight=False)
errors = Console(stderr=True, highlight=False)

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
    typer.Option(
        "--threads", envvar="SENTINELLA_THREADS", min=0, help="Worker threads (default 0: all cores)."
    ),
]


# Sizes beyond this are refused before anything is written (the benchmarks go to 10M).
MAX_MEMBERS = 100_000_000
MAX_SEED = 2**63 - 1
ExistingFile = {"exists": True, "file_okay": True, "dir_okay": False, "readable": True}
RatesOption = Annotated[
    Path | None,
    typer.Option("--rates", **ExistingFile, help="TOML file of CNY per unit of each currency."),
]


@contextmanager
def _open_store(
    db: Path, *, read_only: bool, create: bool = False, memory_limit: str = "", threads: int = 0
) -> Iterator[Store]:
    """The store; only ``ingest`` creates one (``create``), analyses refuse a missing ``--db``."""
    settings = EngineSettings(memory_limit=memory_limit, threads=threads)  # checked before opening
    store = Store.open(db, read_only=read_only, create=create, settings=settings)
    try:
        yield store
    finally:
        store.close()


@contextmanager
def progress_bar(enabled: bool) -> Iterator[Callable[[str, int, int], None]]:
    """Progress on stderr (sentinella/_progress.py): Rich bars on a terminal, one line per step
    otherwise; callers report (stage, done, total). Off for --json."""
    with progress_reporter("auto" if enabled else "off", console=errors) as report:
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
    show: Annotated[int, typer.Option("--show", min=0, help="Bad rows to print per table.")] = 20,
    encoding: Annotated[
        str | None,
        typer.Option(
            "--encoding",
            help="Encoding of the CSV and JSON-lines files: utf-8 (default; a UTF-16 byte order mark "
            "is followed), gb18030, gbk, big5, latin-1, utf-16, ...",
        ),
    ] = None,
    memory_limit: MemoryOption = "",
    threads: ThreadsOption = 0,
    timezone: Annotated[
        str | None,
        typer.Option(
            "--timezone",
            help="IANA zone (e.g. Asia/Shanghai) for times written without an offset; "
            "without it they are read as UTC and counted in the summary.",
        ),
    ] = None,
    engine: Annotated[
        Engine,
        typer.Option(
            "--engine",
            help="Where the files are checked and the rows kept: the store itself (duckdb), or Apache "
            "Spark (needs the spark extra): a task per file, rows as Parquet in --tables, the "
            "quarantine and run log in the store.",
        ),
    ] = Engine.duckdb,
    tables: Annotated[
        Path | None,
        typer.Option(
            "--tables",
            help="With --engine spark: the folder for the tables' Parquet (default: beside the store, "
            "STORE.tables); every executor must reach it.",
        ),
    ] = None,
    spark_master: SparkMasterOption = "",
) -> None:
    """Validate and load a case folder into the store.

    Exit status: 0 all rows imported; 1 some rows quarantined, some optional fields cleared or
    a table failed (good rows are in); 2 nothing could be imported.
    """
    if tables is not None and engine is not Engine.spark:
        raise ConfigError("--tables is where --engine spark keeps the tables; add --engine spark")
    if timezone is not None:
        check_timezone(timezone)
    if not case_dir.is_dir():  # before the store is created: a typo must not leave an empty store
        reason = (
            "no such folder" if not case_dir.exists() else "is a file; give the case folder that holds it"
        )
        raise ConfigError(f"{case_dir}: {reason}")
    if salt is not None and not salt.strip():
        raise ConfigError("--salt is empty: give a secret phrase, or leave --salt out")
    if encoding is not None:
        check_encoding(encoding)
    with (
        _open_store(db, read_only=False, create=True, memory_limit=memory_limit, threads=threads) as store,
        progress_bar(not as_json) as progress,
    ):
        folder = store.input_tables_folder  # a second Spark ingest finds its tables there
        if engine is Engine.spark:
            folder = tables or folder or db.with_name(db.name + ".tables")
            from sentinella.engine import SparkBackend
            from sentinella.store import ingest_case_on_spark

            report = ingest_case_on_spark(
                store,
                case_dir,
                folder,
                spark=SparkBackend(master=spark_master),
                identity_salt=salt,
                encoding=encoding,
                timezone=timezone,
                progress=progress,
            )
        else:
            report = ingest_case(
                store, case_dir, identity_salt=salt, encoding=encoding, timezone=timezone, progress=progress
            )
    if as_json:
        console.print_json(json.dumps(report.to_dict(), ensure_ascii=False))
    else:
        _print_ingest(report, db, show, folder)
    raise typer.Exit(report.exit_code)


def _print_ingest(report: IngestReport, db: Path, show: int, tables: Path | None = None) -> None:
    for message in report.errors:
        print_error(message)
    if report.tables:
        from sentinella._results_text import compact_table

        # records = imported + duplicate + conflict + rejected, per file and per table.
        table = compact_table(
            f"Imported {report.case_dir} into {db}" + (f" (tables as Parquet in {tables})" if tables else ""),
            [
                ("table", "text"),
                *((name, "num") for name in ("records", "imported", "duplicate", "conflict")),
                *((name, "num") for name in ("rejected", "cleared")),
                ("status", "id"),
            ],
        )
        for t in report.tables:
            colour = {"ok": "green", "partial": "yellow", "failed": "red"}[t.status]
            table.add_row(
                Text(t.table),
                f"{t.records:,}",
                f"{t.imported:,}",
                f"{t.duplicate:,}",
                f"{t.conflict:,}",
                f"{t.rejected:,}",
                f"{t.fields_cleared:,}",
                f"[{colour}]{t.status}[/]",
            )
            for f in t.per_file if len(t.per_file) > 1 else []:
                counts = (f.records, f.imported, f.duplicate, f.conflict, f.rejected, f.fields_cleared)
                table.add_row(f"  {escape(f.file)}", *(f"[dim]{n:,}[/]" for n in counts), "")
        console.print(table)
    for t in report.tables:
        for message in t.errors:
            print_error(message)
        for problem in t.problems[:show]:
            label = "cleared" if problem.kind == "field" else "rejected"
            console.print(f"  [yellow]{label}[/] {escape(problem.sentence())}", soft_wrap=True)
        hidden = t.rejected + t.conflict + t.fields_cleared - min(len(t.problems), show)
        if hidden > 0 and t.problems:
            console.print(f"  … and more in table ingest_quarantine ({t.table})", markup=False)
        for note in t.notes:
            console.print(f"  [dim]note[/] {escape(note)}", soft_wrap=True)
    for reference, count in report.notices.items():
        source, target = reference.split(" → ")
        rows = f"{count:,} row points" if count == 1 else f"{count:,} rows point"
        console.print(
            f"  [cyan]kept[/] {escape(source)}: {rows} to an unknown {escape(target)} "
            "(see table ingest_notices)",
            soft_wrap=True,
        )
    for warning in [*(w for t in report.tables for w in t.warnings), *report.warnings]:
        console.print(f"  [magenta]warning[/] {escape(warning)}", highlight=False, soft_wrap=True)
    if report.ignored:
        console.print(Text(f"  ignored (not contract tables): {', '.join(report.ignored)}", style="dim"))
    console.print(f"done in {report.seconds:.2f} s, exit status {report.exit_code}", markup=False)


@app.command()
def tables(db: DbOption = Path(DEFAULT_DB), as_json: JsonOption = False) -> None:
    """List the store's tables with their row counts."""
    with _open_store(db, read_only=True) as store:
        infos = store.tables()
        zones = store.get_meta(TIMEZONE_META)
    if as_json:
        console.print_json(json.dumps([{"table": t.name, "rows": t.rows, "kind": t.kind} for t in infos]))
        return
    from sentinella._results_text import compact_table

    table = compact_table(str(db), [("table", "id"), ("rows", "num"), ("kind", "id")])
    for info in infos:
        table.add_row(Text(info.name), f"{info.rows:,}", info.kind)
    console.print(table)
    if zones:
        console.print(f"times without an offset were read as: {zones}", highlight=False)


@app.command()
def export(
    table: Annotated[str, typer.Argument(help="Table to export.")],
    out: Annotated[Path, typer.Option("--out", help="Output file: .csv, .parquet, .json or .jsonl.")],
    db: DbOption = Path(DEFAULT_DB),
    raw: Annotated[
        bool,
        typer.Option("--raw", help="CSV: write text cells as they are, formula-like ones included."),
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Write a table to a file; the format follows the extension.

    In CSV, text cells starting with = + - @, a tab or a carriage return get a leading ' so a
    spreadsheet shows them instead of running them as formulas (OWASP's CSV-injection rule);
    numbers are left alone. --raw turns this off.
    """
    with _open_store(db, read_only=True) as store:
        written = store.export(table, out, escape_formulas=not raw)
    if as_json:
        payload = {
            "table": table,
            "out": str(out),
            "rows": written.rows,
            "escaped_cells": written.escaped_cells,
        }
        console.print_json(json.dumps(payload))
        return
    console.print(f"wrote {written.rows:,} rows of {table} to {out}", markup=False, soft_wrap=True)
    if written.escaped_cells:
        console.print(
            f"  {written.escaped_cells:,} text cells start with = + - @, a tab or CR: written with a "
            "leading ' so spreadsheets do not run them as formulas (--raw keeps them as they are)",
            markup=False,
            soft_wrap=True,
        )


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
    members: Annotated[
        int, typer.Option("--members", min=1, max=MAX_MEMBERS, help="Number of members.")
    ] = 10_000,
    seed: Annotated[int, typer.Option("--seed", min=0, max=MAX_SEED, help="Same seed, same bytes.")] = 1,
    world: Annotated[
        str, typer.Option("--world", help="The kind of world: default, pyramid-case or tiny.")
    ] = "default",
    old_profile: Annotated[
        str | None, typer.Option("--profile", hidden=True, help="Renamed --world.")
    ] = None,
    file_format: Annotated[str, typer.Option("--format", help="parquet, csv or jsonl.")] = "parquet",
    media: Annotated[bool, typer.Option("--media/--no-media", help="Render images (JPEG with EXIF).")] = True,
    dirty_rate: Annotated[
        float | None,
        typer.Option(
            "--dirty-rate",
            min=0.0,
            max=0.5,
            help="Share of rows made dirty, 0 to 0.5 (default: the world's).",
        ),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Write a synthetic case with planted ground truth (in OUT/truth/)."""
    from sentinella.synth import WORLD_PROFILES, generate_world

    if old_profile is not None:  # --profile is a jurisdiction elsewhere (pyramid)
        raise ConfigError(f"generate --profile is now --world (e.g. --world {old_profile})")
    if world not in WORLD_PROFILES:
        raise ConfigError(f"unknown world {world!r}: choose one of {', '.join(WORLD_PROFILES)}")
    if file_format not in ("parquet", "csv", "jsonl"):
        raise ConfigError(f"unknown format {file_format!r}: choose parquet, csv or jsonl")
    _check_out_folder(out)
    with progress_bar(not as_json) as progress:
        summary = generate_world(
            out,
            members=members,
            seed=seed,
            profile=world,
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
    console.print(f"wrote {out} in {summary.seconds:.1f} s: {rows}", markup=False, soft_wrap=True)
    planted = ", ".join(f"{name.replace('_', ' ')} {count:,}" for name, count in summary.planted.items())
    console.print(f"planted (see {out / 'truth'}): {planted}", markup=False, soft_wrap=True)


def _check_out_folder(out: Path) -> None:
    """Refuse an output folder that is a file, before any work starts."""
    if out.exists() and not out.is_dir():
        raise ConfigError(f"--out {out}: is a file; give a folder to write the case into")


@app.command()
def demo(
    out: Annotated[
        Path, typer.Option("--out", help="Folder for the world, the store and the report.")
    ] = Path("demo"),
    members: Annotated[
        int, typer.Option("--members", min=1000, max=MAX_MEMBERS, help="World size.")
    ] = 20_000,
    seed: Annotated[int, typer.Option("--seed", min=0, max=MAX_SEED)] = 42,
    media: Annotated[bool, typer.Option("--media/--no-media")] = True,
    as_json: JsonOption = False,
) -> None:
    """Generate a world, ingest it, run every analysis and show what was found vs planted."""
    from sentinella._results_text import demo_payload, print_demo
    from sentinella.demo import run_demo

    _check_out_folder(out)
    if not as_json:
        console.print(
            f"Sentinella demo: a world of {members:,} members with planted fraud → {out}/", markup=False
        )
    with progress_bar(not as_json) as progress:
        result = run_demo(out, members=members, seed=seed, media=media, progress=progress)
    payload = demo_payload(result, out)
    if as_json:
        console.print_json(json.dumps(payload))
    else:
        print_demo(console, payload)


rings_app = typer.Typer(
    help="Brushing and fake-review rings.", invoke_without_command=True, no_args_is_help=False
)
app.add_typer(rings_app, name="rings")


@rings_app.callback(invoke_without_command=True)
def rings(
    ctx: typer.Context,
    db: DbOption = Path(DEFAULT_DB),
    labels: Annotated[
        Path | None,
        typer.Option(
            "--labels", **ExistingFile, help="CSV of order_id,label (1 fake, 0 honest) to learn from."
        ),
    ] = None,
    model: Annotated[
        str,
        typer.Option(
            "--model",
            help="The model trained on --labels: logistic (built in) or lightgbm "
            '(pip install "sentinella[lightgbm]").',
        ),
    ] = "logistic",
    as_json: JsonOption = False,
    memory_limit: MemoryOption = "",
    threads: ThreadsOption = 0,
    engine: EngineOption = Engine.duckdb,
    spark_master: SparkMasterOption = "",
) -> None:
    """Find brushing and fake-review rings; score every order and buyer."""
    if ctx.invoked_subcommand is not None:
        return
    from sentinella._results_text import print_rings_top, rings_top, top_json
    from sentinella.rings import RESULT_TABLES as RINGS_TABLES
    from sentinella.rings import check_model, run_rings

    check_model(model)
    with (
        _open_store(db, read_only=False, memory_limit=memory_limit, threads=threads) as store,
        progress_bar(not as_json) as progress,
    ):
        with analysis_backend(
            store.backend,
            engine.value,
            inputs=tuple(TABLES),
            results=RINGS_TABLES,
            spark_master=spark_master,
            tables_folder=store.input_tables_folder,
        ) as backend:
            summary = run_rings(backend, labels=labels, model=model, progress=progress)
        top = rings_top(store.backend, db)
    if as_json:
        console.print_json(json.dumps({**summary.__dict__, **top_json(top)}, default=str))
        return
    console.print(
        f"{summary.orders:,} orders scored: {summary.rings:,} rings of {summary.ring_members:,} accounts; "
        f"{summary.flagged_orders:,} orders and {summary.flagged_members:,} accounts flagged "
        f"({f'supervised, {summary.model}' if summary.supervised else 'unsupervised'}) "
        f"in {summary.seconds:.2f} s",
        markup=False,
    )
    console.print(f"  results: {', '.join(RINGS_TABLES)}", markup=False)
    print_rings_top(console, top)


credit_app = typer.Typer(
    help="Merchant credit under Taobao's rules.", invoke_without_command=True, no_args_is_help=False
)
app.add_typer(credit_app, name="credit")


@credit_app.callback(invoke_without_command=True)
def credit(
    ctx: typer.Context,
    db: DbOption = Path(DEFAULT_DB),
    as_of: Annotated[
        str | None,
        typer.Option("--as-of", help="Score as of this date (YYYY-MM-DD); default: the last day with data."),
    ] = None,
    config: Annotated[
        Path | None,
        typer.Option(
            "--config",
            help="TOML file of the rules' numbers (an edited copy of --show-config; keys it omits keep "
            "the bundled values). Checked before any work starts.",
        ),
    ] = None,
    show_config: Annotated[
        bool,
        typer.Option(
            "--show-config", help="Print the bundled rules (taobao.toml, each citing its rule) and exit."
        ),
    ] = False,
    as_json: JsonOption = False,
    memory_limit: MemoryOption = "",
    threads: ThreadsOption = 0,
    engine: EngineOption = Engine.duckdb,
    spark_master: SparkMasterOption = "",
) -> None:
    """Merchant credit: Taobao's rules on verified orders, brushing removed, with explanations."""
    if ctx.invoked_subcommand is not None:
        return
    import datetime as dt

    from sentinella._results_text import credit_top, print_credit_top, top_json
    from sentinella.credit import INPUT_TABLES, bundled_text, load_config, run_credit
    from sentinella.credit import RESULT_TABLES as CREDIT_TABLES

    try:
        day = dt.date.fromisoformat(as_of) if as_of else None
    except ValueError:
        raise ConfigError(f"--as-of {as_of!r} is not a date (YYYY-MM-DD)") from None
    if show_config:
        print(bundled_text(), end="")
        return
    rules = load_config(config)
    with (
        _open_store(db, read_only=False, memory_limit=memory_limit, threads=threads) as store,
        progress_bar(not as_json) as progress,
    ):
        with analysis_backend(
            store.backend,
            engine.value,
            inputs=INPUT_TABLES,
            results=CREDIT_TABLES,
            spark_master=spark_master,
            tables_folder=store.input_tables_folder,
        ) as backend:
            summary = run_credit(backend, as_of=day, config=rules, progress=progress)
        top = credit_top(store.backend, db)
    if as_json:
        console.print_json(json.dumps({**summary.__dict__, **top_json(top)}, default=str))
        return
    skipped = ", ".join(f"{reason} {count:,}" for reason, count in summary.not_counted.items() if count)
    console.print(
        f"{summary.merchants:,} merchants scored as of {summary.as_of} ({summary.timezone}): "
        f"{summary.counted:,} of {summary.ratings:,} ratings counted in {summary.seconds:.2f} s",
        markup=False,
    )
    if skipped:
        console.print(f"  not counted: {skipped}", markup=False, soft_wrap=True)
    if summary.flagged_orders:
        console.print(
            f"  {summary.flagged_orders:,} brushing orders removed (from {summary.flagged_source})",
            markup=False,
        )
    console.print(f"  results: {', '.join(CREDIT_TABLES)}", markup=False)
    print_credit_top(console, top)


@app.command()
def provenance(
    case: Annotated[
        Path, typer.Option("--case", help="The case folder holding the image files media.path points to.")
    ],
    db: DbOption = Path(DEFAULT_DB),
    workers: Annotated[
        int, typer.Option("--workers", min=0, help="Processes decoding images (default: one per core).")
    ] = 0,
    as_json: JsonOption = False,
    memory_limit: MemoryOption = "",
    threads: ThreadsOption = 0,
    engine: EngineOption = Engine.duckdb,
    spark_master: SparkMasterOption = "",
) -> None:
    """Copied photos, spoofed GPS, edited files, impossible travel and prices far below the market.

    With --engine spark the tables are read and the price check runs on Spark; the images are
    decoded and hashed here, where --case is (the files are not shipped to executors)."""
    from sentinella._results_text import print_provenance_top, provenance_top, top_json
    from sentinella.provenance import INPUT_TABLES as PROVENANCE_INPUTS
    from sentinella.provenance import RESULT_TABLES as PROVENANCE_TABLES
    from sentinella.provenance import ProvenanceConfig, run_provenance

    with (
        _open_store(db, read_only=False, memory_limit=memory_limit, threads=threads) as store,
        progress_bar(not as_json) as progress,
        analysis_backend(
            store.backend,
            engine.value,
            inputs=PROVENANCE_INPUTS,
            results=PROVENANCE_TABLES,
            spark_master=spark_master,
            tables_folder=store.input_tables_folder,
        ) as backend,
    ):
        summary = run_provenance(backend, case, config=ProvenanceConfig(workers=workers), progress=progress)
        top = provenance_top(store.backend, db)
    if as_json:
        console.print_json(json.dumps({**summary.__dict__, **top_json(top)}, default=str))
        return
    console.print(
        f"{summary.media:,} images: {summary.hashed:,} hashed, {summary.with_exif:,} with EXIF, "
        f"{summary.with_gps:,} with GPS; {summary.shared_clusters:,} pictures shared across shops; "
        f"{summary.flagged_merchants:,} merchants with findings in {summary.seconds:.2f} s",
        highlight=False,
    )
    for status, count in summary.statuses.items():
        if status != "ok":
            console.print(f"  [yellow]not hashed[/] {escape(status.replace('_', ' '))}: {count:,}")
    if summary.findings:
        kinds = ", ".join(f"{kind.replace('_', ' ')} {count:,}" for kind, count in summary.findings.items())
        console.print(f"  findings: {kinds}", markup=False, soft_wrap=True)
    for skipped in summary.skipped:
        console.print(f"  skipped: {skipped}", markup=False)
    console.print(f"  results: {', '.join(PROVENANCE_TABLES)}", markup=False)
    print_provenance_top(console, top)


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
        typer.Option(
            "--repeat-offender",
            help="Member sanctioned before for pyramid selling, as MEMBER:criminal\\[:YYYY-MM-DD] or "
            "MEMBER:administrative:YYYY-MM-DD (2013 Opinion §2(四); repeatable).",
        ),
    ] = None,
    rates: RatesOption = None,
    allow_missing_rates: Annotated[
        bool,
        typer.Option(
            "--allow-missing-rates",
            help="Leave records in currencies without a rate out of every sum (listed) instead of stopping.",
        ),
    ] = False,
    as_json: JsonOption = False,
    memory_limit: MemoryOption = "",
    threads: ThreadsOption = 0,
    forest: Annotated[
        Forest,
        typer.Option(
            "--forest",
            help="Where the recruitment forest is measured: driver (collected arrays, the kernel), "
            "engine (SQL joins in the engine, slower: the figures come back to the driver) or auto (the "
            "driver). On Spark above 20M members the member IDs stay in the engine either way.",
        ),
    ] = Forest.auto,
    engine: EngineOption = Engine.duckdb,
    spark_master: SparkMasterOption = "",
) -> None:
    """Rebuild the recruitment forest, measure every member and network, apply the legal tests."""
    if ctx.invoked_subcommand is not None:
        return  # a subcommand (report) reads the group's --db from the context
    from sentinella._results_text import print_pyramid_top, pyramid_top, top_json
    from sentinella.money import load_rates
    from sentinella.pyramid import RESULT_TABLES as PYRAMID_TABLES
    from sentinella.pyramid import load_profile, parse_offender, run_pyramid

    profiles = profile or ["cn", "us", "eu"]
    for name in profiles:  # profiles, offenders and rates are checked before the store is opened
        load_profile(name)
    for offender in repeat_offender or ():
        parse_offender(offender)
    load_rates(rates)
    with (
        _open_store(db, read_only=False, memory_limit=memory_limit, threads=threads) as store,
        progress_bar(not as_json) as progress,
    ):
        with analysis_backend(
            store.backend,
            engine.value,
            inputs=tuple(TABLES),
            results=PYRAMID_TABLES,
            spark_master=spark_master,
            tables_folder=store.input_tables_folder,
        ) as backend:
            summary = run_pyramid(
                backend,
                profiles=profiles,
                repeat_offenders=repeat_offender or (),
                rates_file=rates,
                allow_missing_rates=allow_missing_rates,
                progress=progress,
                forest=forest.value,
            )
        top = pyramid_top(store.backend, db)
    if as_json:
        console.print_json(json.dumps({**summary.__dict__, **top_json(top)}))
        return
    console.print(
        f"{summary.members:,} members, {summary.networks:,} networks of which {summary.pyramids:,} "
        f"pyramids; {summary.organizers:,} members meeting the §1 numbers; {summary.findings:,} findings "
        f"({', '.join(summary.profiles)}) in {summary.seconds:.2f} s",
        markup=False,
    )
    for issue, count in summary.issues.items():
        console.print(f"  [yellow]data problem[/] {escape(issue.replace('_', ' '))}: {count:,} members")
    for code, rows in summary.excluded_currencies.items():
        console.print(f"  left out {rows:,} records in {code}: no exchange rate", markup=False)
    console.print(
        f"  money in {summary.currency}; run {summary.run_id} recorded in pyramid_runs", markup=False
    )
    if engine != Engine.duckdb or forest != Forest.auto:
        console.print(f"  forest: {summary.forest}", markup=False)
    console.print(f"  results: {', '.join(PYRAMID_TABLES)}", markup=False)
    print_pyramid_top(console, top)


@pyramid_app.command("report")
def pyramid_report(
    ctx: typer.Context,
    network: Annotated[str, typer.Option("--network", help="The network (its network_id).")],
    out: Annotated[Path, typer.Option("--out", help="Report file to write: .html or .pdf.")],
    db: Annotated[
        Path | None,
        typer.Option(
            "--db", help="The store (default: the pyramid group's --db, e.g. pyramid --db X report)."
        ),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """The evidence report of one network (same as `sentinella report pyramid NETWORK`)."""
    from sentinella._report_cli import write

    if db is None:  # `pyramid --db X report ...`: the group parsed --db (or SENTINELLA_DB, or the default)
        db = Path(ctx.parent.params["db"]) if ctx.parent is not None else Path(DEFAULT_DB)
    if out.is_dir():
        raise ConfigError(f"--out {out}: is a folder; give an HTML or PDF file name")
    write("pyramid", network, db, out, as_json=as_json, stem=out.stem)


compare_app = typer.Typer(
    help="Comparison: the same product across merchants, ranked by a credit-aware value.",
    invoke_without_command=True,
    no_args_is_help=False,
)
app.add_typer(compare_app, name="compare")


@compare_app.callback(invoke_without_command=True)
def compare(
    ctx: typer.Context,
    db: DbOption = Path(DEFAULT_DB),
    embeddings: Annotated[
        bool,
        typer.Option(
            "--embeddings/--no-embeddings",
            help="Add sentence-embedding similarity (needs `pip install sentinella\\[compare]`).",
        ),
    ] = False,
    rates: RatesOption = None,
    as_json: JsonOption = False,
    memory_limit: MemoryOption = "",
    threads: ThreadsOption = 0,
    engine: EngineOption = Engine.duckdb,
    spark_master: SparkMasterOption = "",
) -> None:
    """Match listings into products (any language, model numbers, GTIN) and price each product."""
    if ctx.invoked_subcommand is not None:
        return
    from sentinella._results_text import compare_top, print_compare_top, top_json
    from sentinella.compare import INPUT_TABLES as COMPARE_INPUTS
    from sentinella.compare import RESULT_TABLES as COMPARE_TABLES
    from sentinella.compare import run_compare
    from sentinella.money import load_rates

    load_rates(rates)  # checked before the store is opened
    with (
        _open_store(db, read_only=False, memory_limit=memory_limit, threads=threads) as store,
        progress_bar(not as_json) as progress,
    ):
        progress("compare", 0, 1)
        with analysis_backend(
            store.backend,
            engine.value,
            inputs=COMPARE_INPUTS,
            results=COMPARE_TABLES,
            spark_master=spark_master,
            tables_folder=store.input_tables_folder,
        ) as backend:
            summary = run_compare(backend, embeddings=embeddings, rates_file=rates)
        progress("compare", 1, 1)
        top = compare_top(store.backend, db)
    if as_json:
        console.print_json(json.dumps({**summary.to_dict(), **top_json(top)}))
        return
    for line in summary.lines():
        console.print(line, markup=False, soft_wrap=True)
    console.print(f"  results: {', '.join(COMPARE_TABLES)}", markup=False)
    print_compare_top(console, top)


@compare_app.command("listing")
def compare_listing_command(
    listing_id: Annotated[str, typer.Argument(help="The listing to compare.")],
    db: DbOption = Path(DEFAULT_DB),
    limit: Annotated[int, typer.Option("--limit", min=1, help="Rows per table.")] = 20,
    rates: RatesOption = None,
    as_json: JsonOption = False,
) -> None:
    """Print one listing's comparison: its product at other merchants, and alternatives."""
    from sentinella.compare import compare_listing
    from sentinella.money import load_rates

    load_rates(rates)
    with _open_store(db, read_only=True) as store:
        result = compare_listing(store.backend, listing_id, limit=limit, rates_file=rates)
    if as_json:
        console.print_json(json.dumps(result.to_dict(), default=str))
        return
    market = "unknown" if result.market_price is None else f"¥{result.market_price:,.2f}"
    console.print(f"{result.listing_id}: {result.title}", markup=False, soft_wrap=True)
    console.print(
        f"product {result.product_id}, market price {market} (median over merchants); prices in CNY "
        "unless marked",
        markup=False,
    )
    from sentinella._results_text import compact_table

    offers = compact_table(
        "Same product at other merchants (best value first)",
        [
            ("listing", "id"),
            ("merchant", "id"),
            ("price", "num"),
            ("vs mkt", "num"),
            ("credit", "id"),
            ("pos.", "num"),
            ("defect", "num"),
            ("days", "num"),
            ("value", "num"),
        ],
    )

    def pct(x: object) -> str:
        return "–" if x is None else f"{float(str(x)):.1%}"

    for row in result.offers:
        offers.add_row(
            Text(("→ " if row["this_listing"] else "") + str(row["listing_id"])),
            Text(str(row["merchant_id"])),
            f"{row['price']:,.2f}" + ("" if row["currency"] == "CNY" else f" {row['currency']}"),
            "–" if row["vs_market_pct"] is None else f"{row['vs_market_pct']:+.1f}%",
            Text(str(row["level_name"] or "none")),
            pct(row["positive_rate"]),
            pct(row["defect_rate"]),
            "–" if row["delivery_days"] is None else f"{row['delivery_days']:.1f}",
            ("–" if row["value_cny"] is None else f"¥{row['value_cny']:,.2f}")
            + ("*" if row["chance_assumed"] else "")
            + (" ⚠" if row["below_market"] else ""),
        )
    console.print(offers)
    if any(row["below_market"] for row in result.offers):
        console.print("⚠ = far below the market price: a counterfeit risk", markup=False)
    if result.alternatives:
        alternatives = compact_table(
            f"Alternatives in {result.category} at a similar price",
            [
                ("product", "id"),
                ("title", "text"),
                ("shops", "num"),
                ("market", "num"),
                ("best value", "num"),
                ("best listing", "id"),
            ],
        )
        for row in result.alternatives:
            alternatives.add_row(
                Text(str(row["product_id"])),
                Text(str(row["title"])),
                str(row["merchants"]),
                "–" if row["median_price"] is None else f"¥{row['median_price']:,.2f}",
                "–" if row["best_value_cny"] is None else f"¥{row['best_value_cny']:,.2f}",
                Text(str(row["best_listing"])),
            )
        console.print(alternatives)
    console.print(result.explanation + " (* = assumed)", markup=False, soft_wrap=True)


@app.callback(invoke_without_command=True)
def _root(
    version: Annotated[bool, typer.Option("--version", help="Print the version.")] = False,
    debug: Annotated[
        bool,
        typer.Option(
            "--debug", envvar="SENTINELLA_DEBUG", help="Show the traceback of an unexpected error (a bug)."
        ),
    ] = False,
) -> None:
    if version:
        console.print(f"sentinella {__version__}")
        raise typer.Exit(0)
    if not console.is_terminal:  # piped or captured: lay tables out for COLUMNS (default 80)
        columns = os.environ.get("COLUMNS", "")
        console.width = int(columns) if columns.isdigit() and int(columns) >= 40 else 80


from sentinella._service_cli import register as _register_service  # noqa: E402

_register_service(app)  # risk, cases, keys, serve

from sentinella._report_cli import register as _register_report  # noqa: E402

_register_report(app)  # report pyramid|merchant|ring

from sentinella._results_cli import add_examples  # noqa: E402
from sentinella._results_cli import register as _register_results  # noqa: E402

_register_results(app, pyramid_app=pyramid_app, credit_app=credit_app, rings_app=rings_app)
add_examples(app)  # last: every command's --help ends with an example


def main() -> None:
    app()


if __name__ == "__main__":
    main()
