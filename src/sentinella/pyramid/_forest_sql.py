"""The recruitment-forest figures as SQL over the engine seam, for forests too big for the driver.

:func:`forest_in_engine` computes what :func:`~sentinella.pyramid._forest.analyse_forest` does
(roots, levels, direct recruits, downline, depth below, subtree sums, and the cycle cuts) with
the members left where they are, in DuckDB or on a Spark cluster:

* **Root and level** by pointer jumping: every unfinished member ``(code, anc, dist)`` is joined
  with the state of ``anc`` each round, so its ancestor doubles its distance until it is a root;
  ``ceil(log2(n)) + 1`` rounds bound it. Depths in a tree are contiguous, so a round in which
  nobody finishes means only members on or below a cycle are left.
* **Cycles**: those members form a closed subgraph (everything above them is in it), normally a
  handful. They are collected and the numpy :func:`validate_sponsors` decides the cuts on them,
  exactly as the kernel does; the cuts go back as a registered Arrow table and the jumping is
  redone for those members alone.
* **Downline, depth below, direct recruits, subtree sums** level by level from the deepest up:
  one step per level, each joining that level's members with their recruits' aggregates, so the
  work is linear in the members. Integer sums are exact (BIGINT), others DOUBLE.

One SQL step per level is fine for wide forests (tens of levels) and hopeless for a hostile chain
of 10^5 levels, and a driver-side numpy kernel beats any engine on forests that fit in memory. So
``mode="auto"`` collects the integer arrays and runs the kernel when the forest is small enough
(``collect_below`` members) or deeper than ``max_levels``; the choice and its reason come back in
:class:`ForestRun`. Either way the figures land in the same engine table. The pyramid analysis
(:class:`EngineForest`) holds the arrays already, so its ``auto`` is the kernel: see :func:`choose`.
"""

from __future__ import annotations

import contextlib
import dataclasses
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pyarrow as pa
from numpy.typing import NDArray

from sentinella.engine import Backend, EngineError

from ._forest import ForestMetrics, SponsorCheck, analyse_forest, validate_sponsors

ForestMode = Literal["auto", "driver", "engine"]
"""``driver``: collect the integer arrays and run the numpy/numba kernel; ``engine``: SQL in the
engine (still the kernel when deeper than ``max_levels``); ``auto``: by size and depth in
:func:`forest_in_engine` (its input is in the engine), the kernel in :class:`EngineForest`."""

FOREST_MODES: tuple[str, ...] = ("auto", "driver", "engine")
COLLECT_BELOW = 20_000_000
"""Members up to which ``auto`` collects the forest: 20M members' integer arrays are ~0.5 GB."""
MAX_LEVELS = 2_000
"""Deeper forests go to the kernel: each level is one SQL step (on Spark, one job or more)."""

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_LAST = np.iinfo(np.int64).max  # a missing join_order sorts last, as the kernel's docstring asks
_UNION_CHUNK = 64  # level tables unioned per statement: keeps each plan small on Spark


@dataclass
class ForestRun:
    """Where the figures are, which path computed them and why."""

    table: str
    """The result table: code, sponsor (repaired, -1 for none), root, level, direct_recruits,
    downline, depth_below, self_sponsored, cut, cycle_id, into_cycle, then ``sum_<name>``."""
    path: Literal["driver", "engine"]
    reason: str
    members: int
    levels: int = 0
    """Depth of the forest (0 when the driver path ran without the engine measuring it)."""
    cycles: int = 0
    rounds: int = 0
    """Pointer-jumping rounds run in the engine."""
    statements: int = 0
    """SQL statements run (each one a job, or several, on Spark)."""
    kernel: tuple[SponsorCheck, ForestMetrics] | None = field(default=None, repr=False)
    """The kernel's own result when the driver path ran (saves reading the table back)."""

    def describe(self) -> str:
        """One line for logs and summaries."""
        return f"{self.path}: {self.reason}"


