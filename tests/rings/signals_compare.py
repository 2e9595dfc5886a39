"""Run the SQL signals and the numpy reference on one store and say where they differ."""

from __future__ import annotations

from dataclasses import fields

import numpy as np
from signals_reference import load_reference_inputs, reference_signals

from sentinella.engine import Backend
from sentinella.rings import RingsConfig
from sentinella.rings._inputs import code_tables, collect_inputs
from sentinella.rings._signals import drop_working_tables, make_pairs, pair_signals


def _same_bits(a: np.ndarray, b: np.ndarray) -> bool:
    a64 = np.ascontiguousarray(a, dtype=np.float64)
    b64 = np.ascontiguousarray(b, dtype=np.float64)
    return a64.shape == b64.shape and a64.tobytes() == b64.tobytes()


def differences(engine: Backend, reference: Backend, config: RingsConfig | None = None) -> list[str]:
    """What differs between the SQL signals on ``engine`` and the numpy ones on ``reference``
    (a DuckDB backend on the same store): codes, pairs, every signal and the order flags."""
    config = config or RingsConfig()
    try:
        code_tables(engine)
        inputs = collect_inputs(engine)
        pairs = make_pairs(inputs)
        signals, lockstep, burst = pair_signals(engine, inputs, pairs, config)
    finally:
        drop_working_tables(engine)
    old = load_reference_inputs(reference)
    old_pairs = make_pairs(old)  # type: ignore[arg-type]
    want, want_lockstep, want_burst = reference_signals(old, old_pairs, config)
    found = []
    for name in ("order_id", "member_id", "merchant_id"):
        if not getattr(inputs, name).equals(getattr(old, name)):
            found.append(name)
    for name in ("buyer", "merchant", "placed", "rating"):
        if not np.array_equal(getattr(inputs, name), getattr(old, name)):
            found.append(name)
    for name in ("of_order", "buyer", "merchant"):
        if not np.array_equal(getattr(pairs, name), getattr(old_pairs, name)):
            found.append(f"pairs.{name}")
    for field in fields(signals):
        if not _same_bits(getattr(signals, field.name), getattr(want, field.name)):
            found.append(field.name)
    if not _same_bits(lockstep, want_lockstep):
        found.append("in_lockstep")
    if not _same_bits(burst, want_burst):
        found.append("in_burst")
    return found
