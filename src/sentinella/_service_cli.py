"""The service's commands (risk, cases, keys, serve), kept out of cli.py so it stays small.

``cli.py`` calls :func:`register` on its ``app``; the shared helpers (``_open_store``,
``console``) are imported from it when a command runs, so the two modules never import each
other at load time.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from sentinella._cli_options import (
    DEFAULT_DB,
    DbOption,
    Engine,
    EngineOption,
    JsonOption,
    SparkMasterOption,
)
from sentinella.errors import ConfigError

ActorOption = Annotated[
    str,
    typer.Option("--actor", envvar="SENTINELLA_ACTOR", help="Who makes the change (default: your login)."),
]
cases_app = typer.Typer(help="The case queue: open, list, show, update, note, attach, labels.")
keys_app = typer.Typer(help="API keys: create (shown once), list, revoke.")
rules_app = typer.Typer(help="Analyst rules: backtest a rules file on the store, apply its enabled rules.")


def register(app: typer.Typer) -> None:
    """Add risk, cases, rules, keys and serve to the ``sentinella`` command."""
    app.command()(risk)
    app.add_typer(cases_app, name="cases")
    app.add_typer(keys_app, name="keys")
    app.add_typer(rules_app, name="rules")
    app.command()(serve)


def _actor(actor: str) -> str:
    if actor:
        return actor
    import getpass

    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def risk(
    db: DbOption = Path(DEFAULT_DB),
    weights: Annotated[
        Path | None,
        typer.Option("--weights", help="TOML file of signal weights (default: the shipped weights.toml)."),
    ] = None,
    as_json: JsonOption = False,
    engine: EngineOption = Engine.duckdb,
    spark_master: SparkMasterOption = "",
) -> None:
    """One risk score per member and merchant from the analyses that have run, with reasons."""
    from sentinella._results_text import print_risk_top, risk_top
    from sentinella.cli import _open_store, console, progress_bar
    from sentinella.engine import analysis_backend
    from sentinella.risk import INPUT_TABLES, RESULT_TABLES, load_config, run_risk

    config = load_config(weights)
    with _open_store(db, read_only=False) as store, progress_bar(not as_json) as progress:
        progress("risk", 0, 1)
        with analysis_backend(
            store.backend,
            engine.value,
            inputs=INPUT_TABLES,
            results=RESULT_TABLES,
            spark_master=spark_master,
            tables_folder=store.input_tables_folder,
        ) as backend:
            summary = run_risk(backend, config=config)
        progress("risk", 1, 1)
        top = risk_top(store.backend, db)
    if as_json:
        console.print_json(json.dumps({**summary.as_dict(), **top}))
        return
    used = ", ".join(summary.analyses) or "none"
    console.print(
        f"{summary.members:,} members and {summary.merchants:,} merchants scored from {used} in "
        f"{summary.seconds:.2f} s; {summary.at_or_above_case:,} at or above the case threshold "
        f"{summary.case_threshold:g}",
        highlight=False,
        markup=False,
    )
    for analysis, why in summary.skipped.items():
        console.print(f"  [yellow]skipped[/] {escape(analysis)}: {escape(why)}", highlight=False)
    console.print("  results: risk_scores", highlight=False, markup=False)
    print_risk_top(console, top)


def _print_case(case: dict[str, object]) -> None:
    from sentinella.cli import console

    score = case.get("score")
    console.print(
        f"{case['case_id']}  {case['status']:13} {case['subject_kind']} {case['subject_id']}"
        f"{'' if score is None else f'  risk {float(score):.2f}'}"  # type: ignore[arg-type]
        f"  assignee {case['assignee'] or '-'}  {case['title'] or ''}",
        highlight=False,
        markup=False,
    )


@cases_app.command("open")
def cases_open(
    db: DbOption = Path(DEFAULT_DB),
    subject: Annotated[str | None, typer.Option("--subject", help="Member or merchant ID.")] = None,
    kind: Annotated[str, typer.Option("--kind", help="member or merchant.")] = "member",
    title: Annotated[str | None, typer.Option("--title")] = None,
    assignee: Annotated[str | None, typer.Option("--assignee")] = None,
    from_risk: Annotated[
        bool, typer.Option("--from-risk", help="Open a case for every subject at or above --threshold.")
    ] = False,
    threshold: Annotated[
        float | None,
        typer.Option("--threshold", min=0.0, max=1.0, help="Risk score (default: weights.toml's case)."),
    ] = None,
    actor: ActorOption = "",
    as_json: JsonOption = False,
) -> None:
    """Open a case by hand (--subject) or from risk scores (--from-risk)."""
    from sentinella.cases import open_case, open_from_risk
    from sentinella.cli import _open_store, console
    from sentinella.risk import load_config

    if from_risk == (subject is not None):
        raise ConfigError("give either --subject ID or --from-risk")
    with _open_store(db, read_only=False) as store:
        if from_risk:
            limit = load_config().case_threshold if threshold is None else threshold
            cases = open_from_risk(store.connection, threshold=limit, actor=_actor(actor))
        else:
            assert subject is not None
            case, _ = open_case(
                store.connection,
                subject_kind=kind,
                subject_id=subject,
                actor=_actor(actor),
                title=title,
                assignee=assignee,
            )
            cases = [case]
    if as_json:
        console.print_json(json.dumps([c.as_dict() for c in cases]))
        return
    if from_risk:
        console.print(f"{len(cases):,} cases opened at risk >= {limit:g}", highlight=False, markup=False)
    for case in cases[:20]:
        _print_case(case.as_dict())
    if len(cases) > 20:
        console.print(
            f"... and {len(cases) - 20:,} more (sentinella cases list)", highlight=False, markup=False
        )


@cases_app.command("list")
def cases_list(
    db: DbOption = Path(DEFAULT_DB),
    status: Annotated[str | None, typer.Option("--status")] = None,
    assignee: Annotated[str | None, typer.Option("--assignee")] = None,
    subject: Annotated[str | None, typer.Option("--subject")] = None,
    limit: Annotated[int, typer.Option("--limit", min=1)] = 100,
    as_json: JsonOption = False,
) -> None:
    """Cases, highest risk first."""
    from sentinella.cases import list_cases
    from sentinella.cli import _open_store, console

    with _open_store(db, read_only=True) as store:
        cases = list_cases(
            store.connection, status=status, assignee=assignee, subject_id=subject, limit=limit
        )
    if as_json:
        console.print_json(json.dumps([c.as_dict() for c in cases]))
        return
    for case in cases:
        _print_case(case.as_dict())
    if not cases:
        console.print("no cases", highlight=False, markup=False)


@cases_app.command("show")
def cases_show(
    case_id: Annotated[str, typer.Argument(help="The case, e.g. C0000001.")],
    db: DbOption = Path(DEFAULT_DB),
    as_json: JsonOption = False,
) -> None:
    """One case with its notes, evidence and audit trail."""
    from sentinella.cases import case_detail
    from sentinella.cli import _open_store, console

    with _open_store(db, read_only=True) as store:
        detail = case_detail(store.connection, case_id)
    if as_json:
        console.print_json(json.dumps(detail, default=str))
        return
    _print_case(detail)
    for note in detail["notes"]:
        console.print(
            f"  note {note['note_no']} by {note['author']} at {note['written_at']}: {note['text']}",
            highlight=False,
            markup=False,
        )
    for item in detail["evidence"]:
        console.print(
            f"  evidence {item['table_name']} {json.dumps(item['key'])}", highlight=False, markup=False
        )
    for event in detail["audit"]:
        change = f"{event['field']}: {event['before']} -> {event['after']}" if event["field"] else ""
        console.print(
            f"  {event['occurred_at']} {event['actor']} {event['action']} {change}",
            highlight=False,
            markup=False,
        )


@cases_app.command("update")
def cases_update(
    case_id: Annotated[str, typer.Argument()],
    db: DbOption = Path(DEFAULT_DB),
    status: Annotated[
        str | None, typer.Option("--status", help="open, investigating, actioned or dismissed.")
    ] = None,
    assignee: Annotated[str | None, typer.Option("--assignee")] = None,
    title: Annotated[str | None, typer.Option("--title")] = None,
    actor: ActorOption = "",
    as_json: JsonOption = False,
) -> None:
    """Change a case's status, assignee or title (each change goes to the audit trail)."""
    from sentinella.cases import update_case
    from sentinella.cli import _open_store, console

    with _open_store(db, read_only=False) as store:
        case = update_case(
            store.connection, case_id, actor=_actor(actor), status=status, assignee=assignee, title=title
        )
    if as_json:
        console.print_json(json.dumps(case.as_dict()))
        return
    _print_case(case.as_dict())


