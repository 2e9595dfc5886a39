"""The engine seam: one analysis, several engines (DuckDB now, Spark for scale).

Analyses build SQL (often as a :class:`CTEPipeline`) and hand it to a :class:`Backend`; kernels
that need a whole graph pull integer-coded Arrow arrays back through :meth:`Backend.query`.
"""

from __future__ import annotations

from ._backend import Backend, EngineError
from ._dialect import Dialect, DuckDBDialect, SparkDialect
from ._duckdb import DuckDBBackend, EngineSettings
from ._pipeline import CTEPipeline, SqlStep

__all__ = [
    "Backend",
    "CTEPipeline",
    "Dialect",
    "DuckDBBackend",
    "DuckDBDialect",
    "EngineError",
    "EngineSettings",
    "SparkDialect",
    "SqlStep",
]
