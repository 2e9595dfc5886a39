"""One writer at a time: a second process gets a clear error instead of waiting."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from sentinella.store import Store, StoreError, StoreLockedError


def test_second_writer_is_told_who_holds_the_store(tmp_path: Path) -> None:
    db = tmp_path / "case.duckdb"
    Store.open(db).close()
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            textwrap.dedent(
                f"""
                import sys, time
                from sentinella.store import Store
                store = Store.open({str(db)!r})
                print("ready", flush=True)
                sys.stdin.readline()
                """
            ),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "ready"
        with pytest.raises(StoreLockedError, match=rf"open for writing by process {holder.pid}"):
            Store.open(db)
    finally:
        assert holder.stdin is not None
        holder.stdin.write("\n")
        holder.stdin.flush()
        holder.wait(timeout=30)
    Store.open(db).close()  # free again once the writer has gone


def test_reading_a_missing_store_says_what_to_do(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="run `sentinella ingest CASE --db"):
        Store.open(tmp_path / "none.duckdb", read_only=True)


def test_a_file_that_is_not_a_store(tmp_path: Path) -> None:
    bogus = tmp_path / "notes.duckdb"
    bogus.write_text("hello, not a database")
    with pytest.raises(StoreError):
        Store.open(bogus)
