"""Ingestion of whole cases: counts, exit codes, idempotence, conflicts, atomicity."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from sentinella.contract import TABLES
from sentinella.engine import EngineSettings
from sentinella.store import QUARANTINE_TABLE, Store, ingest_case
from sentinella.store import _ingest as ingest_module
from support import EXAMPLES, MEMBERS_HEADER, ORDERS_HEADER, Ingest

SAMPLE_COUNTS = {
    "members": 21,
    "merchants": 4,
    "listings": 8,
    "orders": 15,
    "reviews": 9,
    "payments": 12,
    "ties": 9,
    "posts": 4,
    "media": 3,
}


def test_sample_case_imports_every_table(store: Store) -> None:
    report = ingest_case(store, EXAMPLES / "sample-case")
    assert report.exit_code == 0, [t.to_dict() for t in report.tables]
    assert {t.table: t.imported for t in report.tables} == SAMPLE_COUNTS
    assert {t.name: t.rows for t in store.tables() if t.kind == "input"} == SAMPLE_COUNTS
    assert set(SAMPLE_COUNTS) == set(TABLES)


def test_sample_values_are_typed_and_in_utc(store: Store) -> None:
    ingest_case(store, EXAMPLES / "sample-case")
    row = store.connection.execute(
        "SELECT CAST(placed_at AS VARCHAR), amount, quantity FROM orders WHERE order_id = 'O001'"
    ).fetchall()[0]
    assert row[0] == "2024-02-01 02:00:00+00"  # 10:00 +08:00
    assert str(row[1]) == "329.0000"
    assert row[2] == 1


def test_broken_case_names_every_bad_row(store: Store) -> None:
    report = ingest_case(store, EXAMPLES / "broken-case")
    assert report.exit_code == 1
    by_table = {t.table: t for t in report.tables}
    sentences = [p.sentence() for t in report.tables for p in t.problems]
    expected = [
        "members.csv row 4, column joined_at: '2024-13-01' is not a date/time",
        "members.csv row 24, column member_id: member_id 'M002' is already imported with different "
        "values (differs in: name)",
        "orders.csv row 3, column status: 'lost_in_post' is not a known status",
        "orders.csv row 4, column amount: '-329.00' is negative",
        "orders.csv row 5, column placed_at: 'yesterday' is not a date/time",
        "reviews.jsonl row 11, column rating: '9' is outside 1–5",
        "reviews.jsonl row 12: is a JSON array, not an object",
        "reviews.jsonl row 13: is not valid JSON",
        "payments.csv row 14, column amount: 'ten' is not an amount",
        "payments.csv row 15, column currency: 'RMB' is not an ISO 4217 currency code (use CNY)",
        "payments.csv row 15, column kind: 'commision' is not a known kind",
        "payments.csv row 15, column level: '0' is below 1",
    ]
    for start in expected:
        assert any(s.startswith(start) for s in sentences), start
    assert len(sentences) == len(expected)
    assert by_table["listings"].status == "failed"
    assert "listings.parquet: is not a readable Parquet file" in by_table["listings"].errors[0]
    assert by_table["orders"].duplicate == 1  # O001 twice with the same content
    assert by_table["members"].conflict == 1
    # A review of an order that does not exist is kept and reported, not rejected.
    assert store.connection.execute("SELECT count(*) FROM reviews WHERE review_id = 'R100'").fetchall() == [
        (1,)
    ]
    assert report.notices["reviews.order_id → orders.order_id"] >= 1
    quarantined = store.row_count(QUARANTINE_TABLE)
    assert quarantined == len(expected)


def test_reimport_changes_nothing(store: Store) -> None:
    logs = ("ingest_runs", QUARANTINE_TABLE)
    first = ingest_case(store, EXAMPLES / "broken-case")
    counts = {t.name: t.rows for t in store.tables() if t.name not in logs}
    second = ingest_case(store, EXAMPLES / "broken-case")
    assert {t.name: t.rows for t in store.tables() if t.name not in logs} == counts
    # The quarantine keeps each run's refusals: the same ones again, under the second run's id.
    per_run = store.connection.execute(
        f"SELECT run_id, count(*) FROM {QUARANTINE_TABLE} GROUP BY run_id ORDER BY min(rowid)"
    ).fetchall()
    assert [n for _, n in per_run] == [12, 12]
    assert [r for r, _ in per_run] == [first.run_id, second.run_id]
    assert second.imported == 0
    assert second.exit_code == first.exit_code == 1
    for before, after in zip(first.tables, second.tables, strict=True):
        assert after.duplicate == before.imported + before.duplicate
        assert after.rejected == before.rejected


def test_conflicting_reimport_keeps_the_first_row(ingest: Ingest, store: Store) -> None:
    ingest({"members.csv": MEMBERS_HEADER + "m1,2024-01-01,,Ann\n"})
    report = ingest({"members.csv": MEMBERS_HEADER + "m1,2024-01-01,,Anne\nm2,2024-01-02,m1,Bo\n"})
    members = report.tables[0]
    assert (members.imported, members.conflict) == (1, 1)
    assert "differs in: name" in members.problems[0].reason
    assert store.connection.execute("SELECT name FROM members WHERE member_id='m1'").fetchall() == [("Ann",)]


def test_duplicate_within_a_file(ingest: Ingest) -> None:
    report = ingest({"members.csv": MEMBERS_HEADER + "m1,,,A\nm1,,,A\nm1,,,B\n"})
    members = report.tables[0]
    assert (members.imported, members.duplicate, members.conflict) == (1, 1, 1)
    assert members.problems[0].row == 4


def test_failure_mid_table_rolls_the_table_back(
    store: Store, write_case, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder: Path = write_case(
        {
            "members.csv": MEMBERS_HEADER + "m1,,,A\n",
            "orders/part-0.csv": ORDERS_HEADER + "o1,m1,s1,1,CNY,2024-01-01,paid\n",
            "orders/part-1.csv": ORDERS_HEADER + "o2,m1,s1,1,CNY,2024-01-01,paid\n",
        }
    )
    original = ingest_module.load_checked
    calls = {"n": 0}

    def failing(*args, **kwargs):  # type: ignore[no-untyped-def]
        if args[1].name == "orders":
            calls["n"] += 1
            if calls["n"] == 2:
                raise RuntimeError("disk full")
        return original(*args, **kwargs)

    monkeypatch.setattr(ingest_module, "load_checked", failing)
    report = ingest_case(store, folder)
    orders = {t.table: t for t in report.tables}["orders"]
    assert orders.status == "failed" and "rolled back" in orders.errors[0]
    assert store.row_count("orders") == 0  # part-0 was written, then undone
    assert store.row_count("members") == 1
    assert report.exit_code == 1


def test_ctrl_c_leaves_the_table_as_it_was(store: Store, write_case, monkeypatch: pytest.MonkeyPatch) -> None:
    folder: Path = write_case({"members.csv": MEMBERS_HEADER + "m1,,,A\nm2,,,B\n"})
    original = ingest_module.load_checked

    def interrupted(*args, **kwargs):  # type: ignore[no-untyped-def]
        original(*args, **kwargs)  # the rows are inserted, then the user presses Ctrl-C
        raise KeyboardInterrupt

    monkeypatch.setattr(ingest_module, "load_checked", interrupted)
    with pytest.raises(KeyboardInterrupt):
        ingest_case(store, folder)
    assert store.row_count("members") == 0


def test_exit_codes(ingest: Ingest, store: Store, tmp_path: Path) -> None:
    assert ingest_case(store, tmp_path / "missing").exit_code == 2
    assert ingest({"notes.txt": "hello"}).exit_code == 2
    missing_column = ingest({"members.csv": "name\nAnn\n"})
    assert missing_column.exit_code == 2
    assert "missing required column member_id" in missing_column.tables[0].errors[0] or (
        "none of the columns" in missing_column.tables[0].errors[0]
    )
    spreadsheet = ingest({"members.csv": MEMBERS_HEADER + "m9,,,Z\n", "orders.xlsx": b"PK\x03\x04"})
    assert spreadsheet.exit_code == 1
    assert "orders.xlsx: unknown file format '.xlsx'" in spreadsheet.errors[0]


def test_parquet_part_folder_and_mixed_formats(store: Store, write_case) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    folder: Path = write_case({"members.csv": MEMBERS_HEADER + "m1,,,A\n"})
    (folder / "orders").mkdir()
    schema = TABLES["orders"].arrow_schema()
    for part in range(2):
        rows = [
            {
                "order_id": f"o{part}{i}",
                "buyer_id": "m1",
                "merchant_id": "s1",
                "amount": __import__("decimal").Decimal("9.90"),
                "currency": "CNY",
                "placed_at": __import__("datetime").datetime(2024, 1, 1, tzinfo=__import__("datetime").UTC),
                "status": "paid",
            }
            for i in range(3)
        ]
        pq.write_table(pa.Table.from_pylist(rows, schema=schema), folder / "orders" / f"part-{part}.parquet")
    report = ingest_case(store, folder)
    assert report.exit_code == 0
    assert store.row_count("orders") == 6


def test_hashed_identities(store: Store, write_case) -> None:
    folder: Path = write_case({"members.csv": "member_id,phone\nm1,+86 138\nm2,+86 138\n"})
    ingest_case(store, folder, identity_salt="pepper")
    phones = store.connection.execute("SELECT DISTINCT phone FROM members").fetchall()
    assert len(phones) == 1 and "138" not in phones[0][0] and len(phones[0][0]) == 64
    with pytest.raises(Exception, match="same --salt"):
        ingest_case(store, folder)


def test_media_part_files_beside_the_images(store: Store, write_case) -> None:  # type: ignore[no-untyped-def]
    folder: Path = write_case(
        {
            "members.csv": MEMBERS_HEADER + "m1,,,A\n",
            "media/part-00000.csv": "media_id,path\nI1,media/ab/I1.jpg\n",
            "media/ab/I1.jpg": b"\xff\xd8\xff\xe0 not really a jpeg",
        }
    )
    report = ingest_case(store, folder)
    assert report.exit_code == 0 and store.row_count("media") == 1
    assert report.ignored == []


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_rows_are_stored_in_the_files_order_on_two_threads(tmp_path: Path, fmt: str) -> None:
    """Row ids number members and break ties in the analyses: they follow the file, whatever is
    set aside (bad rows, repeated keys, cleared fields) and however many threads read it."""
    case = tmp_path / "case"
    case.mkdir()
    rows = 400_000
    connection = duckdb.connect()
    connection.execute(
        f"""CREATE TABLE o AS SELECT
          'O' || lpad(CAST(CASE WHEN i % 99991 = 5 THEN i - 1 ELSE i END AS VARCHAR), 8, '0') AS order_id,
          'M1' AS buyer_id, 'S1' AS merchant_id,
          CASE WHEN i % 50021 = 7 THEN '-3' ELSE '10.00' END AS amount, 'CNY' AS currency,
          '2024-01-01T00:00:00Z' AS placed_at, 'completed' AS status,
          CASE WHEN i % 70001 = 9 THEN 'many' ELSE '1' END AS quantity
        FROM range({rows}) t(i) ORDER BY i"""
    )
    target = case / f"orders.{fmt}"
    connection.execute(f"COPY o TO '{target}' (FORMAT {fmt})")
    members = case / "members.csv"
    members.write_text(MEMBERS_HEADER + "M1,2024-01-01,,Ann\n", encoding="utf-8")
    with Store.open(tmp_path / "s.duckdb", settings=EngineSettings(threads=2)) as store:
        report = ingest_case(store, case)
        orders = {t.table: t for t in report.tables}["orders"]
        assert orders.rejected and orders.duplicate and orders.fields_cleared  # all three paths
        backwards = store.connection.execute(
            "SELECT count(*) FROM (SELECT order_id < lag(order_id) OVER (ORDER BY rowid) AS back "
            "FROM orders) WHERE back"
        ).fetchall()[0][0]
        assert backwards == 0
        assert store.row_count("orders") == orders.imported > rows * 0.99
