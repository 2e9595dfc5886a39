"""The embedded store: ingest a case folder, list and export tables.

``Store.open`` gives a DuckDB-backed store; ``ingest_case`` imports a case folder into it and
returns an :class:`IngestReport` whose ``exit_code`` the CLI uses.
"""

from __future__ import annotations

from ._ingest import TIMEZONE_META, IngestReport, TableReport, check_encoding, check_timezone, ingest_case
from ._problems import Problem
from ._store import (
    NOTICES_TABLE,
    QUARANTINE_TABLE,
    RUNS_TABLE,
    Export,
    Store,
    StoreError,
    StoreLockedError,
    TableInfo,
)

__all__ = [
    "NOTICES_TABLE",
    "QUARANTINE_TABLE",
    "RUNS_TABLE",
    "TIMEZONE_META",
    "Export",
    "IngestReport",
    "Problem",
    "Store",
    "StoreError",
    "StoreLockedError",
    "TableInfo",
    "TableReport",
    "check_encoding",
    "check_timezone",
    "ingest_case",
]
