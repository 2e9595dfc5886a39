"""Reading a case as evidence: literal paths, which files are a table, links, encodings,
the quarantine of every run, warnings, exit codes and Ctrl-C."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import duckdb
import pytest

from sentinella.store import QUARANTINE_TABLE, Store, StoreError, ingest_case
from sentinella.store import _readers as readers_module
from support import MEMBERS_HEADER, ORDERS_HEADER, CaseWriter, Ingest


def _table(report, name):  # type: ignore[no-untyped-def]
    return {t.table: t for t in report.tables}[name]


# -- paths and names ----------------------------------------------------------------------------
def test_glob_characters_in_paths_are_literal(store: Store, tmp_path: Path) -> None:
    cases = tmp_path / "cases"
    star, sibling = cases / "p04_star*", cases / "p04_star_other"
    for folder, member in ((star, "mine"), (sibling, "theirs")):
        (folder / "orders").mkdir(parents=True)
        (folder / "members.csv").write_text(MEMBERS_HEADER + f"{member},,,X\n")
    (star / "orders" / "part-*.csv").write_text(ORDERS_HEADER + "o1,mine,s1,1,CNY,2024-01-01,paid\n")
    (star / "orders" / "part-1.csv").write_text(ORDERS_HEADER + "o2,mine,s1,1,CNY,2024-01-01,paid\n")
    report = ingest_case(store, star)
    assert report.exit_code == 0, report.to_dict()
    assert store.connection.execute("SELECT member_id FROM members").fetchall() == [("mine",)]
    orders = _table(report, "orders")
    assert [(f.file, f.records) for f in orders.per_file] == [
        ("orders/part-*.csv", 1),
        ("orders/part-1.csv", 1),
    ]
    assert store.row_count("orders") == 2


def test_only_name_dot_ext_or_a_name_folder_is_a_table(ingest: Ingest, store: Store) -> None:
    report = ingest(
        {
            "members.2023-backup.csv": MEMBERS_HEADER + "m1,,,Old name\n",
            "members.csv": MEMBERS_HEADER + "m1,,,Current name\n",
            "order.csv": ORDERS_HEADER + "o1,m1,s1,1,CNY,2024-01-01,paid\n",
        }
    )
    assert report.exit_code == 0
    assert store.connection.execute("SELECT name FROM members").fetchall() == [("Current name",)]
    assert set(report.ignored) == {"members.2023-backup.csv", "order.csv"}
    assert any(w.startswith("members.2023-backup.csv: not read as members") for w in report.warnings)
    assert "order.csv: not read; did you mean orders.csv?" in report.warnings
    assert report.to_dict()["warnings"] == report.warnings


def test_links_out_of_the_case_are_refused_without_a_word_of_the_target(
    store: Store, write_case: CaseWriter, tmp_path: Path
) -> None:
    secret = tmp_path / "secret-folder" / "passwords.csv"
    secret.parent.mkdir()
    secret.write_text("member_id,name\nTOP-SECRET-LINE,x\n")
    folder = write_case({"members.csv": MEMBERS_HEADER + "m1,,,A\n", "orders/part-0.csv": ORDERS_HEADER})
    os.symlink(secret, folder / "payments.csv")
    os.symlink(secret, folder / "orders" / "part-1.csv")
    os.symlink(folder / "members.csv", folder / "merchants.csv")  # inside the case: fine to follow
    report = ingest_case(store, folder)
    text = repr(report.to_dict())
    assert "TOP-SECRET" not in text and "secret-folder" not in text and "passwords" not in text
    refused = [e for e in report.errors if "outside the case folder" in e]
    assert sorted(e.split(":")[0] for e in refused) == ["orders/part-1.csv", "payments.csv"]
    assert store.row_count("payments") == 0
    assert _table(report, "merchants").errors  # read, but a members file is not a merchants file


# -- encodings ----------------------------------------------------------------------------------
NAMES = "member_id,name\nm1,张伟\nm2,Ann\n"


@pytest.mark.parametrize(
    ("encoding", "name"),
    [("gb18030", "张伟"), ("gbk", "张伟"), ("big5", "張偉"), ("latin-1", "Café"), ("utf-16", "张伟")],
)
def test_encoding_option_reads_the_file_as_written(store: Store, encoding: str, name: str) -> None:
    content = NAMES.replace("张伟", name).encode(encoding)
    report = _ingest_encoded(store, {"members.csv": content}, encoding)
    assert report.exit_code == 0, report.to_dict()
    assert store.connection.execute("SELECT name FROM members WHERE member_id = 'm1'").fetchall() == [(name,)]


def _ingest_encoded(store: Store, files: dict[str, bytes], encoding: str | None):  # type: ignore[no-untyped-def]
    with tempfile.TemporaryDirectory() as scratch:
        for name, content in files.items():
            (Path(scratch) / name).write_bytes(content)
        return ingest_case(store, Path(scratch), encoding=encoding)


def test_utf16_with_a_byte_order_mark_needs_no_option(store: Store) -> None:
    report = _ingest_encoded(
        store, {"members.jsonl": '{"member_id": "m1", "name": "张伟"}\n'.encode("utf-16")}, None
    )
    assert report.exit_code == 0
    assert store.connection.execute("SELECT name FROM members").fetchall() == [("张伟",)]


def test_gbk_without_the_option_is_refused_with_advice_and_its_bytes_kept(store: Store) -> None:
    content = NAMES.encode("gb18030")
    report = _ingest_encoded(store, {"members.csv": content}, None)
    members = _table(report, "members")
    assert (members.imported, members.rejected) == (1, 1)
    assert members.problems[0].row == 2 and "not valid UTF-8" in members.problems[0].reason
    (warning,) = members.warnings
    assert "read as GB18030" in warning and "--encoding gb18030" in warning and "张伟" in warning
    raw, record = store.connection.execute(f"SELECT raw, record FROM {QUARANTINE_TABLE}").fetchall()[0]
    assert raw == "m1,张伟".encode("gb18030")  # the bytes as written, never '?'
    assert "?" not in record and "\\x" in record
    # Imported again with the encoding, the refused record comes in; the other is a duplicate.
    again = _table(_ingest_encoded(store, {"members.csv": content}, "gb18030"), "members")
    assert (again.imported, again.duplicate, again.rejected) == (1, 1, 0)


def test_bytes_that_do_not_decode_in_the_given_encoding(store: Store) -> None:
    content = "member_id,name\nm1,张伟\n".encode("gb18030") + b"m2,\x81\x20bad\nm3,ok\n"
    members = _table(_ingest_encoded(store, {"members.csv": content}, "gb18030"), "members")
    assert (members.records, members.imported, members.rejected) == (3, 2, 1)
    assert members.problems[0].row == 3 and "not valid GB18030" in members.problems[0].reason


def test_unknown_encoding_is_refused(store: Store, tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="unknown encoding 'klingon'"):
        ingest_case(store, tmp_path, encoding="klingon")
    with pytest.raises(StoreError, match="unknown encoding"):  # Python's codecs raise ValueError
        ingest_case(store, tmp_path, encoding="utf\x00-8")


@pytest.mark.parametrize("codec", ["undefined", "base64", "rot13", "idna"])
def test_codecs_that_are_no_file_encoding_are_refused(store: Store, tmp_path: Path, codec: str) -> None:
    """Python knows these names, but no file is written in them (``undefined`` refuses every byte)."""
    with pytest.raises(StoreError, match=f"unknown encoding '{codec}'"):
        ingest_case(store, tmp_path, encoding=codec)


# -- quarantine ---------------------------------------------------------------------------------
def test_quarantine_keeps_the_same_refusal_from_two_cases(store: Store, write_case: CaseWriter) -> None:
    bad = MEMBERS_HEADER + "m1,,,A\nm2,2024-13-01,,B\n"
    first = ingest_case(store, write_case({"members.csv": bad}))
    second = ingest_case(store, write_case({"members.csv": bad}))  # another case, same file
    rows = store.connection.execute(
        f"SELECT run_id, file, row_number, reason FROM {QUARANTINE_TABLE} ORDER BY run_id"
    ).fetchall()
    assert [r[0] for r in rows] == sorted([first.run_id, second.run_id])
    assert {(r[1], r[2]) for r in rows} == {("members.csv", 3)}


# -- what the summary says ----------------------------------------------------------------------
def test_misspelt_column_and_missing_sponsors_are_warned(ingest: Ingest) -> None:
    report = ingest(
        {
            "members.csv": "member_id,sponser_id\nm1,\nm2,m1\n",
            "payments.csv": "payment_id,payer_id,payee_id,amount,currency,kind,paid_at,level\n"
            "p1,m2,m1,10,CNY,entry_fee,2024-01-01,\np2,m2,m1,5,CNY,commission,2024-01-02,2\n",
        }
    )
    members = _table(report, "members")
    assert members.warnings == [
        "members.csv: column 'sponser_id' is not in the contract and was not read; did you mean sponsor_id?"
    ]
    (warning,) = report.warnings
    assert "no sponsor_id" in warning and "1 entry fee and 1 commission above level 1" in warning
    assert report.to_dict()["tables"][0]["warnings"] == members.warnings


def test_no_sponsor_warning_when_the_data_does_not_call_for_one(ingest: Ingest) -> None:
    report = ingest(
        {
            "members.csv": "member_id\nm1\nm2\n",
            "payments.csv": "payment_id,payer_id,payee_id,amount,currency,kind,paid_at,level\n"
            "p1,m2,m1,10,CNY,purchase,2024-01-01,\np2,m2,m1,5,CNY,commission,2024-01-02,1\n",
        }
    )
    assert report.warnings == [] and report.exit_code == 0


def test_references_to_an_empty_table_are_reported(ingest: Ingest) -> None:
    report = ingest(
        {
            "members.csv": "member_id\nm1\n",
            "merchants.csv": "merchant_id,member_id\n",
            "orders.csv": ORDERS_HEADER + "o1,m1,s1,1,CNY,2024-01-01,paid\n",
        }
    )
    assert report.notices["orders.merchant_id → merchants.merchant_id"] == 1


def test_every_record_refused_exits_two(ingest: Ingest) -> None:
    report = ingest({"members.csv": MEMBERS_HEADER + ",,,A\nm1\n"})
    assert _table(report, "members").rejected == 2
    assert report.exit_code == 2


def test_part_files_are_counted_one_by_one(ingest: Ingest) -> None:
    report = ingest(
        {
            "members.csv": MEMBERS_HEADER + "m1,,,A\n",
            "orders/part-0.csv": ORDERS_HEADER + "o1,m1,s1,1,CNY,2024-01-01,paid\n",
            "orders/part-1.csv": ORDERS_HEADER
            + "o1,m1,s1,1,CNY,2024-01-01,paid\no2,m1,s1,-1,CNY,2024-01-01,paid\n",
        }
    )
    orders = _table(report, "orders")
    assert [(f.records, f.imported, f.duplicate, f.rejected) for f in orders.per_file] == [
        (1, 1, 0, 0),
        (2, 0, 1, 1),
    ]
    assert orders.to_dict()["per_file"][1]["file"] == "orders/part-1.csv"


# -- Ctrl-C -------------------------------------------------------------------------------------
def test_ctrl_c_while_reading_stops_the_run(
    store: Store, write_case: CaseWriter, monkeypatch: pytest.MonkeyPatch
) -> None:
    """DuckDB reports Ctrl-C as its own error; the run must stop, not skip to the next table."""
    folder = write_case(
        {
            "members.csv": MEMBERS_HEADER + "m1,,,A\n",
            "orders.csv": ORDERS_HEADER + "o1,m1,s1,1,CNY,2024-01-01,paid\n",
            "reviews.jsonl": '{"review_id": "r1", "order_id": "o1", "rating": 5, '
            '"created_at": "2024-01-02"}\n',
        }
    )
    original = readers_module.STAGERS["csv"]

    def interrupted(connection, source, spec, tag, context):  # type: ignore[no-untyped-def]
        if spec.name == "orders":
            raise duckdb.InterruptException("INTERRUPT Error: Interrupted!")
        return original(connection, source, spec, tag, context)

    monkeypatch.setitem(readers_module.STAGERS, "csv", interrupted)
    with pytest.raises(KeyboardInterrupt):
        ingest_case(store, folder)
    assert store.row_count("members") == 1  # committed before the interruption
    assert store.row_count("orders") == 0 and store.row_count("reviews") == 0


def test_references_to_an_absent_table_are_one_notice_per_column(ingest: Ingest, store: Store) -> None:
    report = ingest(
        {
            "members.csv": "member_id\nm1\n",
            "orders.csv": ORDERS_HEADER + "o1,m1,s1,1,CNY,2024-01-01,paid\no2,m1,s2,1,CNY,2024-01-01,paid\n",
        }
    )
    assert report.notices["orders.merchant_id → merchants.merchant_id"] == 2
    notices = store.connection.execute(
        "SELECT table_name, column_name, reason FROM ingest_notices WHERE column_name = 'merchant_id'"
    ).fetchall()
    assert notices == [
        (
            "orders",
            "merchant_id",
            "refers to merchants, which is empty: all 2 values point to nothing in the store",
        )
    ]
