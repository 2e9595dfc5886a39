"""Property tests: the SQL column checks agree with a plain-Python reading of the contract.

Money and times are read exactly: every accepted form gives back the value it was written from,
and every over-precise or ambiguous form is refused with a reason that names the form.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
import zoneinfo
from decimal import Decimal

import duckdb
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sentinella.contract import EARLIEST_TIME, ISO_4217, ORDER_STATUSES, TABLES
from sentinella.store._checks import INVISIBLE, CheckOptions, column_check, currency_sql

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")
CONNECTION = duckdb.connect()
CONNECTION.execute("SET TimeZone = 'UTC'")
ORDERS = TABLES["orders"]
REVIEWS = TABLES["reviews"]
NOW = dt.datetime.now(dt.UTC)
CURRENCY = currency_sql("NULLIF(trim(\"cur\"), '')")


def sql_trim(text: str) -> str:
    """DuckDB's trim(): strips Unicode space separators (category Zs), not tabs or newlines."""
    start, end = 0, len(text)
    while start < end and unicodedata.category(text[start]) == "Zs":
        start += 1
    while end > start and unicodedata.category(text[end - 1]) == "Zs":
        end -= 1
    return text[start:end]


words = st.text(alphabet=st.sampled_from("abcxyzABC019 .,-+:T€é"), max_size=12)


def evaluate_full(
    column_name: str,
    values: list[str | None],
    table=ORDERS,  # type: ignore[no-untyped-def]
    *,
    currencies: list[str] | None = None,
    options: CheckOptions | None = None,
) -> list[tuple[object, bool, str | None]]:
    """(typed, problem, reason) of each raw value, computed as ingestion does: a projection of
    the typed values, then the rules over it."""
    check = column_check(
        table.column(column_name),
        '"raw"',
        options=options,
        currency=(CURRENCY, '"c"') if currencies is not None else None,
        refs=('"v"', '"t"', '"a"', '"r"'),
    )
    data = {"raw": pa.array(values, pa.string())}
    data["cur"] = pa.array(currencies or ["CNY"] * len(values), pa.string())
    CONNECTION.register("raw_values", pa.table(data))
    rows = CONNECTION.execute(
        f"SELECT v, {check.problem}, {check.reason} FROM (SELECT {check.typed} AS v, {check.shown} AS t, "
        f"{check.aux or 'NULL'} AS a, raw AS r, {CURRENCY} AS c FROM raw_values)"
    ).fetchall()
    for _, problem, reason in rows:
        assert (reason is not None) == bool(problem)  # every refusal has a sentence
    return [(typed, bool(problem), reason) for typed, problem, reason in rows]


def evaluate(column_name: str, values: list[str | None], table=ORDERS) -> list[tuple[object, bool]]:  # type: ignore[no-untyped-def]
    return [(typed, problem) for typed, problem, _ in evaluate_full(column_name, values, table)]


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


# -- money ------------------------------------------------------------------------------------

amounts = st.decimals(min_value=Decimal(0), max_value=Decimal("1e13") - 1, places=4, allow_nan=False)
SYMBOLS = {"CNY": "¥", "USD": "$", "EUR": "€", "GBP": "£", "HKD": "HK$", "JPY": "¥"}


def _with_thousands(value: Decimal, places: int, thousands: str = ",", mark: str = ".") -> str:
    text = f"{value:,.{places}f}"
    return text.replace(",", "\0").replace(".", mark).replace("\0", thousands)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(amounts, st.sampled_from(sorted(SYMBOLS))), min_size=1, max_size=12))
def test_every_accepted_money_form_reads_back_exactly(pairs: list[tuple[Decimal, str]]) -> None:
    texts, currencies, expected = [], [], []
    for value, code in pairs:
        places = max(0, -value.as_tuple().exponent)  # type: ignore[operator]
        exact = value.quantize(Decimal("0.01")) if places <= 2 else value
        shown = 2 if places <= 2 else places
        forms = [
            f"{value:f}",  # plain
            _with_thousands(exact, shown),  # 1,234.56
            SYMBOLS[code] + _with_thousands(exact, shown),  # ¥1,234.56 with its own currency
            f"{SYMBOLS[code]} {exact:.{shown}f}",
        ]
        for form in forms:
            texts.append(form)
            currencies.append(code)
            expected.append(value)
    for text, want, (typed, problem, reason) in zip(
        texts, expected, evaluate_full("amount", texts, currencies=currencies), strict=True
    ):
        assert not problem, (text, reason)
        assert typed == want, text


@settings(max_examples=60, deadline=None)
@given(st.lists(amounts, min_size=1, max_size=12))
def test_semicolon_files_read_decimal_commas_exactly(values: list[Decimal]) -> None:
    options = CheckOptions(decimal_comma=True)
    texts = [_with_thousands(v.quantize(Decimal("0.01")), 2, thousands=".", mark=",") for v in values]
    texts += [f"{v.quantize(Decimal('0.01')):.2f}".replace(".", ",") for v in values]
    results = evaluate_full("amount", texts, options=options)
    for text, (typed, problem, reason) in zip(texts, results, strict=True):
        assert not problem, (text, reason)
        assert typed == Decimal(text.replace(".", "").replace(",", ".")), text


