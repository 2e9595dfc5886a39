"""Hostile files never crash or hang an import; each gets a clear, located message."""

from __future__ import annotations

import json

import pyarrow as pa
import pyarrow.parquet as pq

from sentinella.store import Store
from support import MEMBERS_HEADER, ORDERS_HEADER, Ingest


def _members(report):  # type: ignore[no-untyped-def]
    return {t.table: t for t in report.tables}["members"]


def test_empty_file_is_a_file_error(ingest: Ingest) -> None:
    report = ingest({"members.csv": b""})
    assert report.exit_code == 2
    assert "members.csv: is empty" in _members(report).errors[0]


def test_header_only_imports_nothing_and_succeeds(ingest: Ingest) -> None:
    report = ingest({"members.csv": MEMBERS_HEADER})
    assert report.exit_code == 0 and _members(report).read == 0


def test_semicolon_and_tab_delimiters_are_detected(ingest: Ingest, store: Store) -> None:
    report = ingest(
        {
            "members.tsv": "member_id\tname\nm1\tAnn\n",
            "orders.csv": ORDERS_HEADER.replace(",", ";") + "o1;m1;s1;12,50;EUR;2024-01-01;paid\n",
        }
    )
    assert report.exit_code == 0, [t.to_dict() for t in report.tables]
    assert store.row_count("members") == 1
    # Semicolon files come from locales where the comma is the decimal mark.
    assert store.connection.execute("SELECT CAST(amount AS VARCHAR) FROM orders").fetchall() == [("12.5000",)]


def test_decimal_comma_in_comma_files_is_read_only_when_unambiguous(ingest: Ingest, store: Store) -> None:
    rows = 'o1,m1,s1,"12,50",EUR,2024-01-01,paid\no2,m1,s1,"1,234",EUR,2024-01-01,paid\n'
    report = ingest({"orders.csv": ORDERS_HEADER + rows})
    orders = {t.table: t for t in report.tables}["orders"]
    assert (orders.imported, orders.rejected) == (1, 1)
    assert "'1,234' is ambiguous" in orders.problems[0].reason
    assert store.connection.execute("SELECT CAST(amount AS VARCHAR) FROM orders").fetchall() == [("12.5000",)]


def test_wrong_delimiter_header_is_explained(ingest: Ingest) -> None:
    report = ingest({"members.csv": "member_id:name\nm1:Ann\n"})
    assert report.exit_code == 2
    assert "has none of the columns of table 'members'" in _members(report).errors[0]


def test_bom_and_header_case_are_accepted(ingest: Ingest, store: Store) -> None:
    report = ingest({"members.csv": "\ufeffMember ID,Name\nm1,Ann\n".encode()})
    assert report.exit_code == 0
    assert store.connection.execute("SELECT name FROM members").fetchall() == [("Ann",)]


def test_mixed_encodings_reject_only_the_bad_rows(ingest: Ingest) -> None:
    content = b"member_id,name\nm1,Ann\nm2,Caf\xe9\nm3,Bo\n"
    members = _members(ingest({"members.csv": content}))
    assert (members.imported, members.rejected) == (2, 1)
    assert members.problems[0].row == 3
    assert "not valid UTF-8" in members.problems[0].reason


def test_ten_megabyte_field(ingest: Ingest, store: Store) -> None:
    big = "x" * (10 << 20)
    members = _members(ingest({"members.csv": f"member_id,name\nm1,{big}\nm2,Bo\n"}))
    # name is optional: the member is kept with the name cleared, and the value quarantined.
    assert (members.imported, members.rejected, members.fields_cleared) == (2, 0, 1)
    assert store.connection.execute("SELECT name FROM members WHERE member_id = 'm1'").fetchall() == [(None,)]
    assert "MB, over the 1 MB limit" in members.problems[0].reason
    assert len(members.problems[0].reason) < 200  # the message quotes a short prefix only
    record = store.connection.execute("SELECT length(record) FROM ingest_quarantine").fetchall()[0][0]
    assert record > 10 << 20  # the whole row is kept in quarantine


