"""The engine seam: pipelines render and run; SQL transpiles for Spark."""

from __future__ import annotations

import pyarrow as pa
import pytest

from sentinella.engine import CTEPipeline, DuckDBBackend, EngineError, EngineSettings, SparkDialect


def _depth_pipeline() -> CTEPipeline:
    return (
        CTEPipeline()
        .add("edges", "SELECT child, parent FROM links")
        .add("roots", "SELECT child AS member FROM edges WHERE parent IS NULL", materialise=True)
        .add("counted", "SELECT count(*) AS n FROM roots")
    )


def test_render_is_one_with_query() -> None:
    sql = _depth_pipeline().render()
    assert sql.startswith("WITH edges AS (")
    assert sql.rstrip().endswith("SELECT count(*) AS n FROM roots")


def test_duplicate_step_names_are_refused() -> None:
    with pytest.raises(ValueError, match="already has a step"):
        CTEPipeline().add("a", "SELECT 1").add("a", "SELECT 2")


def test_backend_runs_a_pipeline_with_a_materialised_step() -> None:
    backend = DuckDBBackend.in_memory(EngineSettings(memory_limit="1GB", threads=1))
    backend.register_arrow("links", pa.table({"child": ["a", "b", "c"], "parent": [None, "a", None]}))
    backend.run_pipeline(_depth_pipeline(), "result")
    assert backend.table_exists("roots")  # cut at the materialised step
    assert backend.query("SELECT n FROM result").to_pylist() == [{"n": 2}]


def test_settings_are_applied() -> None:
    backend = DuckDBBackend.in_memory(EngineSettings(memory_limit="1GB", threads=1))
    assert backend.scalar("SELECT current_setting('threads')") == 1
    assert backend.scalar("SELECT current_setting('TimeZone')") == "UTC"


def test_errors_name_the_step() -> None:
    backend = DuckDBBackend.in_memory()
    with pytest.raises(EngineError, match="step 'levels' failed"):
        backend.query("SELECT * FROM no_such_table", step="levels")


def test_spark_dialect_transpiles_and_quotes() -> None:
    spark = SparkDialect()
    sql = spark.translate("SELECT list_value(1, 2) AS xs, CAST(a AS VARCHAR) FROM t")
    assert "ARRAY(1, 2)" in sql and "STRING" in sql
    assert spark.quote("a`b") == "`a``b`"


def test_spark_hashes_in_64_bits() -> None:
    """DuckDB's hash is 64 bits, Spark's ``hash`` 32: the dialect asks Spark for xxhash64."""
    sql = SparkDialect().translate("SELECT hash(a) AS h, min(hash(b || 'x')) FROM t GROUP BY hash(a)")
    assert sql.count("XXHASH64(") == 3 and "HASH(" not in sql.replace("XXHASH64(", ""), sql


def test_a_temporary_table_stays_a_table_on_spark() -> None:
    """sqlglot alone writes a temporary table as a Spark TEMPORARY VIEW, which the Spark backend
    would keep lazy (recomputed by every later step: credit never finished); views stay views."""
    spark = SparkDialect()
    for sql in ("CREATE OR REPLACE TEMP TABLE w AS SELECT 1 AS a", "CREATE TEMP TABLE w AS SELECT 1 AS a"):
        translated = spark.translate(sql)
        assert translated.startswith("CREATE") and "TABLE w AS SELECT 1 AS a" in translated, translated
        assert "VIEW" not in translated.upper() and "TEMP" not in translated.upper(), translated
    assert spark.translate("CREATE TEMP TABLE w (id VARCHAR)") == "CREATE TABLE w (id STRING)"
    assert spark.translate("CREATE OR REPLACE VIEW v AS SELECT 1") == "CREATE OR REPLACE VIEW v AS SELECT 1"
    assert spark.translate("SELECT 1; SELECT 2") == "SELECT 1;\nSELECT 2"


def test_a_view_replaces_a_table_of_its_name() -> None:
    """A store an analysis wrote with --engine spark holds its views as tables; DuckDB's next
    run makes them views again (CREATE OR REPLACE VIEW alone refuses to replace a table)."""
    backend = DuckDBBackend.in_memory()
    backend.write_table("details", pa.table({"x": [1]}))
    backend.create_view("details", "SELECT 2 AS x")
    assert backend.is_view("details")
    assert backend.query("SELECT x FROM details").to_pylist() == [{"x": 2}]
    backend.create_view("details", "SELECT 3 AS x")  # and a view replaces a view
    assert backend.scalar("SELECT x FROM details") == 3


def test_write_table_is_atomic_in_a_transaction() -> None:
    backend = DuckDBBackend.in_memory()
    backend.write_table("results", pa.table({"x": [1, 2, 3]}))
    with pytest.raises(RuntimeError, match="boom"), backend.transaction():
        backend.write_table("results", pa.table({"x": [9]}))
        raise RuntimeError("boom")
    assert backend.query("SELECT sum(x) AS s FROM results").to_pylist() == [{"s": 6}]
