"""How figures read: money with currency and cents, level ranges that cover every level once."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from itertools import pairwise

from hypothesis import given
from hypothesis import strategies as st

from sentinella.report._format import amounts_in_text, figure, group_levels, level_ranges, money


def test_money_examples() -> None:
    assert money(Decimal("1866181.492"), "CNY") == "CNY 1,866,181.49"
    assert money(1866181.495, "CNY") == "CNY 1,866,181.50"  # half up, from the float's decimal text
    assert money(Decimal("-0.005")) == "-0.01"
    assert money(None, "CNY") == "—"
    assert amounts_in_text("entry fees of 22440.0000 CNY; 0.5 EUR") == "entry fees of CNY 22,440.00; EUR 0.50"
    assert figure(Decimal("2854.0280"), "recruitment_pay", "CNY") == "CNY 2,854.03"
    assert figure(0.5833, "share_no_income", "CNY") == "58.3%"
    assert figure(1, "share_of_pay_in_failing_periods", "CNY") == "100.0%"
    assert figure(16, "paid_participant_periods", "CNY") == "16"


@given(st.decimals(min_value=-(10**12), max_value=10**12, places=4, allow_nan=False, allow_infinity=False))
def test_money_keeps_the_value_to_the_cent(value: Decimal) -> None:
    text = money(value, "USD")
    assert text.startswith("USD ") and text.count(".") == 1 and len(text.split(".")[1]) == 2
    assert Decimal(text[4:].replace(",", "")) == value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


@given(st.lists(st.integers(1, 5000), min_size=1, max_size=200), st.integers(1, 40))
def test_level_ranges_cover_every_level_once(levels: list[int], most: int) -> None:
    ranges = level_ranges(levels, most)
    assert 1 <= len(ranges) <= most
    assert ranges[0][0] == min(levels) and ranges[-1][1] == max(levels)
    for (_, last), (first, _) in pairwise(ranges):
        assert first == last + 1  # contiguous, no overlap
    rows = [{"level": level, "people": 1} for level in levels]
    assert sum(g["people"] for g in group_levels(rows, ranges, ("people",))) == len(levels)