@settings(max_examples=60, deadline=None)
@given(st.lists(amounts, min_size=1, max_size=10), st.integers(5, 8))
def test_amounts_finer_than_the_stored_scale_are_refused_not_rounded(
    values: list[Decimal], places: int
) -> None:
    texts = [f"{v:.4f}" + "9" * (places - 4) for v in values]
    for text, (typed, problem, reason) in zip(texts, evaluate_full("amount", texts), strict=True):
        assert problem and typed is None
        assert f"has {places} decimal places" in str(reason), (text, reason)


@settings(max_examples=30, deadline=None)
@given(st.integers(1, 999), st.integers(0, 999), st.booleans())
def test_ambiguous_separators_are_refused(whole: int, group: int, comma: bool) -> None:
    text = f"{whole}{',' if comma else '.'}{group:03d}"
    # In a ';' file either separator is ambiguous; in a ',' file only the comma is.
    for decimal_comma in (True, False):
        typed, problem, reason = evaluate_full(
            "amount", [text], options=CheckOptions(decimal_comma=decimal_comma)
        )[0]
        if comma or decimal_comma:
            assert problem and "is ambiguous" in str(reason), (text, decimal_comma, reason)
        else:
            assert not problem and typed == Decimal(text)


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 10**6), st.integers(0, 6), st.sampled_from(["e", "E"]))
def test_exponents_and_underscores_are_refused_with_their_form(mantissa: int, exponent: int, e: str) -> None:
    exp_text = f"{mantissa}{e}{exponent}"
    digits = str(mantissa * 1000)
    underscored = digits[:-3] + "_" + digits[-3:]
    (_, p1, r1), (_, p2, r2) = evaluate_full("amount", [exp_text, underscored])
    assert p1 and "exponent notation" in str(r1)
    assert p2 and "'_'" in str(r2)


@settings(max_examples=20, deadline=None)
@given(st.lists(amounts, min_size=1, max_size=8))
def test_a_symbol_of_another_currency_is_refused(values: list[Decimal]) -> None:
    texts = ["$" + _with_thousands(v.quantize(Decimal("0.01")), 2) for v in values]
    results = evaluate_full("amount", texts, currencies=["CNY"] * len(texts))
    for _, problem, reason in results:
        assert problem and "does not match the row's currency (CNY)" in str(reason)


@settings(max_examples=60, deadline=None)
@given(st.lists(words, min_size=1, max_size=20))
def test_money_text_never_crashes_and_accepted_values_are_non_negative(values: list[str]) -> None:
    for typed, problem in evaluate("amount", values):
        if not problem and typed is not None:
            assert Decimal(str(typed)) >= 0


# -- times ------------------------------------------------------------------------------------

instants = st.datetimes(
    min_value=dt.datetime(1990, 1, 2), max_value=dt.datetime(2026, 1, 1), timezones=st.timezones()
)


@settings(max_examples=60, deadline=None)
@given(st.lists(instants, min_size=1, max_size=10), st.sampled_from(["T", " "]))
def test_timestamps_with_offsets_keep_the_instant(values: list[dt.datetime], separator: str) -> None:
    texts = [v.replace(microsecond=0).isoformat(sep=separator) for v in values]
    for text, (typed, problem, reason) in zip(texts, evaluate_full("placed_at", texts), strict=True):
        offset = dt.datetime.fromisoformat(text).utcoffset()
        assert offset is not None
        if abs(offset) > dt.timedelta(hours=14):
            assert problem and "offset beyond ±14:00" in str(reason)
            continue
        assert not problem, (text, reason)
        assert isinstance(typed, dt.datetime)
        # The instant the text states (a local time in a DST gap still has one written offset).
        assert typed == dt.datetime.fromisoformat(text)


zones = st.sampled_from(["Asia/Shanghai", "Europe/Rome", "America/New_York", "Asia/Taipei", "UTC"])
local_times = st.datetimes(min_value=dt.datetime(1990, 1, 2), max_value=dt.datetime(2026, 1, 1))


@settings(max_examples=60, deadline=None)
@given(st.lists(local_times, min_size=1, max_size=10), zones)
def test_times_without_an_offset_are_read_in_the_given_zone(values: list[dt.datetime], zone: str) -> None:
    texts = [v.replace(microsecond=0).isoformat(sep=" ") for v in values]
    results = evaluate_full("placed_at", texts, options=CheckOptions(timezone=zone))
    for text, (typed, problem, reason) in zip(texts, results, strict=True):
        assert not problem, (text, reason)
        local = dt.datetime.fromisoformat(text)
        expected = local.replace(tzinfo=zoneinfo.ZoneInfo(zone))
        in_gap = expected.astimezone(dt.UTC).astimezone(expected.tzinfo).replace(tzinfo=None) != local
        in_fold = expected.replace(fold=1).utcoffset() != expected.utcoffset()
        if in_gap or in_fold:  # a local time that names no instant, or two: either reading is fair
            continue
        assert typed == expected, text


