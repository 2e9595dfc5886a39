"""The seam is a promise: every statement the analyses issue must be SQL Spark can run.

A recording backend runs each analysis for real on DuckDB, but with the Spark dialect's
spellings of what engines differ on (row identity as a ``_row_id`` column, ``unix_micros``,
``from_utc_timestamp``, plain strings for enums, no storage hints; DuckDB gets macros of those
names). Every statement it is handed is recorded, transpiled to Spark SQL with sqlglot and
checked for DuckDB-only constructs; with PySpark installed (``-m spark``) Spark's own parser
reads each one too.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from pathlib import Path

import duckdb
import pyarrow as pa
import pytest
import sqlglot
from sqlglot import exp

from sentinella.compare import run_compare
from sentinella.credit import run_credit
from sentinella.engine import ROW_ID, Backend, DuckDBBackend, DuckDBDialect, EngineSettings, SparkDialect
from sentinella.pyramid import run_pyramid
from sentinella.rings import run_rings
from sentinella.risk import run_risk
from sentinella.store import Store, ingest_case
from sentinella.synth import generate_world

INPUTS = ("members", "merchants", "listings", "orders", "reviews", "payments", "ties")
# What Spark SQL does not have, as it would appear after transpiling from DuckDB.
DUCKDB_ONLY = {
    "row identity": re.compile(r"\browid\b", re.IGNORECASE),
    "epoch functions": re.compile(r"\bepoch(_us|_ms|_ns)?\s*\(", re.IGNORECASE),
    "enum types": re.compile(r"\bENUM\s*\(", re.IGNORECASE),
    "storage hints": re.compile(r"USING\s+COMPRESSION", re.IGNORECASE),
    "* EXCLUDE": re.compile(r"\*\s*(EXCLUDE|EXCEPT)\b", re.IGNORECASE),
    "UPDATE": re.compile(r"^\s*UPDATE\b", re.IGNORECASE),
    "INSERT OR REPLACE": re.compile(r"INSERT\s+OR\s+REPLACE", re.IGNORECASE),
    "ALTER TABLE": re.compile(r"^\s*ALTER\s+TABLE", re.IGNORECASE),
    "information_schema": re.compile(r"information_schema", re.IGNORECASE),
    "DuckDB readers": re.compile(r"\bread_(parquet|csv|json)\b", re.IGNORECASE),
    "list functions": re.compile(r"\blist_(value|aggregate|sort)\b", re.IGNORECASE),
    "TIMESTAMPTZ": re.compile(r"\bTIMESTAMPTZ\b", re.IGNORECASE),
    "JSON_OBJECT": re.compile(r"\bJSON_OBJECT\s*\(", re.IGNORECASE),  # Spark: to_json(named_struct)
}


TRANSACTION = {"BEGIN TRANSACTION", "BEGIN", "COMMIT", "ROLLBACK"}


class _SparkSpellings(SparkDialect):
    """Spark's spellings, but the text stays DuckDB's (the recorder runs it on DuckDB)."""

    name = "duckdb"

    def quote(self, identifier: str) -> str:
        return DuckDBDialect().quote(identifier)


class RecordingBackend(DuckDBBackend):
    dialect = _SparkSpellings()
    update = Backend.update  # Spark's form: the table rebuilt with a join, not UPDATE

    def __init__(self, connection: duckdb.DuckDBPyConnection) -> None:
        super().__init__(connection, EngineSettings(memory_limit="1GB", threads=1))
        self.statements: list[str] = []
        for macro in (
            "CREATE OR REPLACE MACRO unix_micros(t) AS epoch_us(t)",
            "CREATE OR REPLACE MACRO from_utc_timestamp(t, zone) AS (t AT TIME ZONE zone)",
        ):
            connection.execute(macro)

    def _execute(self, sql: str, params: Sequence[object] = ()) -> None:
        self.statements.append(sql)
        super()._execute(sql, params)

    def _query_arrow(self, sql: str, params: Sequence[object] = ()) -> pa.Table:
        self.statements.append(sql)
        return super()._query_arrow(sql, params)


def spark_problems(sql: str) -> list[str]:
    """What in ``sql``, once transpiled to Spark SQL, Spark could not run."""
    try:
        spark = SparkDialect().translate(sql)
    except sqlglot.errors.SqlglotError as error:
        return [f"sqlglot cannot read it: {error}"]
    except ValueError as error:  # what the dialect refuses rather than mistranslate
        return [str(error)]
    found = [name for name, pattern in DUCKDB_ONLY.items() if pattern.search(spark)]
    for statement in sqlglot.parse(sql, read="duckdb"):
        for joined in statement.find_all(exp.GroupConcat) if statement else ():
            if not isinstance(joined.this, exp.Order):  # the text would differ between engines
                found.append("string_agg without ORDER BY")
    return found


@pytest.fixture(scope="module")
def world_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("seam")
    generate_world(root / "case", members=300, seed=11, media=False)
    db = root / "world.duckdb"
    with Store.open(db) as store:
        ingest_case(store, root / "case")
    with duckdb.connect(str(db)) as connection:
        for name in INPUTS:  # the row identity the Spark backend gives its inputs
            connection.execute(f"ALTER TABLE {name} ADD COLUMN {ROW_ID} BIGINT")
            connection.execute(f"UPDATE {name} SET {ROW_ID} = rowid")
    return db


CASES = ["compare", "credit", "pyramid", "rings", "risk"]
# Run in this order on one store, each once: credit first (no ring scores yet: its own flagged
# orders), then again before risk (the rings' flagged orders), as risk needs every result.
ANALYSES: dict[str, Callable[[RecordingBackend], object]] = {
    "credit": lambda b: run_credit(b),
    "pyramid": lambda b: run_pyramid(b),
    "rings": lambda b: run_rings(b),
    "compare": lambda b: run_compare(b),
    "risk": lambda b: (run_credit(b), run_risk(b)),
}


@pytest.fixture(scope="module")
def recorded(world_db: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[str]]:
    """The statements each analysis issues, each analysis run once for both checks below."""
    copy = tmp_path_factory.mktemp("seam-run") / "copy.duckdb"
    copy.write_bytes(world_db.read_bytes())
    connection = duckdb.connect(str(copy))
    recorder = RecordingBackend(connection)
    statements: dict[str, list[str]] = {}
    try:
        for name, run in ANALYSES.items():
            start = len(recorder.statements)
            run(recorder)
            statements[name] = recorder.statements[start:]
    finally:
        connection.close()
    return statements


@pytest.mark.parametrize("analysis", CASES)
def test_every_statement_an_analysis_issues_is_spark_sql(
    recorded: dict[str, list[str]], analysis: str
) -> None:
    statements = recorded[analysis]
    assert len(statements) > 5
    problems = {sql: found for sql in statements if (found := spark_problems(sql))}
    assert not problems, "\n\n".join(f"{found}:\n{sql[:600]}" for sql, found in problems.items())


def test_the_check_finds_what_duckdb_alone_understands() -> None:
    """The checker is not blind: the constructs the seam replaced are caught."""
    duck = DuckDBDialect()
    caught = [
        f"SELECT {duck.row_id('m')} FROM members m",
        f"SELECT {duck.epoch_us('joined_at')} FROM members",
        f"CREATE TABLE t (r {duck.enum_type(['a', 'b'])})",
        f"CREATE TABLE t (r {duck.compressed('VARCHAR', 'zstd')})",
        "SELECT * EXCLUDE (basis) FROM payments",
        "UPDATE t SET a = 1 FROM s WHERE t.k = s.k",
        "SELECT column_name FROM information_schema.columns",
        # sqlglot would write collect_list(x), which keeps no order
        "SELECT k, list(x ORDER BY y DESC) FROM t GROUP BY k",
        "SELECT k, string_agg(DISTINCT x, ', ') FROM t GROUP BY k",
    ]
    for sql in caught:
        assert spark_problems(sql), sql
    spark = SparkDialect()
    for sql in (
        f"SELECT {spark.row_id('m')} FROM members m",
        f"SELECT {spark.epoch_us('joined_at')} FROM members",
        f"CREATE TABLE t (r {spark.enum_type(['a', 'b'])}, s {spark.compressed('VARCHAR', 'zstd')})",
        f"SELECT {spark.local_time('t', 'Asia/Shanghai')} FROM x",
    ):
        assert not spark_problems(sql), sql


@pytest.mark.spark
@pytest.mark.parametrize("analysis", CASES)
def test_spark_parses_every_statement(
    recorded: dict[str, list[str]], analysis: str, spark_session: object
) -> None:
    parser = spark_session._jsparkSession.sessionState().sqlParser()  # type: ignore[attr-defined]
    for sql in recorded[analysis]:
        if sql.strip().upper() in TRANSACTION:
            continue  # the Spark backend answers these itself (no transactions over views)
        for statement in SparkDialect().translate(sql).split(";\n"):
            parser.parsePlan(statement)  # raises ParseException on what Spark cannot read
