"""Pyramid forensics end to end: store → arrays → kernels → legal tests → result tables."""

from __future__ import annotations

import datetime as dt
import itertools
import json
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from sentinella._timing import Progress, Steps, lap
from sentinella.engine import Backend, Dialect, literal
from sentinella.idcodes import code_ids
from sentinella.money import load_rates

from ._elements import measure
from ._errors import PyramidError
from ._forest import analyse_forest
from ._forest_sql import FOREST_MODES, EngineForest, ForestMode
from ._inputs import (
    STRONG_IDENTITIES,
    MissingRateError,
    MoneySettings,
    PyramidInputs,
    data_currencies,
    load_inputs,
)
from ._legal import Context, run_tests
from ._metrics import REWARD_PARTS, MemberFigures, member_figures, network_figures
from ._money import exact_rates, rates_used, units_decimal, units_sql
from ._offenders import RepeatOffender, parse_offender
from ._profiles import Profile, ProfileError, load_profile

RESULT_TABLES = (
    "pyramid_members",
    "pyramid_member_figures",
    "pyramid_networks",
    "pyramid_findings",
    "pyramid_issues",
    "pyramid_flows",
    "pyramid_person_links",
    "pyramid_runs",
)
_MEMBER_MONEY = (
    "fees_paid",
    "fees_in_downline",
    "own_sales_outside",
    "own_sales_inside",
    "orders_bought",
    "team_sales_outside",
    "team_sales_inside",
    "purchases_inside",
    *REWARD_PARTS,
    "rewards",
    "received_total",
    "paid_total",
    "net_income",
)
IDS_IN_ENGINE_ABOVE = 20_000_000
"""Members above which IDs stay in a non-DuckDB engine: coding 20M sponsor IDs on the driver
takes about 1 GB there; 100M members' ID columns and their coding did not fit beside Spark's
JVM on 24 GB (docs/scale.md)."""


@dataclass
class PyramidSummary:
    """What a run found, for the CLI and the demo."""

    members: int
    networks: int
    pyramids: int
    organizers: int
    """Members meeting the §1 numbers (their role under §2 is for the investigator)."""
    findings: int
    issues: dict[str, int]
    seconds: float
    timings: dict[str, float] = field(default_factory=dict)
    profiles: list[str] = field(default_factory=list)
    run_id: str = ""
    currency: str = ""
    excluded_currencies: dict[str, int] = field(default_factory=dict)
    """Currencies without a rate whose records were left out (``allow_missing_rates``), by rows."""
    forest: str = ""
    """Where the account forest's figures were computed, and why (``run_pyramid(forest=...)``)."""


