"""Benchmark: synthetic world generation, members per second and peak memory.

Each size runs in its own process (so peak RSS is that run's alone), with media off. Beside it,
the I/O floor: DuckDB reading the generated Parquet and writing it again (``COPY``), the least
any generator writing the same bytes could cost.

    .venv/bin/python benchmarks/generate.py                 # 1M and 10M members
    .venv/bin/python benchmarks/generate.py --sizes 100000 --keep /tmp/world
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

_CHILD = """
import json, resource, sys, time
from pathlib import Path
from sentinella.synth import generate_world
out, members, seed, profile = Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
t = time.perf_counter()
s = generate_world(out, members=members, seed=seed, profile=profile, media=False)
print(json.dumps({"seconds": time.perf_counter() - t, "rows": s.rows, "chunks": s.chunks,
                  "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def run_one(members: int, out: Path, seed: int, profile: str) -> dict[str, object]:
    """Generate one world in a fresh interpreter and return its figures."""
    proc = subprocess.run(
        [sys.executable, "-c", _CHILD, str(out), str(members), str(seed), profile],
        check=True,
        capture_output=True,
        text=True,
    )
    result: dict[str, object] = json.loads(proc.stdout.strip().splitlines()[-1])
    result["members"] = members
    result["members_per_s"] = members / float(result["seconds"])  # type: ignore[arg-type]
    result["disk_mb"] = sum(p.stat().st_size for p in out.rglob("*") if p.is_file()) / 2**20
    return result


def io_floor(out: Path, scratch: Path) -> float:
    """Seconds DuckDB needs to read every generated table and write it again as Parquet."""
    import duckdb

    con = duckdb.connect()
    t = time.perf_counter()
    for name in ("members", "merchants", "listings", "orders", "reviews", "payments", "ties", "posts"):
        src = out / f"{name}.parquet" if (out / f"{name}.parquet").exists() else out / name / "*.parquet"
        con.execute(
            f"COPY (SELECT * FROM read_parquet('{src}')) TO '{scratch / name}.parquet'"
            " (FORMAT parquet, COMPRESSION zstd)"
        )
    return time.perf_counter() - t


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000_000, 10_000_000])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--world", default="default", help="the kind of world (synth.WORLD_PROFILES)")
    parser.add_argument("--keep", type=Path, help="write worlds here (default: a temp dir, deleted)")
    parser.add_argument("--no-peer", action="store_true", help="skip the DuckDB I/O floor")
    args = parser.parse_args(argv)
    base = args.keep or Path(tempfile.mkdtemp(prefix="sentinella-gen-"))
    rows = []
    try:
        for members in args.sizes:
            out = base / f"world-{members}"
            r = run_one(members, out, args.seed, args.world)
            if not args.no_peer:
                scratch = base / f"floor-{members}"
                scratch.mkdir(parents=True, exist_ok=True)
                r["io_floor_s"] = io_floor(out, scratch)
                shutil.rmtree(scratch)
            rows.append(r)
            total = sum(r["rows"].values())  # type: ignore[union-attr]
            floor = f", DuckDB read+rewrite {r['io_floor_s']:.1f} s" if "io_floor_s" in r else ""
            print(
                f"{members:>12,} members: {r['seconds']:.1f} s, {r['members_per_s']:,.0f} members/s,"
                f" {total:,} rows, peak {r['peak_mb']:,.0f} MB, {r['disk_mb']:,.0f} MB on disk{floor}",
                flush=True,
            )
            if args.keep is None:
                shutil.rmtree(out)
    finally:
        if args.keep is None:
            shutil.rmtree(base, ignore_errors=True)
    print(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