def forest_in_engine(
    backend: Backend,
    source: str,
    *,
    values: Sequence[str] = (),
    prefix: str = "forest",
    mode: ForestMode = "auto",
    collect_below: int = COLLECT_BELOW,
    max_levels: int = MAX_LEVELS,
) -> ForestRun:
    """Compute the forest figures of ``source`` into table ``<prefix>_result`` in the engine.

    ``source`` has ``code`` (dense 0..n-1), ``parent`` (NULL or -1 for none), ``join_order`` and
    the ``values`` columns (NULL counts as 0). The figures are those of :func:`analyse_forest`
    on the same arrays: same cuts, same integers, float sums up to summation order.
    """
    if mode not in FOREST_MODES:
        raise ValueError(f"unknown forest mode {mode!r}; use one of {', '.join(FOREST_MODES)}")
    for name in (prefix, *values):
        if not _NAME.match(name):
            raise ValueError(f"{name!r} is not a plain SQL identifier (letters, digits, underscores)")
    return _Run(backend, source, list(values), prefix).run(mode, collect_below, max_levels)


def read_forest(
    backend: Backend, run: ForestRun, values: Sequence[str] = (), orphan: NDArray[np.bool_] | None = None
) -> tuple[SponsorCheck, ForestMetrics]:
    """The result table as the kernel's dataclasses (int64 arrays, in code order)."""
    if run.kernel is not None:
        check, metrics = run.kernel
        return (check if orphan is None else dataclasses.replace(check, orphan=orphan)), metrics
    table = backend.query(f"SELECT * FROM {run.table} ORDER BY code", step="forest: read result")
    n = table.num_rows

    def col(name: str) -> NDArray[Any]:
        return np.asarray(table.column(name).to_numpy(zero_copy_only=False))

    check = SponsorCheck(
        parent=col("sponsor").astype(np.int64),
        self_sponsored=col("self_sponsored").astype(np.bool_),
        cycle_id=col("cycle_id").astype(np.int64),
        into_cycle=col("into_cycle").astype(np.int64),
        cut=col("cut").astype(np.bool_),
        orphan=np.zeros(n, dtype=np.bool_) if orphan is None else orphan,
    )
    metrics = ForestMetrics(
        root=col("root").astype(np.int64),
        level=col("level").astype(np.int64),
        direct_recruits=col("direct_recruits").astype(np.int64),
        downline=col("downline").astype(np.int64),
        depth_below=col("depth_below").astype(np.int64),
        sums={name: col(f"sum_{name}") for name in values},
    )
    return check, metrics