def run_pyramid(
    backend: Backend,
    *,
    profiles: Sequence[str] = ("cn", "us", "eu"),
    repeat_offenders: Iterable[str | RepeatOffender] = (),
    rates_file: Path | None = None,
    allow_missing_rates: bool = False,
    progress: Progress | None = None,
    forest: ForestMode = "auto",
) -> PyramidSummary:
    """Analyse the store's members, payments and orders; replace the pyramid_* tables.

    Every option is checked before any work: profiles (validated), repeat offenders
    (``MEMBER:criminal[:DATE]`` or ``MEMBER:administrative:DATE``), the rates file, and that
    every currency in payments and orders has a rate. The run, its profiles' SHA-256 and the
    rates it used are appended to ``pyramid_runs``; findings carry its ``run_id``.
    ``progress(stage, done, total)`` hears of each step as it starts. ``forest`` says where the
    account forest is measured: ``driver`` (the kernel), ``engine`` (SQL in the backend, see
    ``_forest_sql``) or ``auto`` (the kernel: the arrays are on the driver by then); the figures
    are the same either way. On an engine other than DuckDB above ``IDS_IN_ENGINE_ABOVE``
    members, or with ``engine``, the member IDs stay in the engine (``_ids``).
    """
    started = clock = time.perf_counter()
    timings: dict[str, float] = {}
    if forest not in FOREST_MODES:
        raise PyramidError(f"forest={forest!r}: choose one of {', '.join(FOREST_MODES)}")
    if not profiles:
        raise ProfileError("give at least one profile (cn, us, eu or a TOML file)")
    offenders = [o if isinstance(o, RepeatOffender) else parse_offender(o) for o in repeat_offenders]
    loaded = [load_profile(p) for p in profiles]
    currencies = tuple(dict.fromkeys(p.currency for p in loaded))
    try:
        rates = exact_rates(load_rates(rates_file))
    except (OSError, ValueError, TypeError) as error:  # tomllib's errors are ValueErrors
        raise ProfileError(f"{rates_file}: cannot be used as a rates table ({error})") from error
    unknown_targets = [c for c in currencies if c not in rates]
    if unknown_targets:
        raise MissingRateError(
            f"no exchange rate for the profile currency {', '.join(unknown_targets)}: "
            "add it with --rates FILE"
        )
    seen = data_currencies(backend)
    missing = {code: rows for code, rows in seen.items() if code not in rates}
    if missing and not allow_missing_rates:
        listed = ", ".join(f"{code} ({rows:,} records)" for code, rows in missing.items())
        raise MissingRateError(
            f"no exchange rate for {listed} in payments/orders: add them with --rates FILE, or pass "
            "--allow-missing-rates to leave those records out of every sum (the run lists them)"
        )
    terms: dict[str, str] = {}
    for profile in loaded:
        for term, basis in profile.bonus_terms.items():
            terms.setdefault(term, basis)
    money = MoneySettings(currencies, rates, tuple(terms.items()), tuple(missing))
    # Loading the compiled kernels from numba's cache takes about a second; DuckDB reads the
    # members meanwhile without holding the GIL, so the two overlap.
    steps = Steps("pyramid", ("read", "kernels", "legal tests", "write"), progress)
    steps.start("read")
    warm_up = threading.Thread(target=_warm_up_kernels, daemon=True)
    warm_up.start()
    inputs = load_inputs(backend, money, ids_in_engine=_ids_in_engine(backend, forest))
    warm_up.join()
    clock = lap(timings, "read", clock)
    steps.start("kernels")
    forest_runner = EngineForest(backend, forest)
    members = member_figures(inputs, currencies, forest_runner)
    networks = network_figures(inputs, members)
    clock = lap(timings, "kernels", clock)
    steps.start("legal tests")
    gate = measure(inputs, members, networks, currencies[0], loaded[0].evidence)
    ctx = Context(inputs.member_id, inputs, members, networks, gate, offenders, loaded[0].evidence)
    findings = run_tests(ctx, loaded)
    run_id = uuid.uuid4().hex[:16]
    findings = findings.append_column(
        "run_id", pa.array(np.full(findings.num_rows, run_id, dtype=object), pa.string())
    )
    clock = lap(timings, "legal tests", clock)
    steps.start("write")
    member_figures_table, members_view = _members_table(inputs, members, backend.dialect)
    tables = {
        _MEMBER_FIGURES: member_figures_table,
        "pyramid_networks": _networks_table(ctx),
        "pyramid_findings": findings,
        "pyramid_issues": _issues_table(inputs, members),
        "pyramid_person_links": _person_links_table(inputs, members),
    }
    record = _run_record(run_id, loaded, rates, currencies, seen, missing, inputs, findings.num_rows)
    _write(backend, tables, members_view, money, record)
    lap(timings, "write", clock)
    steps.done()
    organizer_rules = {str(p.rules["organizer"]["rule_id"]) for p in loaded if "organizer" in p.rules}
    organizers = 0
    if findings.num_rows:
        kinds = findings.column("subject_kind").to_numpy(zero_copy_only=False)
        rules = findings.column("rule_id").to_numpy(zero_copy_only=False)
        met = findings.column("result").to_numpy(zero_copy_only=False) == "met"
        organizers = int(np.count_nonzero((kinds == "member") & met & np.isin(rules, list(organizer_rules))))
    issue_kinds = tables["pyramid_issues"].column("issue").to_pylist()
    issues: dict[str, int] = {}
    for kind in issue_kinds:
        issues[str(kind)] = issues.get(str(kind), 0) + 1
    return PyramidSummary(
        members=inputs.n,
        networks=int(networks.roots.size),
        pyramids=int(np.count_nonzero(ctx.is_pyramid)),
        organizers=organizers,
        findings=findings.num_rows,
        issues=issues,
        seconds=round(time.perf_counter() - started, 3),
        timings=timings,
        profiles=[p.id for p in loaded],
        run_id=run_id,
        currency=currencies[0],
        excluded_currencies=missing,
        forest=forest_runner.report,
    )


def _run_record(
    run_id: str,
    profiles: Sequence[Profile],
    rates: dict[str, Decimal],
    currencies: tuple[str, ...],
    seen: dict[str, int],
    missing: dict[str, int],
    inputs: PyramidInputs,
    findings: int,
) -> dict[str, object]:
    """What a reader needs to reproduce the findings: profiles (with SHA-256), rates, exclusions."""
    return {
        "run_id": run_id,
        "finished_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "report_currency": currencies[0],
        "profiles": json.dumps(
            [{"id": p.id, "source": p.source, "sha256": p.sha256, "currency": p.currency} for p in profiles],
            ensure_ascii=False,
        ),
        "rates_cny_per_unit": json.dumps(rates_used(rates, seen, currencies)),
        "excluded_currencies": json.dumps(missing),
        "payments_with_basis_from_memo": inputs.memo_basis,
        "members": inputs.n,
        "findings": findings,
    }


