"""Money converted record by record: exact, rounded half away from zero to 1/10,000."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

import duckdb
from hypothesis import given, settings
from hypothesis import strategies as st

from sentinella.pyramid._money import exact_rates, ratio, units_sql

RATES = exact_rates({"CNY": 1.0, "USD": 7.2, "EUR": 7.8, "JPY": 0.047, "KRW": 0.0053})
amounts = st.decimals(min_value=Decimal("-9999999999.9999"), max_value=Decimal("9999999999.9999"), places=4)


def expected(amount: Decimal, source: str, target: str) -> int:
    if source == target:
        return int(amount * 10_000)
    converted = (amount * ratio(RATES, source, target)).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)
    return int(converted * 10_000)  # ROUND_HALF_UP in decimal is half away from zero


@settings(max_examples=60, deadline=None)
@given(
    rows=st.lists(st.tuples(amounts, st.sampled_from(sorted(RATES))), min_size=1, max_size=40),
    target=st.sampled_from(sorted(RATES)),
)
def test_units_are_the_decimal_product_rounded_half_away_from_zero(
    rows: list[tuple[Decimal, str]], target: str
) -> None:
    connection = duckdb.connect()
    connection.execute("CREATE TABLE t (amount DECIMAL(18,4), currency VARCHAR)")
    connection.executemany("INSERT INTO t VALUES (?, ?)", rows)
    got = connection.execute(f"SELECT {units_sql('amount', 'currency', target, RATES)} FROM t").fetchall()
    assert [value for (value,) in got] == [expected(a, c, target) for a, c in rows]


def test_half_way_amounts_round_away_from_zero_on_both_sides() -> None:
    rates = exact_rates({"CNY": 1.0, "XXX": 0.5})  # 1 XXX = 0.5 CNY: 0.0001 XXX is half a unit
    connection = duckdb.connect()
    got = connection.execute(
        "SELECT " + units_sql("a", "'XXX'", "CNY", rates) + " FROM (VALUES (0.0001::DECIMAL(18,4)), "
        "(-0.0001::DECIMAL(18,4)), (0.0003::DECIMAL(18,4)), (-0.0003::DECIMAL(18,4))) v(a)"
    ).fetchall()
    assert [value for (value,) in got] == [1, -1, 2, -2]