@cases_app.command("note")
def cases_note(
    case_id: Annotated[str, typer.Argument()],
    text: Annotated[str, typer.Argument(help="The note.")],
    db: DbOption = Path(DEFAULT_DB),
    actor: ActorOption = "",
    as_json: JsonOption = False,
) -> None:
    """Add a note to a case."""
    from sentinella.cases import add_note
    from sentinella.cli import _open_store, console

    with _open_store(db, read_only=False) as store:
        number = add_note(store.connection, case_id, actor=_actor(actor), text=text)
    if as_json:
        console.print_json(json.dumps({"case_id": case_id, "note": number}))
        return
    console.print(f"{case_id}: note {number} added", highlight=False, markup=False)


@cases_app.command("attach")
def cases_attach(
    case_id: Annotated[str, typer.Argument()],
    table: Annotated[str, typer.Option("--table", help="Any store table, e.g. ring_groups.")],
    key: Annotated[str, typer.Option("--key", help='The row\'s key as JSON, e.g. {"ring_id": "R000001"}.')],
    note: Annotated[str | None, typer.Option("--note")] = None,
    db: DbOption = Path(DEFAULT_DB),
    actor: ActorOption = "",
    as_json: JsonOption = False,
) -> None:
    """Attach a row of any store table to a case as evidence."""
    from sentinella.cases import attach_evidence
    from sentinella.cli import _open_store, console

    try:
        parsed = json.loads(key)
    except json.JSONDecodeError as error:
        raise ConfigError(f"--key: not JSON: {error}") from None
    if not isinstance(parsed, dict):
        raise ConfigError('--key: must be a JSON object such as {"ring_id": "R000001"}')
    with _open_store(db, read_only=False) as store:
        attach_evidence(store.connection, case_id, actor=_actor(actor), table=table, key=parsed, note=note)
    if as_json:
        console.print_json(json.dumps({"case_id": case_id, "table": table, "key": parsed, "note": note}))
        return
    console.print(f"{case_id}: evidence {table} attached", highlight=False, markup=False)


