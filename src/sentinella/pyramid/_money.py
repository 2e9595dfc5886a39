"""Exact money for the legal tests: integer units of 1/10,000, converted per record in SQL.

The store keeps amounts as DECIMAL(18,4); the analysis reads them as int64 counts of 1/10,000
of a currency unit, so every sum is exact and the same bytes come out of every run whatever
order the rows are added in. An amount in another currency is converted record by record at the
run's rate (CNY per unit, as :mod:`sentinella.money` keeps them, divided into a 12-decimal
ratio) and rounded half away from zero to 1/10,000 before anything is added up. A currency
missing from the rates table stops the run (or, when the user allows it, its records are left
out and counted) instead of quietly becoming NULL.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import ROUND_HALF_EVEN, Decimal, localcontext

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from numpy.typing import NDArray

from sentinella.engine import literal

UNITS_PER = 10_000
"""Integer units per currency unit: the store's DECIMAL scale of 4."""
_EXACT_FLOAT = 2**53
_SPLIT = 10**6


def exact_rates(rates: Mapping[str, float]) -> dict[str, Decimal]:
    """The rates table as decimals, read from each float's shortest repr (``7.2`` is 7.2)."""
    return {code: Decimal(repr(float(value))) for code, value in rates.items()}


def ratio(rates: Mapping[str, Decimal], source: str, target: str) -> Decimal:
    """Units of ``target`` per unit of ``source``, to 12 decimals (half-even)."""
    with localcontext() as context:
        context.prec = 40
        return (rates[source] / rates[target]).quantize(Decimal("1e-12"), rounding=ROUND_HALF_EVEN)


def units_sql(amount: str, currency: str, target: str, rates: Mapping[str, Decimal]) -> str:
    """SQL for ``amount`` (DECIMAL(18,4)) in ``currency`` as BIGINT units of ``target``.

    Records in ``target`` are taken as they are; others are multiplied by a DECIMAL ratio and
    rounded to 4 decimals. A currency not in ``rates`` gives NULL, which callers rule out first
    with :func:`missing_currencies` (the run stops, or those records are filtered out visibly).
    """
    exact = _exact_units(amount)
    others = [code for code in sorted(rates) if code != target]
    if not others:
        return f"CASE WHEN {currency} = {literal(target)} THEN {exact} END"
    parts = {code: divmod(int(ratio(rates, code, target).scaleb(12)), _SPLIT) for code in others}
    high, low = (
        f"(CASE {currency} "
        + " ".join(f"WHEN {literal(code)} THEN {parts[code][half]}" for code in others)
        + " END)"
        for half in (0, 1)
    )
    return (
        f"CASE WHEN {currency} = {literal(target)} THEN {exact} ELSE {_rounded_product(exact, high, low)} END"
    )


def _exact_units(amount: str) -> str:
    """A DECIMAL(18,4) amount as its integer count of 1/10,000: ``amount * 10000`` while that fits
    the type (below 10^10 units of currency, nearly every record), else whole units and the
    fraction apart, so the largest amounts the store holds (10^14) are read, not an overflow."""
    a = f"CAST({amount} AS DECIMAL(18,4))"
    return (
        f"CASE WHEN {a} BETWEEN -999999999 AND 999999999 THEN CAST({a} * 10000 AS BIGINT) "
        f"ELSE CAST(trunc({a}) AS BIGINT) * 10000 + CAST(({a} - trunc({a})) * 10000 AS BIGINT) END"
    )


