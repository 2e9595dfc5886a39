"""What ingestion says about bad input."""

from __future__ import annotations

from dataclasses import dataclass

import duckdb

from sentinella.errors import SentinellaError


@dataclass(frozen=True)
class Problem:
    """One rejected value or record: where it is, what it was and why it was refused."""

    file: str
    row: int | None
    column: str | None
    value: str | None
    reason: str
    record: str | None = None
    raw: bytes | None = None  # the record's bytes, kept when they do not decode
    kind: str | None = None  # invalid (row rejected), field (value cleared), conflict, structural

    def sentence(self) -> str:
        where = self.file if self.row is None else f"{self.file} row {self.row}"
        if self.column:
            where += f", column {self.column}"
        return f"{where}: {self.reason}"


class SourceError(SentinellaError):
    """A whole file cannot be read; the message is one line naming the file and the cause."""

    def __init__(self, file: str, reason: str) -> None:
        super().__init__(f"{file}: {reason}")
        self.file = file
        self.reason = reason


def first_line(error: BaseException, limit: int = 200) -> str:
    """An engine error, shortened to its first line, for a one-line message."""
    text = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    return text if len(text) <= limit else text[: limit - 1] + "…"


def raise_if_interrupted(error: BaseException) -> None:
    """DuckDB turns Ctrl-C into an error of its own; it must stop the run, not fail one file."""
    if isinstance(error, duckdb.InterruptException):
        raise KeyboardInterrupt from error
