"""What every report shares: the Report value, reading rows, CSV files beside the HTML, the
Jinja2 environment and the store's fingerprint."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from sentinella import __version__
from sentinella.engine import Backend
from sentinella.errors import SentinellaError

from . import _format


class ReportError(SentinellaError):
    """A report cannot be made (no results yet, unknown subject, unwritable file)."""


@dataclass
class Attachment:
    """A file written beside the report (a full list the HTML only shows the start of)."""

    name: str
    write: Callable[[Path], int]
    """Writes the file, returns its rows."""


@dataclass
class Report:
    """One rendered report: its HTML (self-contained) and the files it links to."""

    kind: str
    subject: str
    title: str
    html: str
    attachments: list[Attachment] = field(default_factory=list)


def rows(backend: Backend, sql: str, params: list[Any] | None = None) -> list[dict[str, Any]]:
    """Result rows as dicts (reports read small, bounded results)."""
    return backend.rows(sql, params or [], step="report")


def one(backend: Backend, sql: str, params: list[Any] | None = None) -> dict[str, Any] | None:
    found = rows(backend, sql, params)
    return found[0] if found else None


def literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


_FORMULA_STARTS = "('=', '+', '-', '@', chr(9), chr(13))"


def csv_attachment(backend: Backend, name: str, select: str, text_columns: tuple[str, ...]) -> Attachment:
    """A CSV written by DuckDB from ``select`` (no parameters: values are inlined literals).

    Text cells a spreadsheet would run as a formula get a leading ``'`` (OWASP's rule, as
    ``sentinella export`` does); numbers are left alone.
    """
    escaped = ", ".join(
        f'CASE WHEN left("{c}", 1) IN {_FORMULA_STARTS} THEN \'\'\'\' || "{c}" ELSE "{c}" END AS "{c}"'
        for c in text_columns
    )
    exclude = f" EXCLUDE ({', '.join(chr(34) + c + chr(34) for c in text_columns)})" if text_columns else ""
    query = f"SELECT {escaped}{', ' if escaped else ''}* {exclude} FROM ({select})"

    def write(path: Path) -> int:
        target = literal(str(path))
        backend.execute(f"COPY ({query}) TO {target} (FORMAT csv, HEADER)", step="report csv")
        counted = backend.scalar(f"SELECT count(*) FROM ({select})", step="report csv")
        return int(counted) if isinstance(counted, int) else 0

    return Attachment(name, write)


def fingerprint(path: str) -> str:
    """SHA-256 of the store file, so a reader can tell the report came from this store."""
    if path in ("", ":memory:") or not Path(path).exists():
        return "in-memory store"
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return "sha256:" + digest.hexdigest()


@cache
def environment() -> Environment:
    env = Environment(
        loader=PackageLoader("sentinella.report", "templates"),
        autoescape=select_autoescape(["html"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(
        money=_format.money,
        count=_format.count,
        share=_format.share,
        amounts=_format.amounts_in_text,
        figure=_format.figure,
    )
    return env


def render(template: str, **context: Any) -> str:
    """A template with what every report prints at its foot."""
    store = context.pop("store_path", "") or ""
    return (
        environment()
        .get_template(template)
        .render(
            generated=dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
            version=__version__,
            store=store or "in-memory store",
            fingerprint=fingerprint(store),
            **context,
        )
    )
