"""The same generated world through each engine: every result table must come out the same.

DuckDB runs by default (a second run on a fresh store must reproduce the first, row for row);
Spark runs in local mode under the ``spark`` marker (``pytest -m spark``, its own CI step) and
must reproduce DuckDB's tables exactly: pyramid members, networks, findings, issues and flows,
the ring groups, members and scores, credit's merchants, ratings and rating details, compare's
products and prices, risk's scores (their reasons compared as JSON documents: engines spell
some numbers differently) and, on a world with images, provenance's tables.

Spark is slow to start and pays a fixed cost per SQL step, so each analysis runs on it once
per test session: through the CLI (``--engine spark``) into one copy of the store
(:func:`on_spark`); the tests compare the tables as Spark holds them and as copied back into
the store. The generated world exercises only some of credit's rules, so a hand-written case
where every rule stops a rating is compared too.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pytest

from credit_helpers import T0, Case
from sentinella.compare import run_compare
from sentinella.credit import INPUT_TABLES as CREDIT_INPUTS
from sentinella.credit import REASONS, run_credit
from sentinella.engine import Backend
from sentinella.pyramid import run_pyramid
from sentinella.rings import run_rings
from sentinella.risk import run_risk
from sentinella.store import Store, ingest_case
from sentinella.synth import generate_world

AS_OF = dt.date(2025, 6, 30)
ANALYSES: dict[str, tuple[Callable[[Backend], object], tuple[str, ...]]] = {
    "pyramid": (
        lambda b: run_pyramid(b),
        ("pyramid_members", "pyramid_networks", "pyramid_findings", "pyramid_issues", "pyramid_flows"),
    ),
    "rings": (
        lambda b: run_rings(b),
        ("ring_groups", "ring_members", "ring_order_scores", "ring_member_scores"),
    ),
    "credit": (
        lambda b: run_credit(b, as_of=AS_OF, flagged_orders=()),
        ("credit_merchants", "credit_ratings", "credit_rating_details"),
    ),
    "compare": (lambda b: run_compare(b), ("product_clusters", "product_prices", "compare_merchants")),
    "risk": (lambda b: run_risk(b), ("risk_scores",)),  # after the others: it reads their results
}
NEEDS = {"compare": ("credit",), "risk": ("pyramid", "rings", "credit", "compare")}
# The CLI's credit removes the orders rings flagged when the store has them; the reference run
# removes none, so credit runs first.
CLI_ORDER = ("credit", "pyramid", "rings", "compare", "risk")
CLI_OPTIONS = {"credit": ["--as-of", AS_OF.isoformat()]}
CASES = [("duckdb", name) for name in sorted(ANALYSES)] + [
    pytest.param("spark", name, marks=pytest.mark.spark) for name in sorted(ANALYSES)
]
VARYING = {"run_id"}  # a fresh identifier per run, on every engine
Rows = list[tuple[object, ...]]
Tables = dict[str, dict[str, Rows]]  # analysis -> table -> rows


def rows(table: pa.Table) -> Rows:
    """A table's rows in a canonical order, with values made comparable across engines."""

    def value(v: object) -> object:
        if isinstance(v, float):
            return round(v, 9)
        if isinstance(v, Decimal):
            return v.normalize()
        if isinstance(v, dt.datetime) and v.tzinfo is not None:
            return v.astimezone(dt.UTC).replace(tzinfo=None)
        if isinstance(v, list):
            return tuple(value(x) for x in v)
        if isinstance(v, str) and v[:1] in "[{":
            # JSON text (risk's reasons): the same document, whichever way an engine spells a
            # number (Spark writes 9.11E-4 where DuckDB writes 0.000911)
            try:
                return json.dumps(json.loads(v), sort_keys=True)
            except ValueError:
                return v
        return v

    names = [n for n in table.column_names if n not in VARYING]
    out = [tuple(value(row[n]) for n in names) for row in table.select(names).to_pylist()]
    return sorted(out, key=repr)


def results(backend: Backend, analyses: tuple[str, ...]) -> Tables:
    return {
        name: {t: rows(backend.query(f"SELECT * FROM {t}")) for t in ANALYSES[name][1]} for name in analyses
    }


def assert_same(got: dict[str, Rows], expected: dict[str, Rows]) -> None:
    for table, want in expected.items():
        assert got[table], f"{table} is empty: the world should give it rows"
        assert len(got[table]) == len(want), table
        assert got[table] == want, table


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("engines")
    generate_world(root / "case", members=300, seed=11, media=False)
    with Store.open(root / "world.duckdb") as store:
        ingest_case(store, root / "case")
    return root


