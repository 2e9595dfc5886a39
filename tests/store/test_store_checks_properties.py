"""Property tests: the SQL column checks agree with a plain-Python reading of the contract."""

from __future__ import annotations

import datetime as dt
import unicodedata
from decimal import Decimal, InvalidOperation

import duckdb
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sentinella.contract import ISO_4217, ORDER_STATUSES, TABLES
from sentinella.store._checks import column_check

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")
CONNECTION = duckdb.connect()
CONNECTION.execute("SET TimeZone = 'UTC'")
ORDERS = TABLES["orders"]
REVIEWS = TABLES["reviews"]


def sql_trim(text: str) -> str:
    """DuckDB's trim(): strips Unicode space separators (category Zs), not tabs or newlines."""
    start, end = 0, len(text)
    while start < end and unicodedata.category(text[start]) == "Zs":
        start += 1
    while end > start and unicodedata.category(text[end - 1]) == "Zs":
        end -= 1
    return text[start:end]


words = st.text(alphabet=st.sampled_from("abcxyzABC019 .,-+:T€é"), max_size=12)


def evaluate(column_name: str, values: list[str | None], table=ORDERS) -> list[tuple[object, bool]]:  # type: ignore[no-untyped-def]
    check = column_check(table.column(column_name), '"raw"')
    CONNECTION.register("raw_values", pa.table({"raw": pa.array(values, pa.string())}))
    rows = CONNECTION.execute(
        f"SELECT {check.typed}, {check.problem}, {check.reason} FROM raw_values"
    ).fetchall()
    for _, problem, reason in rows:
        assert (reason is not None) == bool(problem)  # every refusal has a sentence
    return [(typed, bool(problem)) for typed, problem, _ in rows]


statuses = st.one_of(
    words,
    st.sampled_from(ORDER_STATUSES).map(lambda s: s.upper()),
    st.sampled_from(ORDER_STATUSES).map(lambda s: f"  {s} "),
)


@settings(max_examples=60, deadline=None)
@given(st.lists(statuses, min_size=1, max_size=20))
def test_enum_accepts_exactly_the_allowed_values(values: list[str]) -> None:
    for value, (typed, problem) in zip(values, evaluate("status", values), strict=True):
        cleaned = sql_trim(value).lower()
        assert problem == (cleaned not in ORDER_STATUSES)
        if not problem:
            assert typed == cleaned


amounts = st.decimals(min_value=Decimal("-1e9"), max_value=Decimal("1e9"), places=4, allow_nan=False)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.one_of(amounts.map(str), words), min_size=1, max_size=20))
def test_money_parses_decimals_and_refuses_negatives(values: list[str]) -> None:
    for value, (typed, problem) in zip(values, evaluate("amount", values), strict=True):
        try:
            expected: Decimal | None = Decimal(value.strip(" "))
        except InvalidOperation:
            expected = None
        if expected is not None and expected.is_finite() and "e" not in value.lower() and value.strip():
            assert problem == (expected < 0), value
            if not problem:
                assert typed == expected.quantize(Decimal("0.0001"))
        if not problem and typed is not None:
            assert Decimal(str(typed)) >= 0


instants = st.datetimes(
    min_value=dt.datetime(1971, 1, 1), max_value=dt.datetime(2099, 1, 1), timezones=st.timezones()
)


@settings(max_examples=60, deadline=None)
@given(st.lists(instants, min_size=1, max_size=10), st.sampled_from(["T", " "]))
def test_timestamps_with_offsets_keep_the_instant(values: list[dt.datetime], separator: str) -> None:
    texts = [v.replace(microsecond=0).isoformat(sep=separator) for v in values]
    for text, (typed, problem) in zip(texts, evaluate("placed_at", texts), strict=True):
        assert not problem
        assert isinstance(typed, dt.datetime)
        # The instant the text states (a local time in a DST gap still has one written offset).
        assert typed == dt.datetime.fromisoformat(text)


@settings(max_examples=60, deadline=None)
@given(st.lists(words, min_size=1, max_size=20))
def test_timestamp_text_never_crashes_and_accepted_values_are_in_range(values: list[str]) -> None:
    for typed, problem in evaluate("placed_at", values):
        if not problem:
            assert isinstance(typed, dt.datetime)
            assert 1970 <= typed.year < 2100


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.one_of(st.integers(-10, 10).map(str), st.sampled_from(["4.0", "4.5", "x", "", " 5 "])), min_size=1
    )
)
def test_ratings_are_whole_numbers_from_one_to_five(values: list[str]) -> None:
    for value, (typed, problem) in zip(values, evaluate("rating", values, REVIEWS), strict=True):
        stripped = value.strip()
        try:
            number = Decimal(stripped)
            whole = number == number.to_integral_value()
        except InvalidOperation:
            number, whole = None, False
        expected_ok = whole and number is not None and 1 <= number <= 5
        assert problem == (not expected_ok), value
        if expected_ok:
            assert typed == int(number)  # type: ignore[arg-type]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZabcnyu", min_size=0, max_size=4), min_size=1))
def test_currency_codes(values: list[str]) -> None:
    for value, (typed, problem) in zip(values, evaluate("currency", values), strict=True):
        code = sql_trim(value).upper()
        assert problem == (code not in ISO_4217)
        if not problem:
            assert typed == code


@settings(max_examples=60, deadline=None)
@given(st.lists(st.one_of(words, st.text(alphabet="ab \xa0\t", min_size=250, max_size=260)), min_size=1))
def test_required_ids(values: list[str]) -> None:
    for value, (typed, problem) in zip(values, evaluate("order_id", values), strict=True):
        cleaned = sql_trim(value)
        expected_problem = cleaned == "" or len(cleaned) > 256 or "\x00" in cleaned
        assert problem == expected_problem
        if not problem:
            assert typed == cleaned
