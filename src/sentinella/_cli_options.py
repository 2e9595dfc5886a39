"""Options every group of commands shares (``cli.py``, ``_service_cli.py``, ...), defined once."""

from __future__ import annotations

import enum
from pathlib import Path
from typing import Annotated

import typer

DEFAULT_DB = "sentinella.duckdb"
DbOption = Annotated[
    Path,
    typer.Option("--db", envvar="SENTINELLA_DB", help="The store (a DuckDB file).", show_default=True),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print the result as JSON.")]


class Engine(enum.StrEnum):
    """Where an analysis runs (``sentinella.engine.ENGINES``)."""

    duckdb = "duckdb"
    spark = "spark"


EngineOption = Annotated[
    Engine,
    typer.Option(
        "--engine",
        help="Where the analysis runs: the store itself (duckdb) or Apache Spark (needs the spark extra; "
        "results are written back into the store).",
    ),
]
SparkMasterOption = Annotated[
    str,
    typer.Option("--spark-master", help="Spark master URL (default: local mode on this machine)."),
]


class Forest(enum.StrEnum):
    """Where pyramid measures the recruitment forest (``sentinella.pyramid`` ``forest=``)."""

    auto = "auto"
    driver = "driver"
    engine = "engine"