@cases_app.command("labels")
def cases_labels(
    out: Annotated[Path, typer.Option("--out", help="CSV to write.")],
    by: Annotated[
        str, typer.Option("--by", help="order (for rings --labels), member or merchant.")
    ] = "order",
    db: DbOption = Path(DEFAULT_DB),
    as_json: JsonOption = False,
) -> None:
    """Closed cases as labels: actioned = 1, dismissed = 0 (rings --labels reads --by order)."""
    from sentinella.cases import export_labels
    from sentinella.cli import _open_store, console

    with _open_store(db, read_only=True) as store:
        rows = export_labels(store.connection, out, by=by)
    if as_json:
        console.print_json(json.dumps({"out": str(out), "by": by, "labels": rows}))
        return
    console.print(f"wrote {rows:,} labels to {out}", highlight=False, markup=False)


@keys_app.command("create")
def keys_create(
    role: Annotated[str, typer.Option("--role", help="public, analyst, ingest or admin.")],
    label: Annotated[str | None, typer.Option("--label", help="What the key is for.")] = None,
    db: DbOption = Path(DEFAULT_DB),
    actor: ActorOption = "",
    as_json: JsonOption = False,
) -> None:
    """Create an API key; it is printed once and stored only as a salted hash."""
    from sentinella.api import create_key
    from sentinella.cli import _open_store, console

    with _open_store(db, read_only=False) as store:
        secret, record = create_key(store.connection, role=role, actor=_actor(actor), label=label)
    if as_json:
        console.print_json(json.dumps({"key": secret, **record.__dict__}))
        return
    console.print(f"key {record.key_id} ({record.role}): {secret}", highlight=False, markup=False)
    console.print("  shown once: the store keeps only a salted hash", highlight=False, markup=False)


