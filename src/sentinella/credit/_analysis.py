"""Merchant credit end to end: store → per-rating rules → robust score → result tables."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sentinella._timing import Progress, Steps, lap
from sentinella.engine import Backend

from ._config import CreditConfig
from ._errors import CreditError
from ._inputs import (
    RING_SCORES,
    cutoff_sql,
    register_flagged,
    register_refunds,
    require_tables,
    resolve_as_of,
)
from ._merchants import ROBUST, build_robust, build_universe, merchants_sql
from ._rules import (
    BASE,
    MULTI,
    PAIRS,
    REASONS,
    UNIVERSE,
    apply_sequence,
    build_ratings,
    settle,
    write_ratings,
)

RESULT_TABLES = ("credit_merchants", "credit_ratings", "credit_rating_details")
# What a run reads from the store (payments and the rings' order scores when present): what
# ``--engine spark`` exports to Spark.
INPUT_TABLES = ("orders", "reviews", "merchants", "payments", RING_SCORES)
_STEPS = (
    "inputs",
    "merchants",
    "rules",
    "14 days, cap and settle",
    "credit_ratings",
    "robust",
    "credit_merchants",
    "summary and commit",
)


@dataclass
class CreditSummary:
    """What a run produced, for the CLI and the demo."""

    as_of: dt.date
    timezone: str
    merchants: int
    ratings: int
    counted: int
    not_counted: dict[str, int]
    flagged_orders: int
    flagged_source: str  # given | ring_order_scores | none
    seconds: float
    timings: dict[str, float] = field(default_factory=dict)


def run_credit(
    backend: Backend,
    *,
    as_of: dt.date | None = None,
    flagged_orders: Iterable[str] | None = None,
    config: CreditConfig | None = None,
    progress: Progress | None = None,
) -> CreditSummary:
    """Score every merchant from the store's orders and reviews; replace the credit_* tables.

    Only what is known by the end of ``as_of`` (a local date in ``config.timezone``) is used, so
    a run for a past date gives the same tables whenever it is repeated. ``flagged_orders``
    (brushing) are removed with their ratings; when None, the rings analysis's
    ``ring_order_scores.flagged`` orders are used if that table exists. ``progress(stage, done,
    total)`` hears of each step as it starts.
    """
    cfg = config or CreditConfig()
    started = clock = time.perf_counter()
    timings: dict[str, float] = {}
    steps = Steps("credit", _STEPS, progress)
    steps.start("inputs")
    require_tables(backend)
    day = resolve_as_of(backend, as_of, cfg)
    cutoff = cutoff_sql(day, cfg)
    source = register_flagged(backend, flagged_orders)
    register_refunds(backend, cutoff, cfg)
    clock = lap(timings, "inputs", clock)
    with backend.transaction("credit: write"):
        steps.start("merchants")
        build_universe(backend, cutoff)
        clock = lap(timings, "merchants", clock)
        steps.start("rules")
        build_ratings(backend, cfg, day, cutoff)
        clock = lap(timings, "rules", clock)
        steps.start("14 days, cap and settle")
        apply_sequence(backend, cfg)
        settle(backend)
        clock = lap(timings, "14 days, cap and settle", clock)
        steps.start("credit_ratings")
        write_ratings(backend, cfg)
        clock = lap(timings, "credit_ratings", clock)
        steps.start("robust")
        build_robust(backend, cfg)
        clock = lap(timings, "robust", clock)
        steps.start("credit_merchants")
        backend.execute(
            f"CREATE OR REPLACE TABLE credit_merchants AS {merchants_sql(cfg, day, cutoff)}",
            step="credit_merchants",
        )
        clock = lap(timings, "credit_merchants", clock)
        steps.start("summary and commit")
        counts = backend.query(
            f"SELECT CAST(reason AS VARCHAR) AS reason, count(*) AS n FROM {BASE} GROUP BY reason",
            step="credit: summary",
        ).to_pylist()
        merchants = int(str(backend.scalar("SELECT count(*) FROM credit_merchants") or 0))
        flagged = int(str(backend.scalar("SELECT sum(flagged_orders) FROM credit_merchants") or 0))
        for name in (BASE, PAIRS, MULTI, UNIVERSE, ROBUST):
            backend.execute(f"DROP TABLE IF EXISTS {name}", step="credit: clean up")
    by_reason = {str(row["reason"] or ""): int(row["n"]) for row in counts}
    lap(timings, "summary and commit", clock)
    steps.done()
    return CreditSummary(
        as_of=day,
        timezone=cfg.timezone,
        merchants=merchants,
        ratings=sum(by_reason.values()),
        counted=by_reason.get("", 0),
        not_counted={reason: by_reason[reason] for reason in REASONS if reason in by_reason},
        flagged_orders=flagged,
        flagged_source=source,
        seconds=round(time.perf_counter() - started, 3),
        timings=timings,
    )


def merchant_credit(backend: Backend, merchant_id: str) -> dict[str, Any]:
    """One merchant's credit row (with its explanation), as the API will serve it."""
    if not backend.table_exists("credit_merchants"):
        raise CreditError("no credit results in this store: run `sentinella credit` first")
    rows = backend.query(
        "SELECT * FROM credit_merchants WHERE merchant_id = ?",
        [str(merchant_id)],
        step="credit: merchant",
    ).to_pylist()
    if not rows:
        raise KeyError(merchant_id)
    return dict(rows[0])