def test_nul_bytes(ingest: Ingest, store: Store) -> None:
    members = _members(ingest({"members.csv": b"member_id,name\nm1,A\x00B\nm2,Bo\nm\x003,Cy\n"}))
    # A NUL in an optional text field clears that field; in an ID it rejects the row.
    assert (members.imported, members.rejected, members.fields_cleared) == (2, 1, 1)
    assert members.problems[0].row == 2 and "NUL byte" in members.problems[0].reason
    assert members.problems[0].kind == "field"
    assert members.problems[1].row == 4 and members.problems[1].kind == "invalid"
    names = store.connection.execute("SELECT member_id, name FROM members ORDER BY 1").fetchall()
    assert names == [("m1", None), ("m2", "Bo")]


def test_ragged_rows_and_bad_quotes_are_located(ingest: Ingest) -> None:
    content = 'member_id,name\nm1,Ann\nm2\nm3,"Bo"x\nm4,Cy,extra\n"m5","multi\nline"\nm6,Di\nm7,"2024-13-01\n'
    members = _members(ingest({"members.csv": content}))
    rows = {p.row: p.reason for p in members.problems}
    assert rows[3] == "has fewer fields than the header"
    assert "quote" in rows[4]
    assert rows[5] == "has more fields than the header"
    assert members.imported == 3  # m1, m5 (multi-line), m6


def test_row_numbers_follow_the_editor_after_multiline_fields(ingest: Ingest) -> None:
    content = 'member_id,joined_at,name\nm1,2024-01-01,"two\nlines"\nm2,2024-13-01,Bo\n'
    members = _members(ingest({"members.csv": content}))
    assert members.problems[0].row == 4  # header 1, m1 on lines 2-3, m2 on line 4


def test_truncated_parquet(ingest: Ingest, tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "m.parquet"
    pq.write_table(pa.table({"member_id": [f"m{i}" for i in range(100)]}), path)
    data = path.read_bytes()
    report = ingest({"members.parquet": data[: len(data) - 20]})
    assert report.exit_code == 2
    assert "not a readable Parquet file" in _members(report).errors[0]


def test_parquet_with_string_typed_columns(ingest: Ingest, store: Store, tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "o.parquet"
    pq.write_table(
        pa.table(
            {
                "order_id": ["o1", "o2"],
                "buyer_id": ["m1", "m1"],
                "merchant_id": ["s", "s"],
                "amount": ["1.5", "-2"],
                "currency": ["usd", "USD"],
                "placed_at": ["2024-01-01T00:00:00Z", "2024-01-02"],
                "status": ["Paid", "paid"],
            }
        ),
        path,
    )
    report = ingest({"members.csv": "member_id\nm1\n", "orders.parquet": path.read_bytes()})
    orders = {t.table: t for t in report.tables}["orders"]
    assert (orders.imported, orders.rejected) == (1, 1)
    assert orders.problems[0].sentence() == "orders.parquet row 2, column amount: '-2' is negative"
    assert store.connection.execute("SELECT currency, status FROM orders").fetchall() == [("USD", "paid")]


def test_json_lines_that_are_not_objects(ingest: Ingest, store: Store) -> None:
    lines = [
        json.dumps({"member_id": "m1", "name": "Ann"}),
        "",
        "[1, 2]",
        '"just a string"',
        "{broken",
        json.dumps({"member_id": "m2", "name": {"nested": True}}),
        "42",
    ]
    members = _members(ingest({"members.jsonl": "\n".join(lines) + "\n"}))
    rows = {p.row: p.reason for p in members.problems}
    assert rows == {
        3: "is a JSON array, not an object",
        4: "is a JSON string, not an object",
        5: "is not valid JSON",
        7: "is a JSON number, not an object",
    }
    assert members.imported == 2
    assert store.connection.execute("SELECT name FROM members WHERE member_id='m2'").fetchall() == [
        ('{"nested":true}',)
    ]