def _ids_in_engine(backend: Backend, forest: ForestMode) -> bool:
    """Whether member IDs stay in the engine: when asked for the engine forest, and on an engine
    other than DuckDB (which shares the driver's memory) above ``IDS_IN_ENGINE_ABOVE`` members."""
    if forest == "engine":
        return True
    if backend.dialect.name == "duckdb" or not backend.table_exists("members"):
        return False
    return int(str(backend.scalar("SELECT count(*) FROM members") or 0)) > IDS_IN_ENGINE_ABOVE


def _warm_up_kernels() -> None:
    """Call the compiled kernels once on a tiny forest, with the argument types of a real run."""
    parent = np.array([-1, 0], dtype=np.int64)
    code_ids(pa.array(["a", "b"]), pa.chunked_array([pa.array([None, "a"])]))
    analyse_forest(parent, join_order=np.array([0, 1], dtype=np.int64), orphan=np.zeros(2, dtype=np.bool_))


def _members_table(
    inputs: PyramidInputs, members: MemberFigures, dialect: Dialect
) -> tuple[pa.RecordBatchReader, str]:
    """The stored per-member figures and the SQL of the ``pyramid_members`` view over them.

    Writing is most of a run's time at 10M members (DuckDB compresses every column it stores:
    10M short strings alone cost it 8 s of CPU), so only what cannot be had otherwise is stored.
    IDs are row ids in ``members``, joined back by the view; a column that is zero for everyone
    (no payments in the case, say) is a constant in the view; headcounts, levels, rewards and net
    income are derived from the columns they add up. The table is handed over in batches, built
    as DuckDB reads them, so it never exists whole beside the arrays it comes from.
    """
    n = inputs.n
    forest, check = members.forest, members.check
    small = np.int32 if n < 2**31 - 1 else np.int64
    code_type = pa.from_numpy_dtype(small)
    stored: dict[str, Callable[[slice], pa.Array]] = {
        "code": lambda rows: pa.array(np.arange(rows.start, rows.stop, dtype=small))
    }
    sql: dict[str, str] = {"member_id": "m.member_id"}  # the view's columns, in order
    joins = [f"JOIN members m ON {dialect.row_id('m')} = f.code"]

    def id_column(name: str, codes: np.ndarray, keep: np.ndarray, alias: str) -> None:
        if keep.any():
            stored[f"{name}_code"] = lambda rows: pa.array(codes[rows], code_type, mask=~keep[rows])
            sql[f"{name}_id"] = f"{alias}.member_id"
            joins.append(f"LEFT JOIN members {alias} ON {dialect.row_id(alias)} = f.{name}_code")
        else:
            sql[f"{name}_id"] = "CAST(NULL AS VARCHAR)"

    def column(name: str, values: np.ndarray | None, zero: str, dtype: type | None = None) -> None:
        if values is not None and values.any():
            stored[name] = lambda rows: pa.array(
                values[rows] if dtype is None else values[rows].astype(dtype)
            )
            sql[name] = f"f.{name}"
        else:
            sql[name] = zero

    def money_column(name: str, values: np.ndarray | None) -> None:
        if values is not None and values.any():
            stored[name] = lambda rows: units_decimal(values[rows])
            sql[name] = f"f.{name}"
        else:
            sql[name] = _ZERO_MONEY

    # NULL rather than a copy of member_id for one-account people and members outside networks.
    if members.merge is None:  # no identity columns: every account is its own person
        sql["person_id"] = "CAST(NULL AS VARCHAR)"
    else:
        shared = np.bincount(members.person, minlength=n)[members.person] > 1
        id_column("person", members.person, shared, "p")
    named = members.network_root if members.network_root is not None else forest.root
    id_column("network", named, members.in_network, "r")
    sql["in_network"] = "f.network_code IS NOT NULL" if "network_code" in stored else "FALSE"
    column("participant", members.participant, "FALSE")
    integer = "CAST(0 AS INTEGER)" if small is np.int32 else "CAST(0 AS BIGINT)"
    legal = members.legal_persons
    # a person's accounts share the person's level (the person forest's), as the legal counts do
    level = forest.level if legal is None or legal.root is None else legal.level[legal.node]
    column("level", level, integer, small)
    for name in ("direct_recruits", "downline", "depth_below"):
        column(name, getattr(forest, name), integer, small)
    sql["legal_headcount"] = f"{sql['downline']} + 1"
    sql["legal_levels"] = f"{sql['depth_below']} + 1"
    for name, own, below in (
        ("headcount", members.person_headcount, forest.downline),
        ("levels", members.person_levels, forest.depth_below),
    ):
        if (members.legal_persons is None and members.departed is None) or np.array_equal(own, below + 1):
            # no merged accounts and no departed leader (§1 ¶3): the counts are the accounts' own
            sql[f"person_{name}"] = sql[f"legal_{name}"]
        else:
            column(f"person_{name}", own, integer, small)
    inferred = inputs.inferred if inputs.inferred is not None else np.zeros(n, np.bool_)
    column("sponsor_cut", check.cut, "FALSE")
    column("sponsor_inferred", inferred, "FALSE")
    for name in _MEMBER_MONEY:
        if name in _DERIVED_MONEY:
            sql[name] = " + ".join(sql[part] for part in _DERIVED_MONEY[name][0])
            sql[name] += "".join(f" - {sql[part]}" for part in _DERIVED_MONEY[name][1])
        else:
            money_column(name, members.money[members.currency].get(name))
    columns = ", ".join(f"{expression} AS {name}" for name, expression in sql.items())
    return _batches(stored, n), f"SELECT {columns} FROM {_MEMBER_FIGURES} f {' '.join(joins)}"


