"""Values read as the exporter meant them: the fact patterns of issue 10, one test each.

Money is exact, integers are digits, times carry a plausible instant, IDs are scalars compared in
one Unicode form, and a bad optional value clears its field instead of rejecting the row.
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from sentinella.store import QUARANTINE_TABLE, TIMEZONE_META, Store, StoreError, TableReport, ingest_case
from support import CaseWriter, Ingest

MEMBERS = "member_id\nm1\nm2\n"
ORDERS_HEADER = "order_id,buyer_id,merchant_id,amount,currency,placed_at,status\n"


def _table(report, name: str) -> TableReport:  # type: ignore[no-untyped-def]
    return {t.table: t for t in report.tables}[name]


def _reasons(table: TableReport) -> dict[int, str]:
    return {p.row: p.reason for p in table.problems if p.row is not None}


def _orders(amounts: list[str], currency: str = "CNY", delimiter: str = ",") -> str:
    header = ORDERS_HEADER.replace(",", delimiter)
    lines = [
        delimiter.join(
            [f"o{i}", "m1", "s1", f'"{a}"' if delimiter in a else a, currency, "2024-01-01", "paid"]
        )
        for i, a in enumerate(amounts)
    ]
    return header + "\n".join(lines) + "\n"


# -- money ------------------------------------------------------------------------------------


def test_over_precise_exponent_and_underscore_amounts_are_rejected_with_their_form(
    ingest: Ingest, store: Store
) -> None:
    report = ingest({"members.csv": MEMBERS, "orders.csv": _orders(["129.99999", "1e3", "1_000", "129.99"])})
    orders = _table(report, "orders")
    assert (orders.imported, orders.rejected) == (1, 3)
    reasons = _reasons(orders)
    assert "'129.99999' has 5 decimal places; amounts are kept to 4, not rounded" in reasons[2]
    assert "exponent notation" in reasons[3]
    assert "'_' between digits" in reasons[4]
    stored = store.connection.execute("SELECT amount FROM orders").fetchall()
    assert stored == [(Decimal("129.9900"),)]


def test_semicolon_file_refuses_both_ambiguous_separators(ingest: Ingest, store: Store) -> None:
    text = _orders(["1.234", "1,234", "12,50", "1.234,56"], delimiter=";")
    orders = _table(ingest({"members.csv": MEMBERS, "orders.csv": text}), "orders")
    reasons = _reasons(orders)
    assert "'1.234' is ambiguous" in reasons[2] and "'1,234' is ambiguous" in reasons[3]
    amounts = store.connection.execute("SELECT order_id, amount FROM orders ORDER BY 1").fetchall()
    assert amounts == [("o2", Decimal("12.5000")), ("o3", Decimal("1234.5600"))]


def test_currency_symbols_are_read_only_when_they_agree_with_the_row(ingest: Ingest, store: Store) -> None:
    orders_csv = ORDERS_HEADER + (
        'o1,m1,s1,"¥1,980.00",CNY,2024-01-01,paid\n'
        'o2,m1,s1,"$1,980.00",USD,2024-01-01,paid\n'
        'o3,m1,s1,"$1,980.00",CNY,2024-01-01,paid\n'
        'o4,m1,s1,"1,234.56",EUR,2024-01-01,paid\n'
    )
    orders = _table(ingest({"members.csv": MEMBERS, "orders.csv": orders_csv}), "orders")
    assert orders.rejected == 1
    assert (
        "'$1,980.00' is written with $, which does not match the row's currency (CNY)" in _reasons(orders)[4]
    )
    amounts = dict(store.connection.execute("SELECT order_id, amount FROM orders").fetchall())
    assert amounts == {"o1": Decimal("1980"), "o2": Decimal("1980"), "o4": Decimal("1234.56")}


def test_parquet_floats_are_taken_only_when_exact_at_the_stored_scale(
    ingest: Ingest, store: Store, tmp_path: Path
) -> None:
    path = tmp_path / "o.parquet"
    pq.write_table(
        pa.table(
            {
                "order_id": ["o1", "o2", "o3"],
                "buyer_id": ["m1"] * 3,
                "merchant_id": ["s"] * 3,
                "amount": pa.array([19.99, 129.99999, 0.1], pa.float64()),
                "currency": ["CNY"] * 3,
                "placed_at": ["2024-01-01T00:00:00Z"] * 3,
                "status": ["paid"] * 3,
            }
        ),
        path,
    )
    orders = _table(ingest({"members.csv": MEMBERS, "orders.parquet": path.read_bytes()}), "orders")
    assert orders.rejected == 1 and "more than 4 decimal places" in _reasons(orders)[2]
    amounts = dict(store.connection.execute("SELECT order_id, amount FROM orders").fetchall())
    assert amounts == {"o1": Decimal("19.99"), "o3": Decimal("0.1")}


def test_integers_are_digits_only(ingest: Ingest, store: Store) -> None:
    reviews = "review_id,order_id,rating,created_at\n" + "".join(
        f"r{i},o1,{rating},2024-01-02\n" for i, rating in enumerate(["4.9999999", "2.0", "2.5", "4"])
    )
    table = _table(ingest({"reviews.csv": reviews}), "reviews")
    assert (table.imported, table.rejected) == (1, 3)  # rating is required: the rows go
    assert all("is not a whole number" in r for r in _reasons(table).values())
    assert store.connection.execute("SELECT rating FROM reviews").fetchall() == [(4,)]


def test_a_fractional_commission_level_clears_the_field_and_keeps_the_payment(
    ingest: Ingest, store: Store
) -> None:
    payments = (
        "payment_id,payer_id,payee_id,amount,currency,kind,paid_at,level\n"
        "p1,m1,m2,10.00,CNY,commission,2024-01-01,2.0\n"
    )
    table = _table(ingest({"members.csv": MEMBERS, "payments.csv": payments}), "payments")
    assert (table.imported, table.rejected, table.fields_cleared) == (1, 0, 1)
    assert store.connection.execute("SELECT level FROM payments").fetchall() == [(None,)]


# -- times ------------------------------------------------------------------------------------


def test_special_words_and_impossible_offsets_are_rejected(ingest: Ingest) -> None:
    text = ORDERS_HEADER + (
        "o1,m1,s1,1,CNY,epoch,paid\n"
        "o2,m1,s1,1,CNY,2024-01-01 10:00:00+25:00,paid\n"
        "o3,m1,s1,1,CNY,infinity,paid\n"
        "o4,m1,s1,1,CNY,2024-01-01 10:00:00+14:00,paid\n"
    )
    orders = _table(ingest({"members.csv": MEMBERS, "orders.csv": text}), "orders")
    reasons = _reasons(orders)
    assert "special words such as 'epoch'" in reasons[2]
    assert "offset beyond ±14:00" in reasons[3]
    assert "special words" in reasons[4]
    assert orders.imported == 1


def test_a_review_dated_2099_is_rejected_and_does_not_move_the_clock(ingest: Ingest, store: Store) -> None:
    reviews = "review_id,order_id,rating,created_at\nr1,o1,5,2099-01-01T00:00:00Z\nr2,o1,4,2024-05-01\n"
    table = _table(ingest({"reviews.csv": reviews}), "reviews")
    assert "is in the future" in _reasons(table)[2]
    latest = store.connection.execute("SELECT max(created_at) FROM reviews").fetchall()[0][0]
    assert latest.year == 2024


def test_naive_times_are_counted_as_utc_without_a_zone(ingest: Ingest, store: Store) -> None:
    text = ORDERS_HEADER + (
        "o1,m1,s1,1,CNY,2024-03-31 20:00:00,paid\n"
        "o2,m1,s1,1,CNY,2024-03-31,paid\n"
        "o3,m1,s1,1,CNY,2024-03-31T20:00:00+08:00,paid\n"
    )
    report = ingest({"members.csv": MEMBERS, "orders.csv": text})
    orders = _table(report, "orders")
    assert orders.to_dict()["naive_times"] == {"placed_at": 2}
    assert any("2 times without an offset taken as UTC: placed_at (2)" in n for n in orders.notes)
    assert store.get_meta(TIMEZONE_META) == "UTC"


def test_timezone_reads_local_exports_and_keeps_march_in_march(store: Store, write_case: CaseWriter) -> None:
    text = (
        ORDERS_HEADER + "o1,m1,s1,1,CNY,2024-03-31 20:00:00,paid\no2,m1,s1,1,CNY,2024-03-31T20:00:00Z,paid\n"
    )
    report = ingest_case(
        store, write_case({"members.csv": MEMBERS, "orders.csv": text}), timezone="Asia/Shanghai"
    )
    assert report.to_dict()["timezone"] == "Asia/Shanghai"
    assert any("read as Asia/Shanghai" in n for n in _table(report, "orders").notes)
    placed = dict(store.connection.execute("SELECT order_id, placed_at FROM orders").fetchall())
    assert placed["o1"] == dt.datetime(2024, 3, 31, 12, tzinfo=dt.UTC)  # 20:00 in Beijing
    assert placed["o2"] == dt.datetime(2024, 3, 31, 20, tzinfo=dt.UTC)  # an offset wins over the zone
    assert store.get_meta(TIMEZONE_META) == "Asia/Shanghai"


@pytest.mark.parametrize("zone", ["CST", "Asia/Shangai", "+08:00"])
def test_a_bad_timezone_is_refused_before_anything_is_read(
    store: Store, write_case: CaseWriter, zone: str
) -> None:
    with pytest.raises(StoreError, match="--timezone"):
        ingest_case(store, write_case({"members.csv": MEMBERS}), timezone=zone)
    assert store.row_count("members") == 0


# -- optional fields --------------------------------------------------------------------------


def test_a_bad_optional_field_keeps_the_member_and_their_downline(ingest: Ingest, store: Store) -> None:
    members = (
        "member_id,joined_at,sponsor_id,name\n"
        "m1,2024-01-01,,Root\n"
        "m2,02/01/2024 10:00,m1,Mid\n"
        "m3,2024-01-03,m2,Le\x00af\n"
        "m4,2024-01-04,m3,Down\n"
    )
    table = _table(ingest({"members.csv": members}), "members")
    assert (table.read, table.imported, table.rejected, table.fields_cleared) == (4, 4, 0, 2)
    assert table.status == "partial"
    rows = store.connection.execute(
        "SELECT member_id, joined_at IS NULL, sponsor_id, name FROM members ORDER BY 1"
    )
    assert rows.fetchall() == [
        ("m1", False, None, "Root"),
        ("m2", True, "m1", "Mid"),
        ("m3", False, "m2", None),
        ("m4", False, "m3", "Down"),
    ]
    kinds = store.connection.execute(
        f"SELECT row_number, column_name, kind, value FROM {QUARANTINE_TABLE} ORDER BY 1"
    ).fetchall()
    assert kinds == [(3, "joined_at", "field", "02/01/2024 10:00"), (4, "name", "field", "Le\x00af")]


def test_a_bad_required_value_still_rejects_the_row(ingest: Ingest) -> None:
    text = ORDERS_HEADER + "o1,m1,s1,1,CNY,02/01/2024 10:00,paid\n"
    orders = _table(ingest({"members.csv": MEMBERS, "orders.csv": text}), "orders")
    assert (orders.imported, orders.rejected, orders.fields_cleared) == (0, 1, 0)
    assert orders.problems[0].kind == "invalid"


def test_a_bad_value_in_an_optional_key_column_rejects_the_row(ingest: Ingest) -> None:
    ties = "member_a,member_b,kind\nm1,m2,friend\nm1,m2,enemy\n"
    table = _table(ingest({"members.csv": MEMBERS, "ties.csv": ties}), "ties")
    assert (table.imported, table.rejected, table.fields_cleared) == (1, 1, 0)


# -- IDs --------------------------------------------------------------------------------------


def test_ids_are_nfc_normalised_and_trimmed_of_invisible_characters(ingest: Ingest, store: Store) -> None:
    nfc, nfd = "Jos\u00e9", "Jose\u0301"
    members = f"member_id,name\n{nfc},a\n{nfd},a\n\u200bm2\ufeff,b\n\u00a0m3 ,c\n"
    table = _table(ingest({"members.csv": members}), "members")
    assert table.duplicate == 1  # é as NFC and as NFD is one member
    assert table.to_dict()["ids_cleaned"] == {"member_id": 3}
    assert any("IDs with surrounding spaces or invisible characters" in n for n in table.notes)
    ids = [r[0] for r in store.connection.execute("SELECT member_id FROM members ORDER BY 1").fetchall()]
    assert ids == [nfc, "m2", "m3"]


def test_json_ids_must_be_strings_or_whole_numbers(ingest: Ingest, store: Store) -> None:
    lines = [
        {"member_id": "m1"},
        {"member_id": 7},
        {"member_id": 1.0},
        {"member_id": {"a": 2}},
        {"member_id": [1]},
        {"member_id": True},
        {"member_id": "m9", "sponsor_id": 2.5},
    ]
    text = "\n".join(json.dumps(line) for line in lines) + "\n"
    table = _table(ingest({"members.jsonl": text}), "members")
    reasons = _reasons(table)
    assert "is a JSON number with a fraction or exponent" in reasons[3]
    assert "is a JSON object" in reasons[4] and "is a JSON array" in reasons[5]
    assert "is a JSON boolean" in reasons[6]
    assert (table.imported, table.rejected, table.fields_cleared) == (3, 4, 1)
    ids = store.connection.execute("SELECT member_id, sponsor_id FROM members ORDER BY 1").fetchall()
    assert ids == [("7", None), ("m1", None), ("m9", None)]


def test_parquet_float_ids_are_rejected_and_integer_ids_read_as_text(
    ingest: Ingest, store: Store, tmp_path: Path
) -> None:
    floats, ints = tmp_path / "f.parquet", tmp_path / "i.parquet"
    pq.write_table(pa.table({"member_id": pa.array([1.0, 2.0], pa.float64())}), floats)
    pq.write_table(pa.table({"member_id": pa.array([10, 11], pa.int64())}), ints)
    table = _table(
        ingest({"members/part-0.parquet": floats.read_bytes(), "members/part-1.parquet": ints.read_bytes()}),
        "members",
    )
    assert table.rejected == 2 and all("is a DOUBLE value" in p.reason for p in table.problems)
    ids = [r[0] for r in store.connection.execute("SELECT member_id FROM members ORDER BY 1").fetchall()]
    assert ids == ["10", "11"]


def test_reimporting_a_cleared_field_counts_a_duplicate_not_a_second_clearing(
    store: Store, write_case: CaseWriter
) -> None:
    case = write_case({"members.csv": "member_id,joined_at\nm1,02/01/2024\nm2,2024-01-02\n"})
    first = _table(ingest_case(store, case), "members")
    second = _table(ingest_case(store, case), "members")
    assert (first.imported, first.fields_cleared) == (2, 1)
    assert (second.imported, second.duplicate, second.fields_cleared) == (0, 2, 0)