@keys_app.command("list")
def keys_list(db: DbOption = Path(DEFAULT_DB), as_json: JsonOption = False) -> None:
    """Keys with role and state (never the secrets)."""
    from sentinella.api import list_keys
    from sentinella.cli import _open_store, console

    with _open_store(db, read_only=True) as store:
        keys = list_keys(store.connection)
    if as_json:
        console.print_json(json.dumps([k.__dict__ for k in keys]))
        return
    for key in keys:
        state = f"revoked {key.revoked_at}" if key.revoked_at else "live"
        console.print(
            f"{key.key_id}  {key.role:8} {state:12} by {key.created_by} at {key.created_at}  "
            f"{key.label or ''}",
            highlight=False,
            markup=False,
        )


ServerOption = Annotated[
    str | None,
    typer.Option(
        "--server",
        envvar="SENTINELLA_SERVER",
        help="URL of a running `sentinella serve` (e.g. http://127.0.0.1:8000): go through it, since it "
        "holds the store.",
    ),
]
AdminKeyOption = Annotated[
    str | None,
    typer.Option("--key", envvar="SENTINELLA_API_KEY", help="An admin key, for --server."),
]


@keys_app.command("revoke")
def keys_revoke(
    key_id: Annotated[str, typer.Argument(help="The key's ID (the part after sk_).")],
    db: DbOption = Path(DEFAULT_DB),
    actor: ActorOption = "",
    server: ServerOption = None,
    admin_key: AdminKeyOption = None,
    as_json: JsonOption = False,
) -> None:
    """Revoke a key: it stops working at once; its record stays.

    While `sentinella serve` runs it holds the store: give --server URL and --key ADMIN_KEY and the
    server revokes the key (refused from its next call on).
    """
    from sentinella.api import revoke_key
    from sentinella.cli import _open_store, console
    from sentinella.store import StoreLockedError

    if server is not None:
        _revoke_through(server, admin_key, key_id)
        if as_json:
            console.print_json(json.dumps({"key_id": key_id, "revoked": True, "server": server}))
            return
        console.print(f"key {key_id} revoked by the server at {server}", highlight=False, markup=False)
        return
    try:
        with _open_store(db, read_only=False) as store:
            revoke_key(store.connection, key_id, actor=_actor(actor))
    except StoreLockedError as error:
        raise StoreLockedError(
            f"{error}; if it is `sentinella serve`, revoke through it: sentinella keys revoke {key_id} "
            "--server URL --key ADMIN_KEY"
        ) from error
    if as_json:
        console.print_json(json.dumps({"key_id": key_id, "revoked": True}))
        return
    console.print(f"key {key_id} revoked", highlight=False, markup=False)


def _revoke_through(server: str, admin_key: str | None, key_id: str) -> None:
    """POST /v1/keys/{key_id}/revoke on a running server; its problem's detail on refusal."""
    import urllib.error
    import urllib.parse
    import urllib.request

    from sentinella.api import ServiceError

    if not admin_key:
        raise ConfigError(
            "--server needs --key ADMIN_KEY (a key of role admin: sentinella keys create --role admin)"
        )
    if urllib.parse.urlsplit(server).scheme not in ("http", "https"):
        raise ConfigError(f"--server {server!r}: give an http:// or https:// URL")
    url = f"{server.rstrip('/')}/v1/keys/{urllib.parse.quote(key_id, safe='')}/revoke"
    request = urllib.request.Request(
        url, method="POST", data=b"", headers={"Authorization": f"Bearer {admin_key}"}
    )
    try:
        with urllib.request.urlopen(request, timeout=30):
            return
    except urllib.error.HTTPError as error:
        try:
            detail = str(json.loads(error.read()).get("detail", error.reason))
        except (ValueError, AttributeError):
            detail = str(error.reason)
        raise ServiceError(f"--server {server} refused: {error.code} {detail}") from None
    except (urllib.error.URLError, OSError) as error:
        reason = getattr(error, "reason", error)
        raise ServiceError(f"--server {server}: cannot reach it ({reason})") from None


