"""The signals computed by SQL steps equal the numpy ones they replaced, to the last bit.

The reference (``signals_reference.py``) is the numpy code as it was; ``differences`` runs both
on one store and names every code, pair, signal or order flag that differs. On generated worlds
(planted rings, honest look-alikes, rings that hide their wiring, a burst ring at the busiest
shop), on small random stores (shared and missing identifiers, strangers, shops without a row,
ties in every bucket, empty tables) and, under ``-m spark``, on Spark.
"""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Iterator
from pathlib import Path
from unittest import mock

import pyarrow as pa
import pytest
import signals_reference
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rings_worlds import plant_ring_at_popular_shop, strip_ring_identifiers
from signals_compare import differences

from sentinella.engine import ROW_ID, DuckDBBackend, EngineSettings, SparkBackend
from sentinella.rings import RingsConfig
from sentinella.rings import _signals as sql_signals
from sentinella.store import Store, ingest_case
from sentinella.synth import generate_world

OVERRIDES = {"rings_per_million": 900, "ring_lookalikes_per_million": 900}
# thresholds low enough that a handful of orders make crowds, bursts and dense blocks
SMALL = RingsConfig(
    lockstep_min_buyers=2,
    lockstep_crowd_factor=1.0,
    lockstep_five_star_share=0.5,
    burst_min_orders=2,
    burst_orders_per_buyer=1.0,
    block_min_rows=2,
    merchant_min_buyers=2,
    shared_full=2,
)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The rings tests' world (20,000 members, ~18 rings and ~18 look-alikes): (store, truth)."""
    root = tmp_path_factory.mktemp("sql_signals_world")
    generate_world(root / "case", members=20_000, seed=11, media=False, overrides=OVERRIDES)
    db = root / "world.duckdb"
    with Store.open(db) as store:
        ingest_case(store, root / "case")
    return db, root / "case" / "truth"


@pytest.fixture
def world_copy(world: tuple[Path, Path], tmp_path: Path) -> Iterator[Store]:
    db = tmp_path / "copy.duckdb"
    shutil.copy(world[0], db)
    with Store.open(db) as store:
        yield store


def test_sql_signals_equal_numpy_on_the_rings_world(world_copy: Store) -> None:
    assert differences(world_copy.backend, world_copy.backend) == []


def test_sql_signals_equal_numpy_with_small_thresholds(world_copy: Store) -> None:
    assert differences(world_copy.backend, world_copy.backend, SMALL) == []


def test_sql_signals_equal_numpy_on_hidden_and_burst_rings(
    world_copy: Store, world: tuple[Path, Path]
) -> None:
    strip_ring_identifiers(world_copy.backend, world[1])
    plant_ring_at_popular_shop(world_copy.backend)
    assert differences(world_copy.backend, world_copy.backend) == []


def test_the_comparison_sees_a_changed_signal(world_copy: Store) -> None:
    """The reference check can fail: one more account allowed per identifier changes ``shared``."""
    with mock.patch.object(signals_reference, "MAX_IDENTIFIER_ACCOUNTS", 2):
        assert "shared" in differences(world_copy.backend, world_copy.backend)


# -- small random stores -------------------------------------------------------------------------
_T0 = dt.datetime(2024, 5, 1, tzinfo=dt.UTC)
_DEVICES = st.one_of(st.none(), st.sampled_from(["d0", "d1", "d2", "d3"]))
_MEMBER = st.sampled_from([f"m{i}" for i in range(8)])  # m6, m7 never have a members row
_SHOP = st.sampled_from(["s0", "s1", "s2", "s3"])  # s3 never has a merchants row