def _rounded_product(units: str, high: str, low: str) -> str:
    """``units`` times a 12-decimal ratio (``high`` * 10^6 + ``low``, as integers), rounded half
    away from zero to an integer, in 64-bit arithmetic only.

    The exact product has up to 31 digits. 128-bit integers hold it, but dividing one is slow
    on DuckDB (20M orders: 3.1 s a currency). Split both factors at 10^6 instead: with
    a = a1 * 10^6 + a0 and r = high * 10^6 + low,
    a * r + h = (a1 * high + m1) * 10^12 + (m0 * 10^6 + a0 * low + h), where
    m = a1 * low + a0 * high = m1 * 10^6 + m0; every partial product stays below 2^63 and the
    last term below 3 * 10^12, so one more integer division finishes it (1.2 s for the same
    20M; property-tested against Python decimals).
    """
    a = f"abs({units})"
    a1, a0 = f"({a} // {_SPLIT})", f"({a} % {_SPLIT})"
    m = f"({a1} * {low} + {a0} * {high})"
    half, one = 5 * 10**11, _SPLIT * _SPLIT
    magnitude = (
        f"({a1} * {high} + {m} // {_SPLIT} + (({m} % {_SPLIT}) * {_SPLIT} + {a0} * {low} + {half}) // {one})"
    )
    return f"(CASE WHEN {units} < 0 THEN -1 ELSE 1 END * {magnitude})"


def rates_used(
    rates: Mapping[str, Decimal], currencies: Iterable[str], targets: Iterable[str]
) -> dict[str, str]:
    """The rates a run applied (CNY per unit, as given), for its record: only codes it met."""
    wanted = set(currencies) | set(targets)
    return {code: str(rates[code]) for code in sorted(wanted) if code in rates}


def bincount_units(index: NDArray[np.int64], units: NDArray[np.int64], size: int) -> NDArray[np.int64]:
    """Exact int64 sums of ``units`` by ``index`` (numpy's bincount works in float64).

    Float64 adds integers exactly while every partial sum stays below 2**53 (9 * 10^11
    currency units); beyond that the sums are made with integer scatter-adds instead.
    """
    if not units.size:
        return np.zeros(size, dtype=np.int64)
    if int(np.abs(units).sum(dtype=np.float64)) < _EXACT_FLOAT:
        return np.bincount(index, weights=units.astype(np.float64), minlength=size).astype(np.int64)
    out = np.zeros(size, dtype=np.int64)
    np.add.at(out, index, units)
    return out


def units_text(units: NDArray[np.int64] | pa.Array) -> pa.Array:
    """Units as exact decimal text with 4 places (``-12.5`` is ``-12.5000``), for JSON and prose."""
    values = units if isinstance(units, pa.Array) else pa.array(np.asarray(units, dtype=np.int64))
    values = pc.cast(values, pa.int64())
    negative = pc.less(values, 0)
    magnitude = pc.abs(values)
    whole = pc.cast(pc.divide(magnitude, UNITS_PER), pa.string())
    fraction = pc.utf8_lpad(
        pc.cast(pc.subtract(magnitude, pc.multiply(pc.divide(magnitude, UNITS_PER), UNITS_PER)), pa.string()),
        4,
        "0",
    )
    sign = pc.if_else(negative, "-", "")
    return pc.binary_join_element_wise(sign, whole, ".", fraction, "")


def units_decimal(units: NDArray[np.int64], precision: int = 18) -> pa.Array:
    """Units as an exact Arrow DECIMAL(precision, 4), built straight from the integers.

    A decimal128 value is the unscaled integer in 16 little-endian bytes, and units *are* the
    unscaled integer at scale 4: so the low word is the unit count, the high word its sign.
    """
    values = np.ascontiguousarray(units, dtype=np.int64)
    words = np.empty((values.shape[0], 2), dtype=np.int64)
    words[:, 0] = values
    words[:, 1] = values >> 63
    return pa.Array.from_buffers(pa.decimal128(precision, 4), values.shape[0], [None, pa.py_buffer(words)])


def threshold_units(value: object) -> int:
    """A money threshold from a profile (``2500000`` or ``"2500000.00"``) as units."""
    return int((Decimal(str(value)) * UNITS_PER).to_integral_value(rounding=ROUND_HALF_EVEN))


def money_words(units: int, currency: str) -> str:
    """``2,500,000.00 CNY``: a threshold for an explanation."""
    value = Decimal(units) / UNITS_PER
    return f"{value:,.2f} {currency}" if value == value.quantize(Decimal("0.01")) else f"{value:,} {currency}"
