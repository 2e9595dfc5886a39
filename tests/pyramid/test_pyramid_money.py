"""Money converted record by record: exact, rounded half away from zero to 1/10,000."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

import duckdb
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sentinella.pyramid._money import exact_rates, ratio, units_sql

RATES = exact_rates({"CNY": 1.0, "USD": 7.2, "EUR": 7.8, "JPY": 0.047, "KRW": 0.0053})
# the whole of DECIMAL(18,4), whose largest amounts overflow ``amount * 10000`` in that type
amounts = st.decimals(
    min_value=Decimal("-99999999999999.9999"), max_value=Decimal("99999999999999.9999"), places=4
)
_INT64 = 2**63


def expected(amount: Decimal, source: str, target: str) -> int:
    if source == target:
        return int(amount * 10_000)
    converted = (amount * ratio(RATES, source, target)).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)
    return int(converted * 10_000)  # ROUND_HALF_UP in decimal is half away from zero


@settings(max_examples=200, deadline=None)
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
    wanted = [expected(a, c, target) for a, c in rows]
    query = f"SELECT {units_sql('amount', 'currency', target, RATES)} FROM t"
    if any(abs(value) >= _INT64 for value in wanted):
        # beyond 64-bit units (10^14 KRW in CNY is not, 10^14 CNY in KRW is): an error, never
        # a wrapped number
        with pytest.raises(duckdb.OutOfRangeException):
            connection.execute(query).fetchall()
        return
    got = connection.execute(query).fetchall()
    assert [value for (value,) in got] == wanted


def test_half_way_amounts_round_away_from_zero_on_both_sides() -> None:
    rates = exact_rates({"CNY": 1.0, "XXX": 0.5})  # 1 XXX = 0.5 CNY: 0.0001 XXX is half a unit
    connection = duckdb.connect()
    got = connection.execute(
        "SELECT " + units_sql("a", "'XXX'", "CNY", rates) + " FROM (VALUES (0.0001::DECIMAL(18,4)), "
        "(-0.0001::DECIMAL(18,4)), (0.0003::DECIMAL(18,4)), (-0.0003::DECIMAL(18,4))) v(a)"
    ).fetchall()
    assert [value for (value,) in got] == [1, -1, 2, -2]


def test_the_largest_amounts_the_store_holds_are_read_and_an_overflow_is_an_error() -> None:
    connection = duckdb.connect()
    connection.execute(
        "CREATE TABLE t AS SELECT * FROM (VALUES (99999999999999.9999::DECIMAL(18,4), 'CNY'), "
        "(-99999999999999.9999::DECIMAL(18,4), 'KRW')) v(amount, currency)"
    )
    got = connection.execute(f"SELECT {units_sql('amount', 'currency', 'CNY', RATES)} FROM t").fetchall()
    assert [value for (value,) in got] == [
        999_999_999_999_999_999,
        expected(Decimal("-99999999999999.9999"), "KRW", "CNY"),
    ]
    with pytest.raises(duckdb.OutOfRangeException):  # 10^14 CNY is more KRW units than 64 bits hold
        connection.execute(f"SELECT {units_sql('amount', 'currency', 'KRW', RATES)} FROM t").fetchall()
