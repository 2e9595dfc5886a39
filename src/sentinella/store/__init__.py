"""The embedded store: ingest a case folder, list and export tables.

``Store.open`` gives a DuckDB-backed store; ``ingest_case`` imports a case folder into it and
returns an :class:`IngestReport` whose ``exit_code`` the CLI uses. ``ingest_case_on_spark`` runs
the same checks on Spark, a task per file, and keeps the rows as Parquet beside the store.
"""

from __future__ import annotations

from ._ingest import TIMEZONE_META, IngestReport, TableReport, check_encoding, check_timezone, ingest_case
from ._problems import Problem
from ._spark_ingest import ingest_case_on_spark
from ._store import (
    NOTICES_TABLE,
    QUARANTINE_TABLE,
    RUNS_TABLE,
    Export,
    Store,
    StoreError,
    StoreLockedError,
    TableInfo,
    input_tables_folder,
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
    "ingest_case_on_spark",
    "input_tables_folder",
]