def _batches(
    columns: dict[str, Callable[[slice], pa.Array]], n: int, rows: int = 1 << 20
) -> pa.RecordBatchReader:
    """The columns as a stream of record batches of ``rows`` rows each."""
    names = list(columns)

    def batch(start: int) -> pa.RecordBatch:
        part = slice(start, min(start + rows, n))
        return pa.RecordBatch.from_arrays([columns[name](part) for name in names], names=names)

    first = batch(0)
    rest = (batch(start) for start in range(rows, n, rows))
    return pa.RecordBatchReader.from_batches(first.schema, itertools.chain([first], rest))


_MEMBER_FIGURES = "pyramid_member_figures"
_ZERO_MONEY = "CAST(0 AS DECIMAL(18,4))"
_DERIVED_MONEY: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    # name: (added, subtracted), as _metrics computes them; listed after their parts in _MEMBER_MONEY
    "rewards": (REWARD_PARTS, ()),
    "net_income": (("received_total",), ("paid_total",)),
}


def _networks_table(ctx: Context) -> pa.Table:
    """Per network: structure, money (exact, in the report currency), the elements and the gate."""
    columns: dict[str, pa.Array | np.ndarray] = {"network_id": ctx.network_ids}
    money = set(ctx.networks.money.get(ctx.members.currency, {}))
    for name, values in ctx.networks.columns.items():
        columns[name] = units_decimal(values, 38) if name in money else values
    gate = ctx.gate
    columns["currency"] = pa.array(
        np.full(ctx.networks.roots.size, ctx.members.currency, dtype=object), pa.string()
    )
    columns["entry_paid"] = units_decimal(gate.entry_total, 38)
    columns["entry_consideration"] = gate.entry_consideration
    columns["pay_by_headcount"] = gate.headcount_pay
    columns["team_pay_on_sales"] = gate.team_pay > 0
    columns["is_pyramid"] = gate.is_pyramid
    columns["headcount_based"] = gate.headcount_based
    columns["assessment"] = gate.reason
    return pa.table(columns)


