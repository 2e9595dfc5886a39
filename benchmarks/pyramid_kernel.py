"""Benchmark of the pyramid forest kernels alone (no store, no string IDs).

Each case runs in a fresh child process so that its peak memory is its own; wall and CPU seconds
are both printed because the machine may be shared. Shapes:

- ``random``: random recursive tree (each member's sponsor uniform among earlier members), codes
  shuffled as a dictionary encoding would leave them;
- ``ordered``: the same tree coded in join order (every sponsor has a smaller code);
- ``chain``: chains of 10^6 levels; ``star``: one root, everyone else a direct recruit;
- ``persons``: account merging over four identifier kinds ("levels" column = persons found).

networkx computes depth (BFS from each root), direct recruits and downline size
(``nx.descendants`` per member) on the peer size, and must agree with us.

    .venv/bin/python benchmarks/pyramid_kernel.py             # 1M and 10M
    .venv/bin/python benchmarks/pyramid_kernel.py --big       # also 100M (needs ~7 GB)
    .venv/bin/python benchmarks/pyramid_kernel.py --sizes 1e6 --shapes random --peer-size 2e5
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from typing import Any

import numpy as np
from numpy.typing import NDArray

from sentinella.pyramid.kernels import Engine, analyse_forest, merge_accounts

CHAIN = 1_000_000


def make_forest(shape: str, n: int, seed: int = 0) -> NDArray[np.int32]:
    """Generate a sponsor array of one shape, int32-coded as the store would hand it over.

    Built in chunks so that generating 100M members does not itself set the memory high-water.
    """
    rng = np.random.default_rng(seed)
    if shape in ("random", "ordered"):
        ordered = np.empty(n, dtype=np.int32)
        step = 1 << 22
        for lo in range(0, n, step):
            hi = min(n, lo + step)
            ordered[lo:hi] = rng.random(hi - lo) * np.arange(lo, hi)
        ordered[0] = 0
        if shape == "ordered":  # codes in join order: every sponsor has a smaller code
            ordered[0] = -1
            return ordered
        perm = rng.permutation(n).astype(np.int32)
        parent = np.empty(n, dtype=np.int32)
        parent[perm] = np.take(perm, ordered)
        parent[perm[0]] = -1
        return parent
    if shape == "chain":
        parent = np.arange(-1, n - 1, dtype=np.int32)
        parent[::CHAIN] = -1
        return parent
    if shape == "star":
        parent = np.zeros(n, dtype=np.int32)
        parent[0] = -1
        return parent
    raise ValueError(shape)


def rss_mb() -> float:
    """Peak resident memory of this process so far (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def cpu_s() -> float:
    """CPU seconds of this process: on a busy shared machine wall time alone misleads."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def current_rss_mb() -> float:
    """Resident memory right now, to tell the kernel's own footprint from its inputs."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def make_identities(n: int, seed: int = 1) -> dict[str, NDArray[np.int32]]:
    """Four identifier kinds, 20% missing, a few % of accounts reusing someone else's value."""
    rng = np.random.default_rng(seed)
    out = {}
    for kind, share in (("phone", 0.05), ("id_number", 0.02), ("device_id", 0.10), ("bank", 0.03)):
        codes = np.arange(n, dtype=np.int32)
        reuse = rng.random(n) < share
        codes[reuse] = rng.integers(0, n, int(reuse.sum()), dtype=np.int32)
        codes[rng.random(n) < 0.2] = -1
        out[kind] = codes
    return out


def run_persons(n: int, engine: Engine) -> dict[str, Any]:
    """Time person merging over four identifier kinds."""
    merge_accounts(make_identities(1000), engine=engine)  # compile for these dtypes before timing
    identities = make_identities(n)
    base = current_rss_mb()
    c0 = cpu_s()
    t0 = time.perf_counter()
    merged = merge_accounts(identities, engine=engine)
    t1 = time.perf_counter()
    c1 = cpu_s()
    return {
        "shape": "persons",
        "n": n,
        "engine": engine,
        "kernel_s": round(t1 - t0, 3),
        "cpu_s": round(c1 - c0, 3),
        "levels": merged.n_persons,
        "input_rss_mb": round(base),
        "peak_rss_mb": round(rss_mb()),
    }


def run_case(shape: str, n: int, engine: Engine) -> dict[str, Any]:
    """Time validation plus all per-member metrics (with one summed value) on one forest."""
    if shape == "persons":
        return run_persons(n, engine)
    analyse_forest(make_forest("random", 1000), values={"s": np.ones(1000)}, engine=engine)  # JIT
    parent = make_forest(shape, n)
    sales = np.ones(n, dtype=np.float64)
    base = current_rss_mb()
    c0 = cpu_s()
    t0 = time.perf_counter()
    check, metrics = analyse_forest(parent, values={"sales": sales}, engine=engine)
    t1 = time.perf_counter()
    c1 = cpu_s()
    assert not check.cut.any()
    assert int(metrics.legal_headcount[metrics.level == 1].sum()) == n
    return {
        "shape": shape,
        "n": n,
        "engine": engine,
        "kernel_s": round(t1 - t0, 3),
        "cpu_s": round(c1 - c0, 3),
        "levels": int(metrics.level.max()),
        "input_rss_mb": round(base),
        "peak_rss_mb": round(rss_mb()),
    }


def run_peer(n: int) -> dict[str, Any]:
    """networkx on the same random forest: depth by BFS, direct recruits, downline size."""
    import networkx as nx

    parent = make_forest("random", n)
    t0 = time.perf_counter()
    graph = nx.DiGraph()
    graph.add_nodes_from(range(n))
    children = np.flatnonzero(parent >= 0)
    graph.add_edges_from(zip(parent[children].tolist(), children.tolist(), strict=True))
    level = np.zeros(n, dtype=np.int64)
    for root in np.flatnonzero(parent < 0).tolist():
        for node, dist in nx.single_source_shortest_path_length(graph, root).items():
            level[node] = dist + 1
    direct = np.array([graph.out_degree(v) for v in range(n)])
    downline = np.array([len(nx.descendants(graph, v)) for v in range(n)])
    t1 = time.perf_counter()
    analyse_forest(make_forest("random", 1000))  # compile before timing
    ours_t0 = time.perf_counter()
    _, ours = analyse_forest(parent)
    ours_t1 = time.perf_counter()
    agree = (
        np.array_equal(level, ours.level)
        and np.array_equal(direct, ours.direct_recruits)
        and np.array_equal(downline, ours.downline)
    )
    return {
        "shape": "random",
        "n": n,
        "networkx_s": round(t1 - t0, 3),
        "kernel_s": round(ours_t1 - ours_t0, 3),
        "ratio": round((t1 - t0) / (ours_t1 - ours_t0), 1),
        "agree": agree,
    }


def child(args: list[str]) -> dict[str, Any]:
    """Run one case in a fresh interpreter and read its JSON line."""
    cmd = [sys.executable, __file__, *args]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    result: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", nargs="*", type=float, default=[1e6, 1e7])
    parser.add_argument("--shapes", nargs="*", default=["random", "ordered", "chain", "star", "persons"])
    parser.add_argument("--engines", nargs="*", default=["numba", "numpy"])
    parser.add_argument("--big", action="store_true", help="also run 100M members")
    parser.add_argument("--peer-size", type=float, default=1e6, help="0 skips networkx")
    parser.add_argument("--case", nargs=3, help=argparse.SUPPRESS)
    parser.add_argument("--peer", type=float, help=argparse.SUPPRESS)
    ns = parser.parse_args()
    if ns.case:
        print(json.dumps(run_case(ns.case[0], int(float(ns.case[1])), ns.case[2])))
        return
    if ns.peer:
        print(json.dumps(run_peer(int(ns.peer))))
        return
    sizes = [int(s) for s in ns.sizes] + ([100_000_000] if ns.big else [])
    print(
        f"{'shape':8}{'engine':>7}{'members':>13}{'levels':>11}{'kernel s':>10}{'cpu s':>8}"
        f"{'input MB':>10}{'peak MB':>9}"
    )
    for n in sizes:
        for shape in ns.shapes:
            for engine in ns.engines:
                r = child(["--case", shape, str(n), engine])
                print(
                    f"{r['shape']:8}{r['engine']:>7}{r['n']:>13,}{r['levels']:>11,}"
                    f"{r['kernel_s']:>10.2f}{r['cpu_s']:>8.2f}{r['input_rss_mb']:>10,}{r['peak_rss_mb']:>9,}",
                    flush=True,
                )
    if ns.peer_size:
        r = child(["--peer", str(ns.peer_size)])
        print(
            f"\nnetworkx peer, random forest of {r['n']:,}: networkx {r['networkx_s']:.2f} s, "
            f"kernel {r['kernel_s']:.2f} s, ratio {r['ratio']}x, same figures: {r['agree']}"
        )


if __name__ == "__main__":
    main()