@pytest.fixture(scope="module")
def reference(world: Path) -> Tables:
    """Every analysis run once on DuckDB: the tables the other runs must reproduce."""
    db = world / "reference.duckdb"
    shutil.copyfile(world / "world.duckdb", db)
    with Store.open(db) as store:
        for run, _ in ANALYSES.values():
            run(store.backend)
        return results(store.backend, tuple(ANALYSES))


@dataclass
class SparkRuns:
    """Each analysis run once through ``sentinella <analysis> --engine spark`` on one store."""

    in_spark: Tables  # the result tables as the Spark session holds them
    in_store: Tables  # as copied back into the store
    pyramid_runs: int
    db: Path


@pytest.fixture(scope="module")
def on_spark(world: Path, spark_session: object) -> SparkRuns:
    from typer.testing import CliRunner

    from sentinella.cli import app
    from sentinella.engine import SparkBackend

    db = world / "spark.duckdb"
    shutil.copyfile(world / "world.duckdb", db)
    spark = SparkBackend(spark_session)  # the CLI's backend finds this session and uses it
    in_spark: Tables = {}
    for name in CLI_ORDER:
        options = CLI_OPTIONS.get(name, [])
        result = CliRunner().invoke(app, [name, "--db", str(db), "--engine", "spark", *options])
        assert result.exit_code == 0, f"{name}: {result.stderr}"
        in_spark.update(results(spark, (name,)))
    with Store.open(db, read_only=True) as store:
        in_store = results(store.backend, CLI_ORDER)
        runs = int(str(store.backend.scalar("SELECT count(*) FROM pyramid_runs")))
    return SparkRuns(in_spark, in_store, runs, db)


