"""Pass 1 of ingest (the typed projection and every contract check), overall and per column.

    python benchmarks/ingest_checks.py --rows 1000000 --data DIR [--columns amount,placed_at]

Stages the orders CSV of benchmarks/ingest.py once, then times ``check_staged`` (best of 3, CPU
seconds of all threads beside wall time: CPU is the steadier figure on a shared machine) with
every column checked, with none (the peer: the same statement reading the staged rows with no
check), and with one column at a time, so the cost of each column's parse and rules shows as
its excess over the peer.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ingest import write_data
from sentinella.contract import TABLES
from sentinella.store import Store, _load
from sentinella.store._checks import CheckOptions
from sentinella.store._readers import STAGERS, ReadContext
from sentinella.store._sources import find_case_files


def best_of_3(run: Callable[[], Any]) -> tuple[float, float, Any]:
    best: tuple[float, float] | None = None
    result = None
    for _ in range(3):
        wall, cpu = time.perf_counter(), time.process_time()
        result = run()
        figures = (time.process_time() - cpu, time.perf_counter() - wall)
        best = figures if best is None else min(best, figures)
    assert best is not None
    return best[0], best[1], result


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--data", type=Path, default=Path(__file__).parent / "_data" / "ingest")
    parser.add_argument("--columns", default="", help="comma-separated columns to time alone (default all)")
    args = parser.parse_args()
    print(f"pass 1 of ingest: {args.rows:,} orders from CSV, load average {os.getloadavg()[0]:.2f}")
    _, csv_case = write_data(args.data, args.rows)
    spec = TABLES["orders"]
    chosen = [c for c in args.columns.split(",") if c]
    with tempfile.TemporaryDirectory() as scratch:
        store = Store.open(Path(scratch) / "pass1.duckdb")
        connection = store.connection
        source = find_case_files(csv_case).by_table["orders"][0]
        staged = STAGERS[source.fmt](connection, source, spec, "orders_0", ReadContext(Path(scratch), None))
        all_checks = _load._column_checks

        def check(only: str | None) -> int:
            def some_checks(*a: Any, **k: Any) -> list[Any]:
                checks = all_checks(*a, **k)
                return checks if only is None else [c for c in checks if c.column.name == only]

            _load._column_checks = some_checks  # type: ignore[assignment]
            try:
                staged.cleanup.clear()
                return _load.check_staged(connection, spec, staged, CheckOptions()).bad_rows
            finally:
                _load._column_checks = all_checks

        peer_cpu, peer_wall, _ = best_of_3(lambda: check("(none)"))
        cpu, wall, bad = best_of_3(lambda: check(None))
        print(f"  {'checked':<22} {'CPU s':>7} {'wall s':>7} {'CPU over peer':>14} {'bad rows':>9}")
        print(f"  {'peer: no column':<22} {peer_cpu:>7.3f} {peer_wall:>7.3f} {'':>14} {0:>9}")
        print(f"  {'every column':<22} {cpu:>7.3f} {wall:>7.3f} {cpu - peer_cpu:>14.3f} {bad:>9}")
        for column in spec.columns:
            if column.name in staged.columns and (not chosen or column.name in chosen):
                cpu, wall, bad = best_of_3(lambda name=column.name: check(name))
                label = f"{column.name} ({column.kind.name.lower()})"
                print(f"  {label:<22} {cpu:>7.3f} {wall:>7.3f} {cpu - peer_cpu:>14.3f} {bad:>9}")
        store.close()
    print(f"  load average (1, 5, 15 min) {os.getloadavg()}; the machine may be shared")


if __name__ == "__main__":
    main()