@st.composite
def stores(draw: st.DrawFn) -> dict[str, pa.Table]:
    """Input tables of a tiny marketplace; a table may be empty (then it is left out)."""
    n_members = draw(st.integers(0, 6))
    members = pa.table(
        {
            "member_id": [f"m{i}" for i in range(n_members)],
            "joined_at": pa.array(
                [
                    draw(
                        st.one_of(st.none(), st.integers(-400, 30).map(lambda d: _T0 + dt.timedelta(days=d)))
                    )
                    for _ in range(n_members)
                ],
                pa.timestamp("us", tz="UTC"),
            ),
            "device_id": pa.array([draw(_DEVICES) for _ in range(n_members)], pa.string()),
            "bank_account": pa.array(
                [draw(st.one_of(st.none(), st.sampled_from(["b0", "b1"]))) for _ in range(n_members)],
                pa.string(),
            ),
        }
    )
    n_shops = draw(st.integers(0, 3))
    merchants = pa.table(
        {
            "merchant_id": [f"s{i}" for i in range(n_shops)],
            "member_id": pa.array(
                [draw(st.one_of(st.none(), _MEMBER, st.just("nobody"))) for _ in range(n_shops)], pa.string()
            ),
        }
    )
    n_orders = draw(st.integers(1, 30))
    # minutes apart in a few hours, so windows, bursts and their edges are crowded
    minutes = [draw(st.integers(0, 600)) for _ in range(n_orders)]
    orders = pa.table(
        {
            "order_id": [f"o{draw(st.integers(0, 10**6)):07d}-{i}" for i in range(n_orders)],
            "buyer_id": [draw(_MEMBER) for _ in range(n_orders)],
            "merchant_id": [draw(_SHOP) for _ in range(n_orders)],
            "listing_id": pa.array(
                [draw(st.one_of(st.none(), st.sampled_from(["l0", "l1"]))) for _ in range(n_orders)],
                pa.string(),
            ),
            "placed_at": pa.array(
                [_T0 + dt.timedelta(minutes=m) for m in minutes], pa.timestamp("us", tz="UTC")
            ),
            "device_id": pa.array([draw(_DEVICES) for _ in range(n_orders)], pa.string()),
            "ship_to": pa.array(
                [draw(st.one_of(st.none(), st.sampled_from(["a0", "a1"]))) for _ in range(n_orders)],
                pa.string(),
            ),
        }
    )
    reviewed = [i for i in range(n_orders) if draw(st.booleans())]
    reviews = pa.table(
        {
            "order_id": pa.array([orders["order_id"][i].as_py() for i in reviewed], pa.string()),
            "rating": pa.array([draw(st.sampled_from([1, 4, 5, 5])) for _ in reviewed], pa.int32()),
        }
    )
    n_ties = draw(st.integers(0, 6))
    ties = pa.table(
        {
            "member_a": [draw(_MEMBER) for _ in range(n_ties)],
            "member_b": [draw(_MEMBER) for _ in range(n_ties)],
            "group_id": pa.array(
                [draw(st.one_of(st.none(), st.sampled_from(["g0", "g1"]))) for _ in range(n_ties)],
                pa.string(),
            ),
        }
    )
    n_payments = draw(st.integers(0, 5))
    payments = pa.table(
        {
            "payer_id": [draw(_MEMBER) for _ in range(n_payments)],
            "payee_id": [draw(_MEMBER) for _ in range(n_payments)],
            "kind": [draw(st.sampled_from(["other", "purchase", "refund"])) for _ in range(n_payments)],
            "order_id": pa.array(
                [draw(st.one_of(st.none(), st.just("o1"))) for _ in range(n_payments)], pa.string()
            ),
        }
    )
    tables = {
        "members": members,
        "merchants": merchants,
        "orders": orders,
        "reviews": reviews,
        "ties": ties,
        "payments": payments,
    }
    return {name: table for name, table in tables.items() if table.num_rows}


def _duckdb(tables: dict[str, pa.Table]) -> DuckDBBackend:
    backend = DuckDBBackend.in_memory(EngineSettings(memory_limit="1GB", threads=1))
    for name, table in tables.items():
        backend.write_table(name, table)
    return backend


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tables=stores())
def test_sql_signals_equal_numpy_on_small_random_stores(tables: dict[str, pa.Table]) -> None:
    backend = _duckdb(tables)
    # an identifier on more than two orders (accounts) is dropped: the rule is exercised
    with (
        mock.patch.object(sql_signals, "MAX_IDENTIFIER_ACCOUNTS", 2),
        mock.patch.object(signals_reference, "MAX_IDENTIFIER_ACCOUNTS", 2),
    ):
        assert differences(backend, backend, SMALL) == []
        assert differences(backend, backend) == []