class _Run:
    """One computation: names its working tables after the prefix and drops them at the end."""

    def __init__(self, backend: Backend, source: str, values: list[str], prefix: str) -> None:
        self.b = backend
        self.source = source
        self.values = values
        self.p = prefix
        self.out = f"{prefix}_result"
        self.temps: list[str] = []
        self.statements = 0
        self.rounds = 0
        self.unions = 0
        self.kinds: dict[str, str] = {}

    # -- plumbing ------------------------------------------------------------------------------
    def sql(self, sql: str, step: str) -> None:
        self.statements += 1
        self.b.execute(sql, step=f"forest: {step}")

    def create(self, name: str, select: str, step: str) -> str:
        if name != self.out and name not in self.temps:
            self.temps.append(name)
        self.sql(f"CREATE OR REPLACE TEMP TABLE {name} AS {select}", step)
        return name

    def drop(self, name: str) -> None:
        self.sql(f"DROP TABLE IF EXISTS {name}", f"drop {name}")
        if name in self.temps:
            self.temps.remove(name)

    def scalars(self, select: str, step: str) -> dict[str, Any]:
        self.statements += 1
        rows = self.b.query(select, step=f"forest: {step}").to_pylist()
        return dict(rows[0]) if rows else {}

    def sums_select(self, alias: str) -> str:
        return "".join(f", {alias}.sum_{v}" for v in self.values)

    # -- the whole computation -------------------------------------------------------------------
    def run(self, mode: str, collect_below: int, max_levels: int) -> ForestRun:
        try:
            n = self.prepare()
            if mode == "driver":
                return self.driver(n, "asked for the driver kernel")
            if mode == "auto" and n <= collect_below:
                return self.driver(
                    n, f"{n:,} members <= collect_below {collect_below:,}: the kernel is faster"
                )
            levels, cycles = self.levels(n)
            if levels > max_levels:
                return self.driver(
                    n,
                    f"forest is {levels:,} levels deep > max_levels {max_levels:,}: "
                    "level-by-level SQL would take one step per level",
                    levels,
                )
            why = (
                "asked for the engine"
                if mode == "engine"
                else f"{n:,} members > collect_below {collect_below:,}"
            )
            self.aggregate(levels)
            return ForestRun(
                self.out,
                "engine",
                f"{why}; {levels:,} levels <= max_levels {max_levels:,}",
                n,
                levels=levels,
                cycles=cycles,
                rounds=self.rounds,
                statements=self.statements,
            )
        finally:
            for name in list(self.temps):
                with contextlib.suppress(EngineError):  # the error that led here is the one to report
                    self.drop(name)

    def prepare(self) -> int:
        """Normalise the input into ``<prefix>_nodes`` and check that codes are dense."""
        schema = self.b.query(f"SELECT * FROM {self.source} LIMIT 0", step="forest: source columns").schema
        missing = [c for c in ("code", "parent", "join_order", *self.values) if c not in schema.names]
        if missing:
            raise ValueError(f"{self.source} lacks the column(s) {', '.join(missing)}")
        for v in self.values:
            kind = schema.field(v).type
            exact = pa.types.is_integer(kind) or pa.types.is_boolean(kind)
            self.kinds[v] = "BIGINT" if exact else "DOUBLE"
        sums = "".join(
            f", CAST(coalesce(CAST({v} AS {self.kinds[v]}), 0) AS {self.kinds[v]}) AS sum_{v}"
            for v in self.values
        )
        self.create(
            f"{self.p}_nodes",
            "SELECT CAST(code AS BIGINT) AS code, "
            "CAST(CASE WHEN parent IS NULL OR parent < 0 THEN -1 ELSE parent END AS BIGINT) AS parent, "
            f"CAST(coalesce(join_order, {_LAST}) AS BIGINT) AS join_order{sums} FROM {self.source}",
            "nodes",
        )
        stats = self.scalars(
            "SELECT count(*) AS n, count(DISTINCT code) AS codes, min(code) AS lo, max(code) AS hi, "
            f"max(parent) AS top FROM {self.p}_nodes",
            "check codes",
        )
        n = int(stats["n"] or 0)
        if n and (stats["codes"] != n or stats["lo"] != 0 or stats["hi"] != n - 1):
            raise ValueError(f"{self.source}: codes must be dense 0..n-1 and distinct")
        if n and int(stats["top"]) >= n:
            raise ValueError(f"{self.source}: a parent names a code outside 0..{n - 1}")
        return n

    # -- the driver path --------------------------------------------------------------------------
    def driver(self, n: int, reason: str, levels: int = 0) -> ForestRun:
        """Collect the integer arrays, run the kernel, and write its figures as the result table."""
        sums = "".join(f", sum_{v}" for v in self.values)
        table = self.b.query(
            f"SELECT code, parent, join_order{sums} FROM {self.p}_nodes ORDER BY code", step="forest: collect"
        )
        self.statements += 1
        parent = table.column("parent").to_numpy().astype(np.int64)
        join = table.column("join_order").to_numpy().astype(np.int64)
        arrays = {v: table.column(f"sum_{v}").to_numpy() for v in self.values}
        check, metrics = analyse_forest(parent, join_order=join, values=arrays)
        result = _result_arrow(check, metrics, self.values)
        staged = self.b.unique_name(f"{self.p}_kernel")
        self.b.register_arrow(staged, result)
        try:
            self.sql(
                f"CREATE OR REPLACE TEMP TABLE {self.out} AS SELECT * FROM {staged}", "write kernel result"
            )
        finally:
            self.b.unregister(staged)
        return ForestRun(
            self.out,
            "driver",
            reason,
            n,
            levels=levels or (int(metrics.level.max()) if n else 0),
            cycles=check.n_cycles,
            rounds=self.rounds,
            statements=self.statements,
            kernel=(check, metrics),
        )

    # -- root and level -----------------------------------------------------------------------
    def jump(self, state: str, members: int) -> str:
        """Pointer jumping over ``state`` (code, anc, dist, fin) until nobody finishes any more.

        ``fin`` means ``anc`` is a root (``dist`` steps up); an unfinished member takes its
        ancestor's ancestor. Returns the last state table; unfinished rows left are on or below
        a cycle.
        """
        bound = math.ceil(math.log2(members)) + 1 if members > 1 else 1
        left = int(self.scalars(f"SELECT count(*) AS n FROM {state} WHERE NOT fin", "unfinished")["n"])
        for _ in range(bound + 1):
            if not left:
                break
            self.rounds += 1
            nxt = self.create(
                f"{self.p}_jump{self.rounds}",
                f"SELECT code, anc, dist, fin FROM {state} WHERE fin UNION ALL "
                f"SELECT s.code, a.anc, s.dist + a.dist AS dist, a.fin FROM {state} s "
                f"JOIN {state} a ON a.code = s.anc WHERE NOT s.fin",
                f"jump round {self.rounds}",
            )
            self.drop(state)
            state = nxt
            now = int(self.scalars(f"SELECT count(*) AS n FROM {state} WHERE NOT fin", "unfinished")["n"])
            if now == left:
                break  # nobody finished: only cycle-bound members are left (depths are contiguous)
            left = now
        return state

    def levels(self, n: int) -> tuple[int, int]:
        """Root, level and the cycle cuts of every member into ``<prefix>_members``; the depth."""
        nodes = f"{self.p}_nodes"
        state = self.create(
            f"{self.p}_jump0",
            "SELECT code, CASE WHEN parent < 0 THEN code ELSE parent END AS anc, "
            "CAST(CASE WHEN parent < 0 THEN 0 ELSE 1 END AS BIGINT) AS dist, parent < 0 AS fin "
            f"FROM {nodes}",
            "jump start",
        )
        state = self.jump(state, n)
        cycles = self.cycles(state)
        if cycles:
            redo = self.create(
                f"{self.p}_rejump",
                "SELECT c.code, CASE WHEN c.cut THEN c.code ELSE s.parent END AS anc, "
                "CAST(CASE WHEN c.cut THEN 0 ELSE 1 END AS BIGINT) AS dist, c.cut AS fin "
                f"FROM {self.p}_cycles c JOIN {nodes} s ON s.code = c.code",
                "cycle members restart",
            )
            redone = self.jump(
                redo, int(self.scalars(f"SELECT count(*) AS n FROM {redo}", "cycle members")["n"])
            )
            if self.scalars(f"SELECT count(*) AS n FROM {redone} WHERE NOT fin", "check cuts")["n"]:
                raise RuntimeError("forest: members still unfinished after the cycles were cut")
            placed = f"SELECT code, anc, dist FROM {state} WHERE fin UNION ALL "
            placed += f"SELECT code, anc, dist FROM {redone}"
            cycle_cols = (
                "coalesce(c.cut, FALSE) AS cut, coalesce(c.cycle_id, -1) AS cycle_id, "
                "coalesce(c.into_cycle, -1) AS into_cycle"
            )
            cycle_join = f" LEFT JOIN {self.p}_cycles c ON c.code = m.code"
        else:
            placed = f"SELECT code, anc, dist FROM {state}"
            cycle_cols = "FALSE AS cut, CAST(-1 AS BIGINT) AS cycle_id, CAST(-1 AS BIGINT) AS into_cycle"
            cycle_join = ""
        sponsor = "CASE WHEN c.cut THEN -1 ELSE m.parent END" if cycles else "m.parent"
        order = " ORDER BY level" if self.b.dialect.name == "duckdb" else ""  # zone maps skip other levels
        self.create(
            f"{self.p}_members",
            f"SELECT m.code, CAST({sponsor} AS BIGINT) AS sponsor, j.anc AS root, "
            f"j.dist + 1 AS level, m.parent = m.code AS self_sponsored, {cycle_cols}"
            f"{self.sums_select('m')} FROM {nodes} m JOIN ({placed}) j ON j.code = m.code{cycle_join}{order}",
            "members with levels",
        )
        depth = self.scalars(f"SELECT max(level) AS depth FROM {self.p}_members", "depth")["depth"]
        return int(depth or 0), cycles

    def cycles(self, state: str) -> int:
        """Collect the cycle-bound members, cut their cycles with the kernel, register the cuts."""
        table = self.b.query(
            f"SELECT n.code, n.parent, n.join_order FROM {self.p}_nodes n JOIN {state} s ON s.code = n.code "
            "WHERE NOT s.fin ORDER BY n.code",
            step="forest: collect cycle members",
        )
        self.statements += 1
        if not table.num_rows:
            return 0
        basin = table.column("code").to_numpy().astype(np.int64)
        parent = table.column("parent").to_numpy().astype(np.int64)
        local = np.searchsorted(basin, parent)  # closed subgraph: every sponsor is in the basin
        if np.any(local >= basin.size) or np.any(basin[np.minimum(local, basin.size - 1)] != parent):
            raise RuntimeError("forest: the cycle-bound members are not closed under their sponsors")
        check = validate_sponsors(local, join_order=table.column("join_order").to_numpy().astype(np.int64))
        cuts = pa.table(
            {
                "code": pa.array(basin),
                "cut": pa.array(np.asarray(check.cut, dtype=np.bool_)),
                "cycle_id": pa.array(np.where(check.cycle_id >= 0, basin[np.maximum(check.cycle_id, 0)], -1)),
                "into_cycle": pa.array(
                    np.where(check.into_cycle >= 0, basin[np.maximum(check.into_cycle, 0)], -1)
                ),
            }
        )
        staged = self.b.unique_name(f"{self.p}_cuts")
        self.b.register_arrow(staged, cuts)
        try:
            self.create(f"{self.p}_cycles", f"SELECT * FROM {staged}", "cycle cuts")
        finally:
            self.b.unregister(staged)
        return check.n_cycles

    # -- downline, depth below, sums ------------------------------------------------------------
    def aggregate(self, depth: int) -> None:
        """From the deepest level up: each level's figures from its recruits' (one step each)."""
        members = f"{self.p}_members"
        keep = "m.code, m.sponsor, m.root, m.level, m.self_sponsored, m.cut, m.cycle_id, m.into_cycle"
        done: list[str] = []
        below = ""
        for level in range(depth, 0, -1):
            name = f"{self.p}_level{level}"
            if below:
                child_sums = "".join(
                    f", CAST(sum(sum_{v}) AS {self.kinds[v]}) AS sum_{v}" for v in self.values
                )
                own_sums = "".join(
                    f", CAST(m.sum_{v} + coalesce(c.sum_{v}, 0) AS {self.kinds[v]}) AS sum_{v}"
                    for v in self.values
                )
                select = (
                    f"SELECT {keep}, CAST(coalesce(c.recruits, 0) AS BIGINT) AS direct_recruits, "
                    "CAST(1 + coalesce(c.size, 0) AS BIGINT) AS size, "
                    f"CAST(coalesce(c.height, 0) AS BIGINT) AS depth_below{own_sums} FROM {members} m "
                    "LEFT JOIN (SELECT sponsor, count(*) AS recruits, sum(size) AS size, "
                    f"max(depth_below) + 1 AS height{child_sums} FROM {below} GROUP BY sponsor) c "
                    f"ON c.sponsor = m.code WHERE m.level = {level}"
                )
            else:
                select = (
                    f"SELECT {keep}, CAST(0 AS BIGINT) AS direct_recruits, CAST(1 AS BIGINT) AS size, "
                    f"CAST(0 AS BIGINT) AS depth_below{self.sums_select('m')} FROM {members} m "
                    f"WHERE m.level = {level}"
                )
            below = self.create(name, select, f"level {level}")
            done.append(name)
        columns = (
            "code, sponsor, root, level, direct_recruits, size - 1 AS downline, depth_below, "
            "self_sponsored, cut, cycle_id, into_cycle" + "".join(f", sum_{v}" for v in self.values)
        )
        if not done:  # no members: an empty table of the right shape
            self.create(
                self.out,
                "SELECT m.code, m.sponsor, m.root, m.level, CAST(0 AS BIGINT) AS direct_recruits, "
                "CAST(0 AS BIGINT) AS downline, CAST(0 AS BIGINT) AS depth_below, m.self_sponsored, "
                f"m.cut, m.cycle_id, m.into_cycle{self.sums_select('m')} FROM {members} m",
                "result",
            )
            return
        while len(done) > _UNION_CHUNK:
            merged = []
            for start in range(0, len(done), _UNION_CHUNK):
                part = done[start : start + _UNION_CHUNK]
                self.unions += 1
                name = f"{self.p}_union{self.unions}"
                self.create(name, " UNION ALL ".join(f"SELECT * FROM {t}" for t in part), "union levels")
                for t in part:
                    self.drop(t)
                merged.append(name)
            done = merged
        union = " UNION ALL ".join(f"SELECT * FROM {t}" for t in done)
        self.create(self.out, f"SELECT {columns} FROM ({union}) u", "result")


