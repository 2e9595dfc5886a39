"""Rings end to end: store → coded tables → signals (SQL, FRAUDAR) → scores → rings → result tables."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
from numpy.typing import NDArray

from sentinella._timing import Progress, Steps, lap
from sentinella.engine import Backend
from sentinella.errors import SentinellaError
from sentinella.idcodes import code_ids

from ._config import HOUR_US, RingsConfig
from ._inputs import RingInputs, code_tables, collect_inputs
from ._score import (
    DEFAULT_MODEL,
    Rings,
    assemble_rings,
    candidates,
    check_model,
    order_features,
    pair_features,
    prior_score,
    supervised_score,
)
from ._signals import (
    F64,
    Pairs,
    PairSignals,
    _group_reduce,
    drop_working_tables,
    make_pairs,
    pair_signals,
    unique_rows,
)

RESULT_TABLES = ("ring_groups", "ring_members", "ring_order_scores", "ring_member_scores")
# below this score an order's reasons are left empty: nothing worth explaining
_EXPLAIN_FROM = 0.2


class LabelsError(SentinellaError, ValueError):
    """The labels file is not a CSV of order_id,label with labels 0/1 (or fake/honest)."""


@dataclass
class RingsSummary:
    """What a run found, for the CLI and the demo."""

    orders: int
    members: int
    rings: int
    ring_members: int
    flagged_orders: int
    flagged_members: int
    supervised: bool
    labelled_orders: int
    model: str | None  # the supervised model; None when no labels were given
    seconds: float
    timings: dict[str, float] = field(default_factory=dict)


def read_labels(path: Path, order_id: pa.Array) -> NDArray[np.int8]:
    """Per order 1 (confirmed fake), 0 (confirmed honest) or -1 (unknown)."""
    try:
        table = pacsv.read_csv(
            path,
            convert_options=pacsv.ConvertOptions(
                column_types={"order_id": pa.string(), "label": pa.string()}
            ),
        )
    except (pa.ArrowInvalid, OSError) as error:
        raise LabelsError(f"{path}: cannot read labels: {error}") from error
    if "order_id" not in table.column_names or "label" not in table.column_names:
        raise LabelsError(f"{path}: needs the columns order_id,label")
    text = pc.utf8_lower(pc.utf8_trim_whitespace(table.column("label")))
    fake = pc.is_in(text, value_set=pa.array(["1", "true", "fake", "yes"]))
    honest = pc.is_in(text, value_set=pa.array(["0", "false", "honest", "no"]))
    bad = pc.invert(pc.or_(fake, honest))
    if pc.any(bad).as_py():
        raise LabelsError(f"{path}: labels must be 1/0 (or fake/honest); found {pc.filter(text, bad)[0]}")
    value = np.where(np.asarray(fake.to_numpy(zero_copy_only=False)), 1, 0).astype(np.int8)
    where = code_ids(order_id, table.column("order_id"))
    label = np.full(len(order_id), -1, dtype=np.int8)
    label[where[where >= 0]] = value[where >= 0]
    return label


def run_rings(
    backend: Backend,
    *,
    labels: Path | None = None,
    config: RingsConfig | None = None,
    model: str = DEFAULT_MODEL,
    progress: Progress | None = None,
) -> RingsSummary:
    """Score every order and buyer, find the rings, and replace the ring_* tables in one go.

    With ``labels``, orders are scored by ``model`` (see :data:`MODELS`) trained on them;
    ``progress(stage, done, total)`` hears of each step as it starts."""
    check_model(model)
    config = config or RingsConfig()
    started = clock = time.perf_counter()
    timings: dict[str, float] = {}
    steps = Steps("rings", ("load", "signals", "score", "explain", "write"), progress)
    steps.start("load")
    try:
        code_tables(backend)
        inputs = collect_inputs(backend)
        label = (
            read_labels(labels, inputs.order_id)
            if labels is not None
            else np.full(inputs.n_orders, -1, np.int8)
        )
        clock = lap(timings, "load", clock)
        steps.start("signals")
        pairs = make_pairs(inputs)
        signals, lockstep, burst = pair_signals(backend, inputs, pairs, config)
    finally:
        drop_working_tables(backend)
    clock = lap(timings, "signals", clock)
    steps.start("score")
    feats = order_features(signals, pairs, inputs.rating, lockstep, burst)
    supervised = bool((label >= 0).any())
    if supervised:
        window = inputs.placed // max(int(config.lockstep_window_hours * HOUR_US), 1)
        _, hood = unique_rows(inputs.merchant, window)
        order_score = supervised_score(feats, hood, label, model=model)
        order_score = np.where(label >= 0, label.astype(np.float64), order_score)
        pair_score = _group_reduce(order_score, pairs.of_order, pairs.n, "sum") / signals.orders
    else:
        order_score = prior_score(feats)
        pair_score = prior_score(pair_features(signals))
    rings = assemble_rings(pairs, pair_score, candidates(signals, pair_score, config), config)
    ring_of_order = rings.of_pair[pairs.of_order]
    strength = np.r_[rings.strength, 0.0]  # index -1 (no ring) reads the 0 at the end
    boost = strength[ring_of_order]
    final = 1.0 - (1.0 - order_score) * (1.0 - boost)
    flagged = (ring_of_order >= 0) & (final >= config.flag_threshold)
    if supervised:
        flagged |= label == 1
        flagged &= label != 0
    clock = lap(timings, "score", clock)
    steps.start("explain")
    tables = _tables(inputs, pairs, signals, feats, final, flagged, pair_score, rings, ring_of_order)
    clock = lap(timings, "explain", clock)
    steps.start("write")
    _write(backend, tables)
    lap(timings, "write", clock)
    steps.done()
    member_flags = tables["ring_member_scores"].column("flagged")
    return RingsSummary(
        orders=inputs.n_orders,
        members=tables["ring_member_scores"].num_rows,
        rings=int(rings.merchant.shape[0]),
        ring_members=tables["ring_members"].num_rows,
        flagged_orders=int(flagged.sum()),
        flagged_members=int(pc.sum(member_flags).as_py() or 0),
        supervised=supervised,
        labelled_orders=int((label >= 0).sum()),
        model=model if supervised else None,
        seconds=round(time.perf_counter() - started, 3),
        timings=timings,
    )


def _order_reasons(
    feats: dict[str, F64], signals: PairSignals, pairs: Pairs, idx: NDArray[np.int64]
) -> list[str]:
    p = pairs.of_order[idx]
    parts: list[list[str]] = [[] for _ in range(idx.shape[0])]
    checks: list[tuple[NDArray[np.bool_], Callable[[int], str]]] = [
        (feats["five_star"][idx] > 0, lambda i: "5-star review"),
        (
            signals.young[p] >= 0.5,
            lambda i: f"account {signals.age_days[p[i]]:.0f} days old at first order here",
        ),
        (
            signals.shared[p] > 0,
            lambda i: "shares a device, address or payout account with other buyers of the shop",
        ),
        (signals.group[p] > 0, lambda i: "in a chat group with other buyers of the shop"),
        (signals.cashback[p] > 0, lambda i: "paid by the shop's owner outside any order"),
        (signals.owner_tie[p] > 0, lambda i: "tied to the shop's owner"),
        (feats["lockstep"][idx] > 0, lambda i: "placed in a lockstep window with other buyers"),
        (feats["burst"][idx] > 0, lambda i: "in an order burst (orders per buyer within an hour)"),
        (
            signals.dense[p] > 0,
            lambda i: f"in a dense FRAUDAR block of the shop's buyers (density {signals.dense[p[i]]:.2f})",
        ),
    ]
    for mask, text in checks:
        for i in np.flatnonzero(mask):
            parts[i].append(text(int(i)))
    return ["; ".join(x) for x in parts]


def _tables(
    inputs: RingInputs,
    pairs: Pairs,
    signals: PairSignals,
    feats: dict[str, F64],
    final: F64,
    flagged: NDArray[np.bool_],
    pair_score: F64,
    rings: Rings,
    ring_of_order: NDArray[np.int64],
) -> dict[str, pa.Table]:
    n_rings = int(rings.merchant.shape[0])
    ring_ids = pa.array([f"R{i + 1:06d}" for i in range(n_rings)], pa.string())

    def ring_id(codes: NDArray[np.int64]) -> pa.Array:
        return pc.if_else(
            pa.array(codes >= 0),
            ring_ids.take(pa.array(np.maximum(codes, 0))) if n_rings else pa.nulls(len(codes), pa.string()),
            pa.nulls(len(codes), pa.string()),
        )

    explain = np.flatnonzero(final >= _EXPLAIN_FROM)
    reasons = np.full(inputs.n_orders, None, dtype=object)
    reasons[explain] = _order_reasons(feats, signals, pairs, explain)
    orders = pa.table(
        {
            "order_id": inputs.order_id,
            "buyer_id": inputs.member_id.take(pa.array(inputs.buyer)),
            "merchant_id": inputs.merchant_id.take(pa.array(inputs.merchant)),
            "score": pa.array(np.round(final, 6)),
            "flagged": pa.array(flagged),
            "ring_id": ring_id(np.where(flagged, ring_of_order, -1)),
            "reasons": pa.array(reasons, pa.string()),
        }
    )
    # members: the strongest of their (buyer, shop) pairs, ring-boosted like the orders
    pair_ring = rings.of_pair
    pair_boost = np.r_[rings.strength, 0.0][pair_ring]
    pair_final = 1.0 - (1.0 - pair_score) * (1.0 - pair_boost)
    order = np.lexsort((-pair_final, pairs.buyer))
    first = order[np.r_[True, pairs.buyer[order][1:] != pairs.buyer[order][:-1]]] if pairs.n else order
    flagged_pairs = _group_reduce(flagged.astype(np.float64), pairs.of_order, pairs.n, "sum") > 0
    member_flag = _group_reduce(flagged_pairs.astype(np.float64), pairs.buyer, inputs.n_members, "max") > 0
    best_ring = np.full(inputs.n_members, -1, dtype=np.int64)
    in_ring = flagged_pairs & (pair_ring >= 0)
    best_ring[pairs.buyer[in_ring]] = pair_ring[in_ring]
    b = pairs.buyer[first]
    member_reasons = []
    for pi in first:
        bits = (
            [f"strongest at {inputs.merchant_id[int(pairs.merchant[pi])].as_py()}"]
            if pair_final[pi] >= _EXPLAIN_FROM
            else []
        )
        if pair_final[pi] >= _EXPLAIN_FROM:
            bits.append(f"{signals.five_star[pi]:.0%} of orders 5-star")
            if signals.young[pi] >= 0.5:
                bits.append(f"{signals.age_days[pi]:.0f} days old at first order")
            if signals.shared[pi] > 0:
                bits.append("shared identifiers with other buyers")
            if signals.group[pi] > 0:
                bits.append("chat group with other buyers")
            if signals.cashback[pi] > 0:
                bits.append("cashback from the owner")
        member_reasons.append("; ".join(bits) if bits else None)
    members = pa.table(
        {
            "member_id": inputs.member_id.take(pa.array(b)),
            "score": pa.array(np.round(pair_final[first], 6)),
            "flagged": pa.array(member_flag[b]),
            "ring_id": ring_id(best_ring[b]),
            "orders": pa.array(np.bincount(inputs.buyer, minlength=inputs.n_members)[b].astype(np.int64)),
            "reasons": pa.array(member_reasons, pa.string()),
        }
    )
    # ring members: the flagged pairs of each ring
    rp = np.flatnonzero(in_ring)
    ring_members = pa.table(
        {
            "ring_id": ring_id(pair_ring[rp]),
            "member_id": inputs.member_id.take(pa.array(pairs.buyer[rp])),
            "merchant_id": inputs.merchant_id.take(pa.array(pairs.merchant[rp])),
            "score": pa.array(np.round(pair_final[rp], 6)),
            "orders": pa.array(signals.orders[rp].astype(np.int64)),
            "five_star_share": pa.array(np.round(signals.five_star[rp], 4)),
            "age_days": pa.array(np.round(signals.age_days[rp], 1)),
            "shared_identifiers": pa.array(signals.shared[rp] > 0),
            "chat_group": pa.array(signals.group[rp] > 0),
            "cashback": pa.array(signals.cashback[rp] > 0),
            "lockstep_share": pa.array(np.round(signals.lockstep[rp], 4)),
            "block_density": pa.array(np.round(signals.dense[rp], 4)),
        }
    )
    groups = _groups(inputs, pairs, signals, rings, rp, ring_of_order, flagged, ring_ids)
    return {
        "ring_groups": groups,
        "ring_members": ring_members,
        "ring_order_scores": orders,
        "ring_member_scores": members,
    }


def _groups(
    inputs: RingInputs,
    pairs: Pairs,
    signals: PairSignals,
    rings: Rings,
    rp: NDArray[np.int64],
    ring_of_order: NDArray[np.int64],
    flagged: NDArray[np.bool_],
    ring_ids: pa.Array,
) -> pa.Table:
    """One row per ring: its shop, headcount, orders and the evidence that binds the accounts."""
    n = int(rings.merchant.shape[0])
    r = rings.of_pair[rp]

    def per_ring(values: F64) -> F64:
        return _group_reduce(values, r, n, "sum")

    members = per_ring(np.ones(rp.shape[0]))
    fo = np.flatnonzero(flagged & (ring_of_order >= 0))
    ro = ring_of_order[fo]
    n_orders = np.bincount(ro, minlength=n).astype(np.int64)
    first = _group_reduce(-inputs.placed[fo].astype(np.float64), ro, n, "max") * -1
    last = _group_reduce(inputs.placed[fo].astype(np.float64), ro, n, "max")
    share = {
        "shared_identifiers": per_ring((signals.shared[rp] > 0).astype(np.float64)),
        "chat_group": per_ring((signals.group[rp] > 0).astype(np.float64)),
        "cashback": per_ring((signals.cashback[rp] > 0).astype(np.float64)),
        "young": per_ring((signals.young[rp] >= 0.5).astype(np.float64)),
    }
    five = per_ring(signals.five_star[rp]) / np.maximum(members, 1)
    lock = per_ring(signals.lockstep[rp]) / np.maximum(members, 1)
    density = _group_reduce(signals.dense[rp], r, n, "max")
    evidence = []
    for i in range(n):
        m = max(members[i], 1)
        bits = [f"{int(members[i])} accounts, {five[i]:.0%} of their orders here 5-star"]
        labels = {
            "shared_identifiers": "share devices, addresses or a payout account",
            "chat_group": "are in one chat group",
            "cashback": "were paid by the shop's owner outside any order",
            "young": "were under a month old at their first order",
        }
        for key, text in labels.items():
            if share[key][i] > 0:
                bits.append(f"{int(share[key][i])}/{int(m)} {text}")
        if lock[i] > 0:
            bits.append(f"{lock[i]:.0%} of their orders in lockstep windows")
        if density[i] > 0:
            bits.append(f"FRAUDAR block density {density[i]:.2f}")
        evidence.append("; ".join(bits))
    ts = pa.timestamp("us", tz="UTC")
    return pa.table(
        {
            "ring_id": ring_ids,
            "merchant_id": inputs.merchant_id.take(pa.array(rings.merchant)),
            "members": pa.array(members.astype(np.int64)),
            "orders": pa.array(n_orders),
            "score": pa.array(np.round(rings.strength, 6)),
            "first_order_at": pa.array(first.astype(np.int64), pa.int64()).cast(ts)
            if n
            else pa.array([], ts),
            "last_order_at": pa.array(last.astype(np.int64), pa.int64()).cast(ts) if n else pa.array([], ts),
            "evidence": pa.array(evidence, pa.string()),
        }
    )


def _write(backend: Backend, tables: dict[str, pa.Table]) -> None:
    """Replace the result tables in one transaction, so readers never see half a run."""
    with backend.transaction("rings: write"):
        for name, table in tables.items():
            backend.write_table(name, table)
