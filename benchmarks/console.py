"""The pyramid explorer's JSON on a network of a million members, beside the whole network's picture.

    python benchmarks/console.py                  # one random network of 1M members
    python benchmarks/console.py --members 200000

A store gets one random recruitment tree (benchmarks/pyramid.py's ``random`` shape), run through
``run_pyramid``; then a real ``TestClient`` over the console asks, as an analyst's browser does:
  network page   /console/pyramid/ROOT.json: the network, its legal tests and money by level
  level          /console/pyramid/ROOT/children.json?level=L for the widest level (50 members)
  recruits       /console/pyramid/ROOT/children.json?member=ROOT
  member page    /console/members/M.json for a member at the deepest level (upline walk)
Peer: the same network as one elements list, every member and sponsor edge (what a picture that
is not collapsed by level would have to load), read with the same Service and serialised with
``json.dumps``. Times are medians of --repeat runs (the peer runs once); sizes are the JSON bytes sent.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from sentinella.api import Service, create_app, create_key
from sentinella.pyramid import run_pyramid

sys.path.insert(0, str(Path(__file__).parent))
from pyramid import build_store


def _timed(repeat: int, call: Any) -> tuple[float, int]:
    times, size = [], 0
    for _ in range(repeat):
        start = time.perf_counter()
        size = call()
        times.append(time.perf_counter() - start)
    return statistics.median(times), size


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--members", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        db = Path(folder) / "console.duckdb"
        store = build_store(db, args.members, "random")
        started = time.perf_counter()
        run_pyramid(store.backend)
        key, _ = create_key(store.connection, role="analyst", actor="bench")
        store.close()
        print(f"{args.members:,} members: store and run_pyramid {time.perf_counter() - started:.1f} s")
        service = Service.open(db, public_rate=0)
        headers = {"Authorization": f"Bearer {key}"}
        with TestClient(create_app(service)) as client:
            root = service.one("SELECT network_id FROM pyramid_networks ORDER BY members DESC LIMIT 1")
            assert root
            network = root["network_id"]
            widest = service.one(
                "SELECT level, count(*) AS n FROM pyramid_members WHERE network_id = ? "
                "GROUP BY level ORDER BY n DESC LIMIT 1",
                [network],
            )
            deepest = service.one(
                "SELECT member_id, level FROM pyramid_members WHERE network_id = ? "
                "ORDER BY level DESC, member_id LIMIT 1",
                [network],
            )
            assert widest and deepest

            def get(url: str, **params: Any) -> int:
                answer = client.get(url, params=params, headers=headers)
                assert answer.status_code == 200, answer.text
                return len(answer.content)

            rows = [
                ("network page", lambda: get(f"/console/pyramid/{network}.json")),
                (
                    f"level {widest['level']} ({widest['n']:,} members)",
                    lambda: get(f"/console/pyramid/{network}/children.json", level=widest["level"]),
                ),
                ("root's recruits", lambda: get(f"/console/pyramid/{network}/children.json", member=network)),
                (
                    f"member page (level {deepest['level']})",
                    lambda: get(f"/console/members/{deepest['member_id']}.json"),
                ),
            ]

            def whole() -> int:
                found = service.rows(
                    "SELECT p.member_id, m.sponsor_id, p.level, p.downline FROM pyramid_members p "
                    "JOIN members m ON m.member_id = p.member_id WHERE p.network_id = ?",
                    [network],
                )
                return len(json.dumps(found, default=str).encode())

            print(f"network {network}: {args.members:,} members; medians of {args.repeat} runs")
            for name, call in rows:
                seconds, size = _timed(args.repeat, call)
                print(f"  {name:32} {1000 * seconds:9.1f} ms  {size:>12,} bytes")
            seconds, size = _timed(1, whole)
            print(f"  {'peer: whole network, uncollapsed':32} {1000 * seconds:9.1f} ms  {size:>12,} bytes")
        service.close()


if __name__ == "__main__":
    main()