def _result_arrow(check: SponsorCheck, metrics: ForestMetrics, values: Sequence[str]) -> pa.Table:
    """The kernel's figures in the result table's columns and types."""
    n = int(np.asarray(check.parent).shape[0])
    codes = np.arange(n, dtype=np.int64)
    columns: dict[str, Any] = {
        "code": codes,
        "sponsor": np.asarray(check.parent, dtype=np.int64),
        "root": np.asarray(metrics.root, dtype=np.int64),
        "level": np.asarray(metrics.level, dtype=np.int64),
        "direct_recruits": np.asarray(metrics.direct_recruits, dtype=np.int64),
        "downline": np.asarray(metrics.downline, dtype=np.int64),
        "depth_below": np.asarray(metrics.depth_below, dtype=np.int64),
        "self_sponsored": np.asarray(check.self_sponsored, dtype=np.bool_),
        "cut": np.asarray(check.cut, dtype=np.bool_),
        "cycle_id": np.asarray(check.cycle_id, dtype=np.int64),
        "into_cycle": np.asarray(check.into_cycle, dtype=np.int64),
    }
    for v in values:
        columns[f"sum_{v}"] = np.asarray(metrics.sums[v])
    return pa.table({name: pa.array(array) for name, array in columns.items()})


@dataclass
class EngineForest:
    """``analyse_forest`` with the same arguments, but computed where :func:`choose` says.

    The pyramid analysis hands it the arrays it already holds: on the SQL path they go to the
    engine as one Arrow table and the figures come back as arrays. ``report`` says which path
    ran and why, for the run's summary.
    """

    backend: Backend
    mode: ForestMode = "auto"
    max_levels: int = MAX_LEVELS
    report: str = ""

    def __call__(
        self,
        parent: NDArray[Any],
        join_order: NDArray[Any] | None = None,
        orphan: NDArray[np.bool_] | None = None,
        values: dict[str, NDArray[Any]] | None = None,
    ) -> tuple[SponsorCheck, ForestMetrics]:
        p = np.asarray(parent, dtype=np.int64)
        n = p.shape[0]
        sql, self.report = choose(self.mode, n)
        if not sql:
            return analyse_forest(p, join_order=join_order, orphan=orphan, values=values)
        if orphan is not None and np.any(np.asarray(orphan, dtype=np.bool_) & (p >= 0)):
            raise ValueError("an orphan (unknown sponsor) must have parent -1")
        named = dict(values or {})
        join = np.arange(n, dtype=np.int64) if join_order is None else np.asarray(join_order, dtype=np.int64)
        staged = self.backend.unique_name("forest_input")
        columns = {"code": np.arange(n, dtype=np.int64), "parent": p, "join_order": join}
        columns.update({f"v_{name}": np.asarray(array) for name, array in named.items()})
        self.backend.register_arrow(staged, pa.table(columns))
        prefix = self.backend.unique_name("forest").strip("_")
        try:
            run = forest_in_engine(
                self.backend,
                staged,
                values=[f"v_{name}" for name in named],
                prefix=prefix,
                mode="engine",
                max_levels=self.max_levels,
            )
            check, metrics = read_forest(
                self.backend,
                run,
                [f"v_{name}" for name in named],
                None if orphan is None else np.asarray(orphan, dtype=np.bool_),
            )
        finally:
            self.backend.unregister(staged)
        self.backend.execute(f"DROP TABLE IF EXISTS {run.table}", step="forest: drop result")
        self.report = run.describe()
        sums = {name: metrics.sums[f"v_{name}"] for name in named}
        return check, ForestMetrics(
            metrics.root, metrics.level, metrics.direct_recruits, metrics.downline, metrics.depth_below, sums
        )


def choose(mode: ForestMode, members: int) -> tuple[bool, str]:
    """Whether an analysis holding the arrays already should compute the forest in the engine:
    only when asked (``engine``).

    The arrays are on the driver by then and the SQL forest's figures come back there, so the
    engine path only adds work: at 100M members on Spark (local, 2 cores) the kernel path took
    439 s, while the SQL forest ran for 46 minutes and the driver then ran out of memory reading
    its figures back (docs/scale.md). ``auto`` is therefore the kernel on every engine.
    """
    if mode not in FOREST_MODES:
        raise ValueError(f"unknown forest mode {mode!r}; use one of {', '.join(FOREST_MODES)}")
    if mode == "engine":
        return True, "engine: asked for the engine"
    if mode == "driver":
        return False, "driver: asked for the driver kernel"
    return False, f"driver: the {members:,} members' arrays are on the driver already: the kernel is faster"