@settings(max_examples=60, deadline=None)
@given(st.integers(15, 23), st.sampled_from(["+", "-"]), st.sampled_from(["00", "30"]))
def test_offsets_beyond_fourteen_hours_are_refused(hours: int, sign: str, minutes: str) -> None:
    text = f"2024-01-01 10:00:00{sign}{hours:02d}:{minutes}"
    _, problem, reason = evaluate_full("placed_at", [text])[0]
    assert problem and "offset beyond ±14:00" in str(reason)


@settings(max_examples=40, deadline=None)
@given(
    st.datetimes(min_value=dt.datetime(1, 1, 1), max_value=dt.datetime(1989, 12, 31)),
    st.datetimes(min_value=dt.datetime(NOW.year + 1, 1, 1), max_value=dt.datetime(9999, 1, 1)),
)
def test_implausible_times_are_refused(early: dt.datetime, late: dt.datetime) -> None:
    texts = [f"{early:%Y-%m-%d %H:%M:%S}+00:00", f"{late:%Y-%m-%d %H:%M:%S}+00:00"]
    (_, p1, r1), (_, p2, r2) = evaluate_full("placed_at", texts)
    assert p1 and f"before {EARLIEST_TIME:%Y-%m-%d}" in str(r1)
    assert p2 and "is in the future" in str(r2)


@pytest.mark.parametrize("word", ["epoch", "infinity", "-infinity", "EPOCH"])
def test_special_time_words_are_refused(word: str) -> None:
    _, problem, reason = evaluate_full("placed_at", [word])[0]
    assert problem and "special words" in str(reason)


@settings(max_examples=60, deadline=None)
@given(st.lists(words, min_size=1, max_size=20))
def test_timestamp_text_never_crashes_and_accepted_values_are_in_range(values: list[str]) -> None:
    for typed, problem in evaluate("placed_at", values):
        if not problem:
            assert isinstance(typed, dt.datetime)
            assert EARLIEST_TIME <= typed <= NOW + dt.timedelta(days=1)


# -- integers ---------------------------------------------------------------------------------


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.integers(-10, 10).map(str),
            st.sampled_from(["4.0", "4.5", "x", "", " 5 ", "4.9999999", "5e0", "0x5", "1_0", "+3"]),
        ),
        min_size=1,
    )
)
def test_ratings_are_whole_numbers_from_one_to_five_written_as_digits(values: list[str]) -> None:
    for value, (typed, problem) in zip(values, evaluate("rating", values, REVIEWS), strict=True):
        stripped = value.strip()
        digits = stripped.lstrip("+-").isdigit() and stripped.count("+") + stripped.count("-") <= 1
        expected_ok = digits and 1 <= int(stripped) <= 5
        assert problem == (not expected_ok), value
        if expected_ok:
            assert typed == int(stripped)


# -- codes and IDs ----------------------------------------------------------------------------


@settings(max_examples=60, deadline=None)
@given(st.lists(st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZabcnyu", min_size=0, max_size=4), min_size=1))
def test_currency_codes(values: list[str]) -> None:
    for value, (typed, problem) in zip(values, evaluate("currency", values), strict=True):
        code = sql_trim(value).upper()
        assert problem == (code not in ISO_4217)
        if not problem:
            assert typed == code


padding = st.text(alphabet=" \t\u00a0\u200b\ufeff\u2060\u3000", max_size=3)
cores = st.text(alphabet="abAB09-_éèe\u0301ñn\u0303", min_size=0, max_size=12)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(padding, cores, padding), min_size=1, max_size=20))
def test_ids_are_trimmed_of_invisible_characters_and_nfc_normalised(
    parts: list[tuple[str, str, str]],
) -> None:
    values = [left + core + right for left, core, right in parts]
    for value, (typed, problem, _) in zip(values, evaluate_full("order_id", values), strict=True):
        cleaned = unicodedata.normalize("NFC", value.strip(" " + INVISIBLE))
        if not cleaned:
            assert problem  # empty or only invisible: a required key is missing
            continue
        assert not problem and typed == cleaned, repr(value)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.one_of(words, st.text(alphabet="ab \xa0\t", min_size=250, max_size=260)), min_size=1))
def test_required_ids(values: list[str]) -> None:
    for value, (typed, problem) in zip(values, evaluate("order_id", values), strict=True):
        cleaned = value.strip(" " + INVISIBLE)
        expected_problem = cleaned == "" or len(cleaned) > 256 or "\x00" in cleaned
        assert problem == expected_problem
        if not problem:
            assert typed == unicodedata.normalize("NFC", cleaned)