def serve(
    db: DbOption = Path(DEFAULT_DB),
    host: Annotated[str, typer.Option("--host")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", min=0, max=65535)] = 8000,
    public_rate: Annotated[
        float,
        typer.Option("--public-rate", min=0.0, help="Public requests a second per client (0: no limit)."),
    ] = 50.0,
    max_body: Annotated[int, typer.Option("--max-body", min=1, help="Largest request body in bytes.")] = 1
    << 20,
    max_ingest_body: Annotated[
        int, typer.Option("--max-ingest-body", min=1, help="Largest ingest batch in bytes.")
    ] = 64 << 20,
    salt: Annotated[
        str | None,
        typer.Option(
            "--salt",
            envvar="SENTINELLA_SALT",
            help="The store's identity salt, for ingest batches into a store that keeps identifiers hashed.",
        ),
    ] = None,
) -> None:
    """Serve the REST API (docs at /docs) and the web console (/console/); this process is the writer."""
    import uvicorn

    from sentinella.api import Service, create_app
    from sentinella.cli import console

    service = Service.open(
        db, public_rate=public_rate, max_body=max_body, max_ingest_body=max_ingest_body, identity_salt=salt
    )
    console.print(
        f"serving {db} at http://{host}:{port} (docs: /docs); this process is the store's only writer",
        highlight=False,
        markup=False,
    )
    uvicorn.run(
        create_app(service, close_on_shutdown=True),
        host=host,
        port=port,
        log_level="warning",
        access_log=False,  # the audit trail records keyed calls; a log line per public call costs CPU
    )


@rules_app.command("backtest")
def rules_backtest(
    rules_file: Annotated[Path, typer.Argument(help="TOML file of \\[\\[rule]] and \\[\\[list]] tables.")],
    db: DbOption = Path(DEFAULT_DB),
    truth: Annotated[
        Path | None, typer.Option("--truth", help="A generated world's truth/ folder, to count planted hits.")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """What each rule (drafts too) would hit on the stored history, beside truth and case outcomes."""
    from sentinella.cli import _open_store, console
    from sentinella.rules import backtest, load_rules

    ruleset = load_rules(rules_file)
    with _open_store(db, read_only=True) as store:
        results = [backtest(store.connection, rule, ruleset.lists, truth=truth) for rule in ruleset.rules]
    if as_json:
        console.print_json(json.dumps([r.as_dict() for r in results]))
        return
    for result in results:
        console.print(
            f"{result.rule_id} v{result.version}: {result.hits:,} {result.subject}s",
            highlight=False,
            markup=False,
        )
        if result.truth:
            planted = ", ".join(f"{kind} {count:,}" for kind, count in result.truth.items() if count)
            console.print(f"  among planted: {planted or 'none'}", highlight=False, markup=False)
        if result.cases:
            console.print(
                f"  with cases: {', '.join(f'{k} {v:,}' for k, v in result.cases.items())}", highlight=False
            )


@rules_app.command("apply")
def rules_apply(
    rules_file: Annotated[Path, typer.Argument(help="TOML file of \\[\\[rule]] and \\[\\[list]] tables.")],
    db: DbOption = Path(DEFAULT_DB),
    actor: ActorOption = "",
    as_json: JsonOption = False,
) -> None:
    """Write the enabled rules' hits (and deny lists) to rule_hits; open cases where a rule says so."""
    from sentinella.cli import _open_store, console
    from sentinella.rules import apply_rules, load_rules

    ruleset = load_rules(rules_file)
    with _open_store(db, read_only=False) as store:
        applied = apply_rules(store.connection, ruleset, actor=_actor(actor))
    if as_json:
        console.print_json(json.dumps({"rules": applied.rules, "cases_opened": applied.cases_opened}))
        return
    for rule, hits in applied.rules.items():
        console.print(f"{rule}: {hits:,} hits", highlight=False, markup=False)
    console.print(
        f"{applied.cases_opened:,} cases opened; results: rule_hits, rule_versions",
        highlight=False,
        markup=False,
    )
