"""How rankings survive attackers: plain mean, Taobao points and Sentinella's robust score.

    python benchmarks/credit_robustness.py              # 200 merchants, 4,000 honest raters
    python benchmarks/credit_robustness.py --quick      # fewer shares

A true quality per merchant (uniform 1–5) is planted; honest buyers rate 10 merchants each,
round(quality + N(0, 0.8)) clipped to 1–5. Attackers are added at 0–50% (of all raters for
spammers; of each target's ratings for coordinated attacks): random and extreme spammers,
ballot stuffing of the worst 5%, bad-mouthing of the best 5%, a sybil ring doing both, on-off
attackers who rate honestly first, and whitewashers who use a fresh account for every attack
(see sentinella/credit/_simulate.py). Each world is written to a store and scored by run_credit.

Reported per attack and share: Kendall tau-b between the true and computed rankings, and whether
the attacked merchants held (worst 5% still in the bottom 10%, best 5% still in the top 10%).
A method "breaks" at the first share where tau < 0.93 (spammers) or the targets do not hold
(coordinated attacks). Targets (issue 5): tau >= 0.94 honest only, >= 0.93 at 30% spammers,
targets held with coordinated attackers up to a third of a target's ratings. Fixed seed.
"""

from __future__ import annotations

import argparse
import time

from sentinella.credit._simulate import ATTACKS, METHODS, SPAMMERS, Outcome, evaluate

SIZE = {"merchants": 200, "raters": 4000, "per_rater": 10}


def broke(outcome: Outcome, method: str) -> bool:
    if outcome.attack in SPAMMERS or outcome.attack == "none":
        return outcome.tau[method] < 0.93
    return not outcome.held[method]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--quick", action="store_true", help="shares 0, 1/3 and 1/2 only")
    args = parser.parse_args()
    shares = [0.0, 1 / 3, 0.5] if args.quick else [round(0.05 * k, 2) for k in range(11)]
    started = time.perf_counter()
    honest = evaluate("none", 0.0, seed=args.seed, **SIZE)
    print("honest only: " + ", ".join(f"{m} tau={honest.tau[m]:.3f}" for m in METHODS))
    breaks: dict[str, dict[str, float | None]] = {}
    for attack in ATTACKS[1:]:
        print(f"\n{attack}")
        print("  share  " + "  ".join(f"{m:>22}" for m in METHODS))
        breaks[attack] = {m: None for m in METHODS}
        points = sorted(set(shares) | ({1 / 3} if attack not in SPAMMERS else {0.3}))
        for share in points:
            outcome = honest if share == 0 else evaluate(attack, share, seed=args.seed, **SIZE)
            cells = []
            for m in METHODS:
                mark = "" if attack in SPAMMERS else (" held" if outcome.held[m] else " BROKE")
                cells.append(f"tau={outcome.tau[m]:.3f}{mark}")
                if outcome.attack == "none":
                    continue
                if breaks[attack][m] is None and broke(outcome, m):
                    breaks[attack][m] = share
            print(f"  {share:5.2f}  " + "  ".join(f"{c:>22}" for c in cells))
    print("\nattacker share at which each method breaks (none = held up to 50%):")
    print("  attack     " + "  ".join(f"{m:>14}" for m in METHODS))
    for attack, by_method in breaks.items():
        cells = [f"{v:.2f}" if v is not None else "none" for v in (by_method[m] for m in METHODS)]
        print(f"  {attack:<10} " + "  ".join(f"{c:>14}" for c in cells))
    print(f"\n{time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