# -- Spark ---------------------------------------------------------------------------------------
def _fixed_store() -> dict[str, pa.Table]:
    """Twelve orders at three shops (one without a merchants row) by five accounts (two without
    a members row); devices shared, missing and (three accounts on b0) too common to bind."""
    ts = pa.timestamp("us", tz="UTC")
    buyers = ["m0", "m1", "m2", "m5", "m0", "m1", "m2", "m3", "m6", "m5", "m0", "m3"]
    shops = ["s0", "s0", "s0", "s0", "s1", "s1", "s2", "s2", "s2", "s0", "s0", "s1"]
    return {
        "members": pa.table(
            {
                "member_id": ["m0", "m1", "m2", "m3", "m4"],
                "joined_at": pa.array([_T0 - dt.timedelta(days=d) for d in (3, 40, 400, 1, 9)], ts),
                "device_id": pa.array(["d0", "d0", None, "d9", "d1"], pa.string()),
                "bank_account": pa.array(["b0", "b0", "b0", None, "b1"], pa.string()),
            }
        ),
        "merchants": pa.table({"merchant_id": ["s0", "s1"], "member_id": ["m4", "nobody"]}),
        "orders": pa.table(
            {
                "order_id": [f"o{i:02d}" for i in range(12)],
                "buyer_id": buyers,
                "merchant_id": shops,
                "listing_id": pa.array(
                    ["l0", "l0", "l0", None, "l1", "l1", "l2", "l2", "l2", "l0", None, "l1"]
                ),
                "placed_at": pa.array([_T0 + dt.timedelta(minutes=17 * i) for i in range(12)], ts),
                "device_id": pa.array(
                    ["d1", "d1", "d1", "d2", None, "d2", "d3", "d3", None, "d1", "d0", None]
                ),
                "ship_to": pa.array(["a0", "a0", None, "a1", "a1", None, "a2", "a2", "a2", "a0", None, "a3"]),
            }
        ),
        "reviews": pa.table(
            {
                "order_id": [f"o{i:02d}" for i in range(10)],
                "rating": pa.array([5, 5, 5, 4, 5, 5, 5, 1, 5, 5], pa.int32()),
            }
        ),
        "ties": pa.table(
            {
                "member_a": ["m0", "m1", "m4"],
                "member_b": ["m1", "m2", "m5"],
                "group_id": pa.array(["g0", "g0", None]),
            }
        ),
        "payments": pa.table(
            {
                "payer_id": ["m4", "m4"],
                "payee_id": ["m0", "m2"],
                "kind": ["other", "refund"],
                "order_id": pa.array([None, None], pa.string()),
            }
        ),
    }


@pytest.mark.spark
def test_sql_signals_on_spark_equal_numpy(spark_session: object, tmp_path: Path) -> None:
    """A small world with rings (a few hundred accounts: Spark local costs ~0.3 s a statement)."""
    generate_world(tmp_path / "case", members=2_000, seed=5, media=False, overrides=OVERRIDES)
    with Store.open(tmp_path / "world.duckdb") as store:
        ingest_case(store, tmp_path / "case")
        spark = SparkBackend(spark_session)
        spark.load_store(
            store.backend,
            tmp_path / "parquet",
            ("orders", "reviews", "members", "merchants", "ties", "payments"),
        )
        assert differences(spark, store.backend) == []
        assert differences(spark, store.backend, SMALL) == []


@pytest.mark.spark
def test_sql_signals_on_spark_equal_numpy_on_a_random_store(spark_session: object) -> None:
    """Strangers, shops without a row, missing identifiers, a dropped identifier, on Spark."""
    tables = _fixed_store()
    reference = _duckdb(tables)
    spark = SparkBackend(spark_session)
    for name, table in tables.items():
        spark.register_arrow(name, table.append_column(ROW_ID, pa.array(range(table.num_rows), pa.int64())))
    with (
        mock.patch.object(sql_signals, "MAX_IDENTIFIER_ACCOUNTS", 2),
        mock.patch.object(signals_reference, "MAX_IDENTIFIER_ACCOUNTS", 2),
    ):
        assert differences(spark, reference, SMALL) == []