@pytest.mark.slow
@pytest.mark.parametrize(("engine", "analysis"), CASES)
def test_each_engine_gives_the_same_tables(
    engine: str, analysis: str, reference: Tables, world: Path, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    if engine == "spark":
        assert_same(request.getfixturevalue("on_spark").in_spark[analysis], reference[analysis])
        return
    db = tmp_path / "store.duckdb"
    shutil.copyfile(world / "world.duckdb", db)
    with Store.open(db) as store:
        for needed in NEEDS.get(analysis, ()):
            ANALYSES[needed][0](store.backend)
        ANALYSES[analysis][0](store.backend)
        assert_same(results(store.backend, (analysis,))[analysis], reference[analysis])


def test_an_unknown_engine_is_refused_before_the_store_is_opened(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from sentinella.cli import app

    db = tmp_path / "none.duckdb"
    for command in ("pyramid", "credit", "risk"):
        result = CliRunner().invoke(app, [command, "--db", str(db), "--engine", "oracle"])
        assert result.exit_code == 2 and "oracle" in result.stderr
        assert not db.exists()


@pytest.mark.spark
@pytest.mark.slow
def test_the_cli_runs_each_analysis_on_spark_and_writes_the_results_into_the_store(
    on_spark: SparkRuns, reference: Tables, tmp_path: Path
) -> None:
    for name in CLI_ORDER:
        assert_same(on_spark.in_store[name], reference[name])
    assert on_spark.pyramid_runs == 1  # this run's record only, whatever the session held before
    # Views arrive in the store as tables; DuckDB's next run makes them views again.
    db = tmp_path / "again.duckdb"
    shutil.copyfile(on_spark.db, db)
    with Store.open(db) as store:
        assert not store.backend.is_view("credit_rating_details")
        run_credit(store.backend, as_of=AS_OF, flagged_orders=())
        assert store.backend.is_view("credit_rating_details")
        assert results(store.backend, ("credit",))["credit"] == reference["credit"]


def every_credit_rule() -> tuple[Case, list[str]]:
    """Orders and reviews where each of credit's rules stops at least one rating (and the DSR's
    first three per pair and month leave one out); returns the case and its flagged orders."""
    case = Case()
    hour, day = dt.timedelta(hours=1), dt.timedelta(days=1)
    for k in range(7):  # a seventh positive in a month is capped; a fourth DSR is left out
        order = case.order(placed_at=T0 + k * hour)
        case.review(order, 5, dsr_described=4, dsr_service=5, dsr_shipping=1 + k % 5)
    case.rated(5, buyer_id="B2", listing_id="L-same", placed_at=T0)
    case.rated(4, buyer_id="B2", listing_id="L-same", placed_at=T0 + 3 * day)  # duplicate
    changed = case.order(buyer_id="B3")
    done = case.orders[-1]["completed_at"]
    case.review(changed, 1, created_at=done + day)  # revised ...
    case.review(changed, 5, created_at=done + 3 * day)  # ... by this one
    case.review(changed, 4, created_at=done + 4 * day)  # repeat_review
    late = case.order(buyer_id="B4")
    case.review(late, 2, created_at=case.orders[-1]["completed_at"] + 20 * day)  # outside_window
    flagged = case.order(buyer_id="B5")
    case.review(flagged, 5)
    case.review("O-UNKNOWN", 5)  # unverified: no such order
    case.rated(5, buyer_id="B6", status="shipped", completed_at=None)  # unverified: not yet a success
    case.rated(1, buyer_id="B7", status="refunded")
    case.rated(1, buyer_id="B7", status="disputed")
    case.rated(5, buyer_id="OWNER1")  # self_rating
    case.rated(5, buyer_id="B8", currency="XXX")  # unknown_currency
    case.rated(5, buyer_id="B8", amount=0.5)  # tiny_order
    refunded = case.order(buyer_id="B9", amount=Decimal("12.50"))
    case.review(refunded, 2)
    case.payments.append(
        {
            "payment_id": "P1",
            "payer_id": "OWNER1",
            "payee_id": "B9",
            "amount": Decimal("12.50"),
            "currency": "CNY",
            "kind": "refund",
            "paid_at": T0 + 5 * day,
            "order_id": refunded,
        }
    )
    case.merchants.append({"merchant_id": "S2", "member_id": "OWNER2"})
    for buyer in ("B1", "B2", "B3"):
        case.rated(4, buyer_id=buyer, merchant_id="S2", placed_at=T0 + 40 * day)
    return case, [flagged]


@pytest.fixture
def rules_store() -> Iterator[Store]:
    store = every_credit_rule()[0].store()
    yield store
    store.close()


@pytest.mark.spark
@pytest.mark.slow
def test_spark_applies_every_credit_rule_as_duckdb_does(
    rules_store: Store, spark_session: object, tmp_path: Path
) -> None:
    from sentinella.engine import SparkBackend

    flagged = every_credit_rule()[1]
    as_of = dt.date(2024, 6, 30)
    run_credit(rules_store.backend, as_of=as_of, flagged_orders=flagged)
    expected = results(rules_store.backend, ("credit",))["credit"]
    stopped = rules_store.backend.query(
        "SELECT DISTINCT CAST(reason AS VARCHAR) AS reason FROM credit_ratings WHERE reason IS NOT NULL"
    ).column("reason")
    assert set(stopped.to_pylist()) == set(REASONS)  # the case is worth comparing: every rule stops one
    late_dsr = (
        "SELECT count(*) FROM credit_rating_details WHERE counted AND dsr_described IS NOT NULL "
        "AND NOT dsr_counted"
    )
    assert rules_store.backend.scalar(late_dsr) == 3  # six rated in a month: the first three count
    spark = SparkBackend(spark_session)
    spark.load_store(rules_store.backend, tmp_path / "parquet", CREDIT_INPUTS)
    run_credit(spark, as_of=as_of, flagged_orders=flagged)
    assert_same(results(spark, ("credit",))["credit"], expected)


@pytest.fixture(scope="module")
def photo_world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A world with images (copied, edited, GPS-spoofed photos; prices far below the market),
    ingested and its listings matched into products (the price check reads them)."""
    root = tmp_path_factory.mktemp("photos")
    generate_world(root / "case", members=1200, seed=7)
    with Store.open(root / "world.duckdb") as store:
        ingest_case(store, root / "case")
        run_compare(store.backend)
    return root


@pytest.mark.spark
@pytest.mark.slow
def test_provenance_on_spark_finds_what_duckdb_finds(photo_world: Path, spark_session: object) -> None:
    from typer.testing import CliRunner

    from sentinella.cli import app
    from sentinella.engine import SparkBackend
    from sentinella.provenance import RESULT_TABLES, run_provenance

    expected_db = photo_world / "duckdb.duckdb"
    shutil.copyfile(photo_world / "world.duckdb", expected_db)
    with Store.open(expected_db) as store:
        run_provenance(store.backend, photo_world / "case")
        expected = {t: rows(store.backend.query(f"SELECT * FROM {t}")) for t in RESULT_TABLES}
    kinds = {row[4] for row in expected["provenance_findings"]}
    assert {"copied_photo", "price_far_below"} <= kinds  # the world gives image and price findings
    SparkBackend(spark_session)  # the CLI's backend finds this session and uses it
    db = photo_world / "spark.duckdb"
    shutil.copyfile(photo_world / "world.duckdb", db)
    case = str(photo_world / "case")
    result = CliRunner().invoke(app, ["provenance", "--case", case, "--db", str(db), "--engine", "spark"])
    assert result.exit_code == 0, result.stderr
    with Store.open(db, read_only=True) as store:
        got = {t: rows(store.backend.query(f"SELECT * FROM {t}")) for t in RESULT_TABLES}
    assert_same(got, expected)
