"""Risk calibration on generated worlds: ROC AUC per kind of planted bad actor, look-alikes' FPR.

    python benchmarks/risk_calibration.py                          # 20,000 members, seeds 1 2 3
    python benchmarks/risk_calibration.py --members 50000 --seeds 7

Each world is generated (no media), ingested and run through pyramid, rings and credit; then
risk is scored twice on the same store:
  peer:        every signal weighs 0.5 (an uncalibrated noisy-OR of the same findings)
  sentinella:  the shipped weights.toml
and both are judged against the world's truth/ folder (sentinella.risk.evaluate_risk): ROC AUC of
each kind of bad actor against every honest subject of its kind, the share of each kind at or
above the case threshold, and the share of honest look-alikes there (their false-positive rate).
Counterfeit sellers are planted but no analysis on main looks at photos or prices yet
(provenance/ is under way), so their AUC shows what the score cannot see today.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

from sentinella.credit import run_credit
from sentinella.pyramid import run_pyramid
from sentinella.rings import run_rings
from sentinella.risk import SIGNALS, KindMetric, RiskConfig, evaluate_risk, load_config, run_risk
from sentinella.store import Store, ingest_case
from sentinella.synth import generate_world


def _line(metric: KindMetric, peer: KindMetric) -> str:
    auc = f"{metric.auc:.3f}" if metric.auc is not None else "  -  "
    peer_auc = f"{peer.auc:.3f}" if peer.auc is not None else "  -  "
    return (
        f"  {metric.subject_kind:9} {metric.kind:28} {metric.role:9} {metric.subjects:7,} "
        f"{auc:>7} {peer_auc:>7} {metric.rate:8.1%} {peer.rate:8.1%}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--members", type=int, default=20_000)
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    args = parser.parse_args()
    shipped = load_config()
    flat = RiskConfig({signal: 0.5 for signal in SIGNALS}, shipped.case_threshold, "all 0.5")
    print(f"risk calibration: {args.members:,} members per world, seeds {args.seeds}")
    print(f"load average {os.getloadavg()[0]:.2f} (shared machine)")
    for seed in args.seeds:
        with tempfile.TemporaryDirectory() as folder:
            case, db = Path(folder) / "case", Path(folder) / "s.duckdb"
            clock = time.perf_counter()
            generate_world(case, members=args.members, seed=seed, media=False)
            with Store.open(db) as store:
                ingest_case(store, case)
                run_pyramid(store.backend)
                run_rings(store.backend)
                run_credit(store.backend)
                run_risk(store.backend, config=flat)
                peer = evaluate_risk(store.backend, case / "truth", case_threshold=flat.case_threshold)
                summary = run_risk(store.backend, config=shipped)
                ours = evaluate_risk(store.backend, case / "truth", case_threshold=shipped.case_threshold)
            print(
                f"\nseed {seed}: world + analyses {time.perf_counter() - clock:.1f} s, "
                f"risk {summary.seconds:.2f} s; case threshold {shipped.case_threshold:g}"
            )
            print(
                f"  {'subject':9} {'kind':28} {'role':9} {'count':>7} {'AUC':>7} {'AUC 0.5':>7} "
                f"{'>= case':>8} {'(0.5)':>8}"
            )
            for metric, baseline in zip(ours, peer, strict=True):
                print(_line(metric, baseline))


if __name__ == "__main__":
    main()
