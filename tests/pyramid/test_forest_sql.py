"""The forest figures computed in SQL must equal the numpy kernel's, member for member.

Every case runs on DuckDB; Spark (``-m spark``) runs one combined hostile forest through the SQL
path and one through the driver choice, since each SQL step costs it a job.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sentinella.engine import Backend, DuckDBBackend, EngineSettings
from sentinella.pyramid._forest import analyse_forest
from sentinella.pyramid._forest_sql import ForestRun, forest_in_engine, read_forest

VALUES = ("sales", "fee", "flag")


@pytest.fixture(scope="module")
def duckdb_backend() -> Iterator[Backend]:
    yield DuckDBBackend.in_memory(EngineSettings(memory_limit="1GB", threads=2))


def register(
    backend: Backend, parent: list[int] | np.ndarray, join: list[int] | np.ndarray | None = None
) -> None:
    """``forest_src``: the sponsor array (-1 written as NULL for every other member) and values."""
    p = np.asarray(parent, dtype=np.int64)
    n = p.shape[0]
    rng = np.random.default_rng(n)
    order = np.asarray(join if join is not None else np.arange(n), dtype=np.int64)
    nulls = (p < 0) & (np.arange(n) % 2 == 0)  # NULL and -1 both mean "no sponsor"
    backend.register_arrow(
        "forest_src",
        pa.table(
            {
                "code": pa.array(np.arange(n, dtype=np.int64)),
                "parent": pa.array(p, mask=nulls),
                "join_order": pa.array(order),
                "sales": pa.array(rng.integers(0, 10**12, size=n)),
                "fee": pa.array(rng.random(n)),
                "flag": pa.array(rng.random(n) < 0.5),
            }
        ),
    )


def assert_same(
    backend: Backend,
    parent: list[int] | np.ndarray,
    join: list[int] | np.ndarray | None = None,
    **options: object,
) -> ForestRun:
    """Run ``forest_in_engine`` on the forest and compare every figure with ``analyse_forest``."""
    register(backend, parent, join)
    source = backend.query("SELECT * FROM forest_src ORDER BY code")
    p = source.column("parent").fill_null(-1).to_numpy()
    values = {v: source.column(v).to_numpy(zero_copy_only=False) for v in VALUES}
    kcheck, kforest = analyse_forest(p, join_order=source.column("join_order").to_numpy(), values=values)
    run = forest_in_engine(backend, "forest_src", values=VALUES, prefix="t", **options)  # type: ignore[arg-type]
    check, forest = read_forest(backend, run, VALUES)
    for name in ("parent", "self_sponsored", "cycle_id", "into_cycle", "cut"):
        assert np.array_equal(getattr(check, name), getattr(kcheck, name)), name
    for name in ("root", "level", "direct_recruits", "downline", "depth_below"):
        assert np.array_equal(getattr(forest, name), getattr(kforest, name)), name
    for name in ("sales", "flag"):  # integers (and booleans, counted) exact
        assert forest.sums[name].dtype == np.int64
        assert np.array_equal(forest.sums[name], kforest.sums[name]), name
    assert forest.sums["fee"].dtype == np.float64
    np.testing.assert_allclose(forest.sums["fee"], kforest.sums["fee"], rtol=1e-12)  # order of adding
    assert run.cycles == kcheck.n_cycles
    return run


def hostile() -> tuple[list[int], list[int]]:
    """Cycles of length 1, 2, 3 and 5 with trees hanging below them, ties in join order, orphans,
    and a clean tree; codes shuffled so sponsors are not numbered before their recruits."""
    parent = [-1] * 30
    join = [5] * 30
    parent[0] = 0  # self-sponsorship
    parent[1], parent[2] = 2, 1  # two-cycle, equal join order: smallest code is cut
    parent[3], parent[4], parent[5] = 4, 5, 3  # three-cycle, 5 joined first
    join[5] = 1
    for c in range(6, 11):  # five-cycle 6 -> 7 -> ... -> 10 -> 6; 8 and 9 tie for first
        parent[c] = c + 1 if c < 10 else 6
    join[8] = join[9] = 0
    parent[11], parent[12], parent[13] = 3, 11, 12  # a chain below the three-cycle
    parent[14], parent[15] = 0, 0  # recruits of the self-sponsor
    parent[16], parent[17] = 9, 16  # below the five-cycle
    parent[18] = 1
    # 19 and 20 are orphans (no sponsor); a clean tree 21..29 under 19
    for c in range(21, 30):
        parent[c] = 19 if c < 24 else c - 3
    perm = np.random.default_rng(7).permutation(30)  # perm[old] = new code
    shuffled = [-1] * 30
    order = [0] * 30
    for old, new in enumerate(perm.tolist()):
        shuffled[new] = -1 if parent[old] < 0 else int(perm[parent[old]])
        order[new] = join[old]
    return shuffled, order


CASES = {
    "hostile": hostile(),
    "self_sponsor_alone": ([0], [0]),
    "one_big_cycle": ([(c + 1) % 40 for c in range(40)], [3] * 40),
    "cycle_with_tail": ([1, 2, 0, 0, 3, 4, 5, -1], [2, 1, 1, 0, 0, 0, 0, 0]),
    "orphans_only": ([-1] * 12, list(range(12))),
    "star": ([-1] + [0] * 500, [0] * 501),
    "chain": ([-1, *range(299)], list(range(300))),
    "reversed_chain": ([*range(1, 120), -1], [0] * 120),
    "empty": ([], []),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_engine_path_matches_the_kernel(duckdb_backend: Backend, case: str) -> None:
    parent, join = CASES[case]
    run = assert_same(duckdb_backend, parent, join, mode="engine")
    assert run.path == "engine"
    assert run.reason.startswith("asked for the engine")


def test_hostile_forest_figures_by_hand(duckdb_backend: Backend) -> None:
    """Spot-check the cut rule itself, not only agreement: join order first, then smallest code."""
    parent = [1, 2, 0, 0, 3]  # three-cycle 0 -> 1 -> 2 -> 0, 3 hangs below it, 4 below 3
    register(duckdb_backend, parent, [2, 1, 1, 0, 0])
    run = forest_in_engine(duckdb_backend, "forest_src", mode="engine", prefix="t")
    check, forest = read_forest(duckdb_backend, run)
    assert check.cut.tolist() == [False, True, False, False, False]  # 1 and 2 tie; 1 is smaller
    assert check.cycle_id.tolist() == [0, 0, 0, -1, -1]
    assert check.into_cycle.tolist() == [-1, -1, -1, 0, 0]
    assert forest.root.tolist() == [1] * 5
    assert forest.level.tolist() == [2, 1, 3, 3, 4]
    assert forest.downline.tolist() == [3, 4, 0, 1, 0]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.integers(min_value=1, max_value=60).flatmap(
        lambda n: st.tuples(
            st.lists(st.integers(min_value=-1, max_value=n - 1), min_size=n, max_size=n),
            st.lists(st.integers(min_value=0, max_value=3), min_size=n, max_size=n),
            st.integers(min_value=0, max_value=2),
        )
    )
)
def test_random_forests_match_the_kernel(
    duckdb_backend: Backend, drawn: tuple[list[int], list[int], int]
) -> None:
    parent, join, acyclic = drawn
    if acyclic:  # most real data: sponsors join before their recruits (no cycle possible)
        parent = [p if p < c else -1 for c, p in enumerate(parent)]
        if acyclic == 2:  # ... numbered in any order
            perm = np.random.default_rng(len(parent)).permutation(len(parent))
            inverse = np.argsort(perm)
            parent = [
                -1 if parent[inverse[c]] < 0 else int(perm[parent[inverse[c]]]) for c in range(len(parent))
            ]
    assert_same(duckdb_backend, parent, join, mode="engine")


def test_wide_random_forest_takes_few_rounds(duckdb_backend: Backend) -> None:
    """A random recursive forest of 20k members: O(log depth) jumping rounds, one step per level."""
    n = 20_000
    rng = np.random.default_rng(1)
    parent = np.where(rng.random(n) < 0.01, -1, (rng.random(n) * np.arange(n)).astype(np.int64))
    parent[0] = -1
    run = assert_same(duckdb_backend, parent, mode="engine")
    assert run.levels < 60
    assert run.rounds <= int(np.ceil(np.log2(run.levels))) + 2


def test_auto_collects_a_small_forest(duckdb_backend: Backend) -> None:
    run = assert_same(duckdb_backend, *CASES["hostile"])
    assert run.path == "driver"
    assert "collect_below" in run.reason
    assert run.kernel is not None


def test_auto_sends_a_deep_chain_to_the_kernel_and_says_why(duckdb_backend: Backend) -> None:
    """10^4 levels would be 10^4 SQL steps: measured by jumping (14 rounds), then the kernel."""
    n = 10_000
    run = assert_same(duckdb_backend, [-1, *range(n - 1)], mode="auto", collect_below=0)
    assert run.path == "driver"
    assert run.levels == n
    assert "10,000 levels deep > max_levels 2,000" in run.reason
    assert run.rounds <= 16


def test_auto_runs_a_big_shallow_forest_in_the_engine(duckdb_backend: Backend) -> None:
    run = assert_same(duckdb_backend, *CASES["star"], mode="auto", collect_below=100)
    assert run.path == "engine"
    assert run.reason.startswith("501 members > collect_below 100")
    assert run.describe().startswith("engine: ")


def test_forced_driver(duckdb_backend: Backend) -> None:
    run = assert_same(duckdb_backend, *CASES["cycle_with_tail"], mode="driver")
    assert (run.path, run.reason) == ("driver", "asked for the driver kernel")


def test_working_tables_are_dropped(duckdb_backend: Backend) -> None:
    assert_same(duckdb_backend, *CASES["hostile"], mode="engine")
    names = {r["table_name"] for r in duckdb_backend.rows("SELECT table_name FROM information_schema.tables")}
    assert {name for name in names if name.startswith("t_")} == {"t_result"}


def test_bad_input_is_refused(duckdb_backend: Backend) -> None:
    duckdb_backend.register_arrow(
        "gappy", pa.table({"code": [0, 2], "parent": [-1, 0], "join_order": [0, 0]})
    )
    with pytest.raises(ValueError, match="dense"):
        forest_in_engine(duckdb_backend, "gappy", mode="engine")
    duckdb_backend.register_arrow(
        "outside", pa.table({"code": [0, 1], "parent": [-1, 5], "join_order": [0, 0]})
    )
    with pytest.raises(ValueError, match="outside"):
        forest_in_engine(duckdb_backend, "outside", mode="engine")
    with pytest.raises(ValueError, match="identifier"):
        forest_in_engine(duckdb_backend, "gappy", values=["x; DROP TABLE y"])
    with pytest.raises(ValueError, match="lacks"):
        forest_in_engine(duckdb_backend, "gappy", values=["sales"])
    with pytest.raises(ValueError, match="mode"):
        forest_in_engine(duckdb_backend, "gappy", mode="cluster")  # type: ignore[arg-type]


@pytest.mark.spark
def test_spark_engine_path_matches_the_kernel(spark_session: object) -> None:
    from sentinella.engine import SparkBackend

    run = assert_same(SparkBackend(spark_session), *CASES["hostile"], mode="engine")
    assert run.path == "engine"
    assert run.cycles == 4


@pytest.mark.spark
def test_spark_unions_more_level_tables_than_one_statement_takes(spark_session: object) -> None:
    from sentinella.engine import SparkBackend

    run = assert_same(SparkBackend(spark_session), *CASES["chain"], mode="engine")
    assert run.path == "engine"
    assert run.levels == 300  # > 64 level tables: unioned in chunks, then the chunks


@pytest.mark.spark
def test_spark_auto_choice(spark_session: object) -> None:
    from sentinella.engine import SparkBackend

    backend = SparkBackend(spark_session)
    run = assert_same(backend, *CASES["star"])
    assert run.path == "driver"
    run = assert_same(backend, [-1, *range(39)], mode="engine", max_levels=10)
    assert run.path == "driver"
    assert "40 levels deep > max_levels 10" in run.reason