def _issues_table(inputs: PyramidInputs, members: MemberFigures) -> pa.Table:
    """Every recruitment-data flaw, one row per member and kind, never looped on."""
    check = members.check
    ids = inputs.member_id
    parts: list[pa.Table] = []

    def add(mask: np.ndarray, issue: str, detail: Callable[[np.ndarray], pa.Array] | str) -> None:
        codes = np.flatnonzero(mask)
        if not codes.size:
            return
        if isinstance(detail, str):
            detail_array = pa.array(np.full(codes.size, detail, dtype=object), pa.string())
        else:
            detail_array = detail(codes)  # built for the flagged members only
        parts.append(
            pa.table(
                {
                    "member_id": ids.take(pa.array(codes)),
                    "issue": pa.array(np.full(codes.size, issue, dtype=object), pa.string()),
                    "detail": detail_array,
                }
            )
        )

    def cycle_detail(codes: np.ndarray) -> pa.Array:
        return pc.binary_join_element_wise(
            "on a recruitment cycle of ",
            pc.cast(pa.array(check.cycle_length[codes]), pa.string()),
            " members (cycle named by member ",
            ids.take(pa.array(check.cycle_id[codes])),
            ")",
            "",
        )

    def into_detail(codes: np.ndarray) -> pa.Array:
        return pc.binary_join_element_wise(
            "sponsor chain runs into the cycle named by member ",
            ids.take(pa.array(check.into_cycle[codes])),
            "",
        )

    add(check.self_sponsored, "self_sponsorship", "names themselves as sponsor")
    add((check.cycle_id >= 0) & ~check.self_sponsored, "cycle", cycle_detail)
    add(
        check.cut & ~check.self_sponsored,
        "cycle_cut",
        "sponsor link ignored to break the cycle: joined first",
    )
    add(check.into_cycle >= 0, "into_cycle", into_detail)
    add(inputs.orphan, "unknown_sponsor", "sponsor_id names no member in the store")
    if inputs.inferred is not None and inputs.inferred_votes is not None:
        votes = inputs.inferred_votes

        def inferred_detail(codes: np.ndarray) -> pa.Array:
            sponsors = ids.take(pa.array(inputs.parent[codes]))
            return pc.binary_join_element_wise(
                "no sponsor recorded; inferred ",
                sponsors,
                " from ",
                pc.cast(pa.array(votes[codes]), pa.string()),
                " level-1 commissions on their orders",
                "",
            )

        add(inputs.inferred, "sponsor_inferred", inferred_detail)
    if inputs.paid_after_left is not None:
        late = inputs.paid_after_left

        def late_detail(codes: np.ndarray) -> pa.Array:
            return pc.binary_join_element_wise(
                "received ", pc.cast(pa.array(late[codes]), pa.string()), " payments after leaving", ""
            )

        add(late > 0, "paid_after_leaving", late_detail)
    if not parts:
        return pa.table(
            {
                "member_id": pa.array([], pa.string()),
                "issue": pa.array([], pa.string()),
                "detail": pa.array([], pa.string()),
            }
        )
    return pa.concat_tables(parts)


def _person_links_table(inputs: PyramidInputs, members: MemberFigures) -> pa.Table:
    """Why accounts were merged: each shared identifier links an account to the first holder."""
    from ._persons import identity_links

    empty = pa.table(
        {
            "member_id": pa.array([], pa.string()),
            "linked_member_id": pa.array([], pa.string()),
            "identifier": pa.array([], pa.string()),
            "person_id": pa.array([], pa.string()),
            "merges": pa.array([], pa.bool_()),
        }
    )
    if members.merge is None:
        return empty
    a, b, kind = identity_links(inputs.identities)
    if not a.size:
        return empty
    kinds = np.array(members.merge.kinds, dtype=object)
    ids = inputs.member_id
    return pa.table(
        {
            "member_id": ids.take(pa.array(a)),
            "linked_member_id": ids.take(pa.array(b)),
            "identifier": pa.array(kinds[kind], pa.string()),
            "person_id": ids.take(pa.array(members.person[a])),
            # only an ID number or a bank account merges accounts for the legal counts
            "merges": pa.array(np.isin(kinds[kind], STRONG_IDENTITIES)),
        }
    )


def _write(
    backend: Backend,
    tables: dict[str, pa.Table],
    members_view: str,
    money: MoneySettings,
    record: dict[str, object],
) -> None:
    """Replace the result tables in one transaction, so readers never see half a run; the run
    record is appended to ``pyramid_runs`` in the same transaction."""
    with backend.transaction("pyramid: write"):
        for name, table in tables.items():
            backend.write_table(name, table)
        backend.create_view("pyramid_members", members_view, step="pyramid_members view")
        if backend.table_exists("payments"):
            units = units_sql("amount", "currency", money.currencies[0], money.rates)
            backend.execute(
                "CREATE OR REPLACE TABLE pyramid_flows AS SELECT payee_id AS member_id, kind, basis, "
                f"level, count(*) AS payments, CAST(sum({units}) AS DECIMAL(38,0)) * "
                f"CAST(0.0001 AS DECIMAL(5,4)) "
                f"AS amount, {literal(money.currencies[0])} AS currency FROM payments"
                f"{money.where('payments')} GROUP BY ALL ORDER BY member_id, kind, level",
                money.params,
                step="write pyramid_flows",
            )
        _append_run(backend, record)


def _append_run(backend: Backend, record: dict[str, object]) -> None:
    """Append the run's record; a store written by an older version gains the new columns."""
    run = pa.table({name: [value] for name, value in record.items()})
    if not backend.table_exists("pyramid_runs"):
        backend.write_table("pyramid_runs", run)
    else:
        backend.append("pyramid_runs", run)
