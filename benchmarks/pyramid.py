"""Pyramid forensics end to end from the store, beside DuckDB WITH RECURSIVE and networkx.

    python benchmarks/pyramid.py                    # 1M and 10M members
    python benchmarks/pyramid.py --sizes 100000000 --shapes random --stores /tmp/stores  # 100M

For each forest shape (random recursive trees, one chain of 10^6 levels, very wide stars) the
store gets a members table with string IDs ('M000123', sponsor_id likewise); then:
  sentinella:  run_pyramid (read and code the IDs, validate, every per-member and per-network
               metric, legal tests, write the result tables), in a fresh process whose peak
               resident memory is reported
  kernel:      the forest kernel alone on the integer arrays
  peers:       DuckDB WITH RECURSIVE computing each member's level, and networkx computing
               levels and downline sizes, on the sizes they can finish (--peer-max).
Targets (docs/targets.md): 10M members <= 6 s and 100M <= 90 s end to end at <= 12 GB peak;
the kernel alone at 100M <= 45 s.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from sentinella.idcodes import code_ids
from sentinella.pyramid import run_pyramid
from sentinella.pyramid.kernels import analyse_forest
from sentinella.store import Store

SHAPES = {
    # parent of member i (i >= 1); member 0 is the root. hash() keeps it deterministic.
    "random": "CAST(hash(i) % i AS BIGINT)",
    "chain": "i - 1",
    "star": "CAST(hash(i) % least(i, 10) AS BIGINT)",
}


def build_store(path: Path, size: int, shape: str) -> Store:
    store = Store.open(path)
    parent = SHAPES[shape]
    if shape == "chain":
        size = min(size, 1_000_000)  # the 10^6-level chain; the rest of the forest is random
    store.connection.execute(
        "INSERT INTO members (member_id, sponsor_id, joined_at) "
        "SELECT 'M' || lpad(CAST(i AS VARCHAR), 9, '0'), "
        f"CASE WHEN i = 0 THEN NULL ELSE 'M' || lpad(CAST({parent} AS VARCHAR), 9, '0') END, "
        "TIMESTAMPTZ '2020-01-01 00:00:00+00' + to_seconds(i) "
        f"FROM range({size}) t(i)"
    )
    return store


_CHILD = """
import json, resource, sys, time
sys.path.insert(0, sys.argv[2])
from pyramid import run_kernel, run_sentinella
from sentinella.store import Store
store = Store.open(sys.argv[1])
seconds, timings = run_sentinella(store)
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
kernel = run_kernel(store)
print(json.dumps({"seconds": seconds, "timings": timings, "peak_gb": peak, "kernel": kernel}))
"""


def measure_in_child(path: Path) -> dict[str, Any]:
    """Run sentinella (then the kernel alone) in a fresh process, so its peak memory is its own."""
    proc = subprocess.run(
        [sys.executable, "-c", _CHILD, str(path), str(Path(__file__).parent)],
        check=True,
        capture_output=True,
        text=True,
    )
    result: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


def run_sentinella(store: Store) -> tuple[float, dict[str, float]]:
    started = time.perf_counter()
    summary = run_pyramid(store.backend, profiles=["cn"])
    return time.perf_counter() - started, summary.timings


def run_kernel(store: Store) -> float:
    """The forest kernel alone, on sponsors coded as sentinella codes them (not timed)."""
    table = store.connection.sql("SELECT member_id, sponsor_id FROM members ORDER BY rowid").to_arrow_table()
    parent = code_ids(table.column("member_id"), table.column("sponsor_id"))
    del table
    started = time.perf_counter()
    analyse_forest(parent)
    return time.perf_counter() - started


def run_recursive_sql(store: Store) -> float:
    started = time.perf_counter()
    store.connection.execute(
        "WITH RECURSIVE walk(member_id, level) AS ("
        " SELECT member_id, 1 FROM members WHERE sponsor_id IS NULL"
        " UNION ALL SELECT m.member_id, w.level + 1 FROM members m JOIN walk w ON m.sponsor_id = w.member_id)"
        " SELECT max(level), count(*) FROM walk"
    ).fetchall()
    return time.perf_counter() - started


def run_networkx(store: Store) -> float:
    import networkx as nx

    edges = store.connection.execute(
        "SELECT sponsor_id, member_id FROM members WHERE sponsor_id IS NOT NULL"
    ).fetchall()
    started = time.perf_counter()
    graph = nx.DiGraph()
    graph.add_edges_from(edges)
    roots = [node for node, degree in graph.in_degree() if degree == 0]
    level: dict[str, int] = {}
    for root in roots:
        for node, depth in nx.single_source_shortest_path_length(graph, root).items():
            level[node] = depth + 1
    downline = dict.fromkeys(graph.nodes, 0)
    for node in reversed(list(nx.topological_sort(graph))):
        for child in graph.successors(node):
            downline[node] += downline[child] + 1
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", default="1000000,10000000")
    parser.add_argument("--shapes", default="random,chain,star")
    parser.add_argument("--peer-max", type=int, default=1_000_000, help="largest size the peers run on")
    parser.add_argument("--stores", type=Path, help="keep the built stores here and reuse them")
    args = parser.parse_args()
    print(
        f"{'shape':<7} {'members':>12} {'sentinella':>11} {'peak':>8} {'kernel':>8} {'WITH RECURSIVE':>15} "
        f"{'networkx':>9}  ratios vs sentinella; sentinella's steps"
    )
    for size in (int(s) for s in args.sizes.split(",")):
        for shape in args.shapes.split(","):
            if shape == "chain" and size > 1_000_000:
                continue
            with tempfile.TemporaryDirectory() as scratch:
                folder = args.stores or Path(scratch)
                folder.mkdir(parents=True, exist_ok=True)
                path = folder / f"pyramid-{shape}-{size}.duckdb"
                if not path.exists():
                    build_store(path, size, shape).close()
                ours = measure_in_child(path)
                store = Store.open(path)
                n = store.row_count("members")
                seconds = float(ours["seconds"])
                peers = ""
                recursive = networkx_time = float("nan")
                if n <= args.peer_max:
                    recursive = run_recursive_sql(store)
                    networkx_time = run_networkx(store)
                    peers = (
                        f"  peer time / ours: recursive SQL {recursive / seconds:5.1f}x, "
                        f"networkx {networkx_time / seconds:5.1f}x"
                    )
                steps = ", ".join(f"{k} {v:.1f}" for k, v in ours["timings"].items())
                print(
                    f"{shape:<7} {n:>12,} {seconds:>9.2f} s {ours['peak_gb']:>5.1f} GB "
                    f"{ours['kernel']:>6.2f} s {recursive:>13.2f} s {networkx_time:>7.2f} s"
                    f"{peers}  [{steps}]",
                    flush=True,
                )
                store.close()


if __name__ == "__main__":
    main()
