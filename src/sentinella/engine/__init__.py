"""The engine seam: one analysis, several engines (DuckDB now, Spark for scale).

``SparkBackend`` (PySpark, an extra) is imported on first use. Analyses build SQL (often as a
:class:`CTEPipeline`) and hand it to a :class:`Backend`; kernels that need a whole graph pull
integer-coded Arrow arrays back through :meth:`Backend.query`.
"""

from __future__ import annotations

import typing

from ._backend import Backend, EngineError
from ._choose import ENGINES, analysis_backend
from ._dialect import ROW_ID, Dialect, DuckDBDialect, SparkDialect, literal, rounded
from ._duckdb import DuckDBBackend, EngineSettings
from ._pipeline import CTEPipeline, SqlStep

__all__ = [
    "ENGINES",
    "ROW_ID",
    "Backend",
    "CTEPipeline",
    "Dialect",
    "DuckDBBackend",
    "DuckDBDialect",
    "EngineError",
    "EngineSettings",
    "SparkBackend",
    "SparkDialect",
    "SqlStep",
    "analysis_backend",
    "literal",
    "local_session",
    "rounded",
]


def __getattr__(name: str) -> typing.Any:
    """The Spark backend is imported when asked for: PySpark is an extra."""
    if name in ("SparkBackend", "local_session"):
        from . import _spark

        return getattr(_spark, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
