"""The terminal's pyramid lookups on a large store, beside DuckDB WITH RECURSIVE for the upline.

    python benchmarks/lookups.py                        # 1M members and a 400-level chain
    python benchmarks/lookups.py --members 100000       # a quick run

The store gets a random recruitment tree of --members members (string IDs, as in
benchmarks/pyramid.py) and a chain of --chain levels hung under member 0, then run_pyramid. Then:
  sentinella:  list_networks (largest 20 with their tests), member_view of the chain's last
               member (upline of --chain sponsors, 8 links per query) and of the chain's first
               (downline by level, one query per level, 30 levels)
  peer:        DuckDB WITH RECURSIVE walking the same upline (the shape the API's upline route
               uses), on the same connection.
Each lookup is timed as the best of --repeat runs.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from sentinella.pyramid import list_networks, member_view, run_pyramid
from sentinella.store import Store


def build(path: Path, members: int, chain: int) -> Store:
    store = Store.open(path)
    con = store.connection
    con.execute(
        "INSERT INTO members (member_id, joined_at, sponsor_id) "
        "SELECT 'M' || lpad(CAST(i AS VARCHAR), 9, '0'), TIMESTAMP '2024-01-01' + INTERVAL (i) SECOND, "
        "CASE WHEN i = 0 THEN NULL "
        "ELSE 'M' || lpad(CAST(CAST(hash(i) % i AS BIGINT) AS VARCHAR), 9, '0') END "
        f"FROM range({members}) t(i)"
    )
    con.execute(
        "INSERT INTO members (member_id, joined_at, sponsor_id) "
        "SELECT 'C' || lpad(CAST(i AS VARCHAR), 6, '0'), TIMESTAMP '2025-01-01' + INTERVAL (i) SECOND, "
        "CASE WHEN i = 0 THEN 'M000000000' ELSE 'C' || lpad(CAST(i - 1 AS VARCHAR), 6, '0') END "
        f"FROM range({chain}) t(i)"
    )
    return store


def best(repeat: int, run: Callable[[], object]) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        run()
        times.append(time.perf_counter() - started)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--members", type=int, default=1_000_000)
    parser.add_argument("--chain", type=int, default=400)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        store = build(Path(folder) / "lookups.duckdb", args.members, args.chain)
        started = time.perf_counter()
        run_pyramid(store.backend, profiles=["cn"])
        print(
            f"store: {args.members:,} members + a {args.chain}-level chain; "
            f"run_pyramid {time.perf_counter() - started:.2f} s"
        )
        last, first = f"C{args.chain - 1:06d}", "C000000"
        view = member_view(store.backend, last)
        peer_sql = (
            "WITH RECURSIVE up(member_id, sponsor_id, depth) AS ("
            "SELECT member_id, sponsor_id, 0 FROM members WHERE member_id = ? UNION ALL "
            "SELECT m.member_id, m.sponsor_id, up.depth + 1 FROM up "
            "JOIN members m ON m.member_id = up.sponsor_id "
            "WHERE up.depth < 100000) SELECT member_id, depth FROM up ORDER BY depth"
        )
        peer_path = store.connection.execute(peer_sql, [last]).fetchall()
        assert [s.member_id for s in view.upline] == [str(r[0]) for r in peer_path[1:]], "upline differs"
        figures = {
            "list_networks (20)": best(args.repeat, lambda: list_networks(store.backend, limit=20)),
            f"member_view, upline of {len(view.upline)}": best(
                args.repeat, lambda: member_view(store.backend, last)
            ),
            "member_view, downline 30 levels": best(args.repeat, lambda: member_view(store.backend, first)),
            f"peer: WITH RECURSIVE upline of {len(peer_path) - 1}": best(
                args.repeat, lambda: store.connection.execute(peer_sql, [last]).fetchall()
            ),
        }
        store.close()
    for name, seconds in figures.items():
        print(f"  {name:<40} {seconds * 1000:9.1f} ms")
    ours = figures[f"member_view, upline of {len(view.upline)}"]
    peer = figures[f"peer: WITH RECURSIVE upline of {len(peer_path) - 1}"]
    print(
        f"  upline: sentinella / WITH RECURSIVE = {ours / peer:.2f}x "
        "(member_view also reads the member's findings and downline)"
    )


if __name__ == "__main__":
    main()
