"""SQL dialects: analyses write one portable SQL text, each engine gets its own flavour.

The canonical dialect is DuckDB's; ``sqlglot`` transpiles it for Spark, as splink does. What
sqlglot cannot translate (a row's identity, epoch arithmetic, enum types, storage options) is a
method here, so an analysis never spells a DuckDB-only construct itself: it asks its backend's
dialect. Values go in as query parameters (``?``); :meth:`Dialect.literal` is only for SQL that
cannot take parameters (a view's definition).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal
from typing import Any, ClassVar

import sqlglot
from sqlglot import exp
from sqlglot.dialects.dialect import rename_func
from sqlglot.dialects.spark import Spark

ROW_ID = "_row_id"
"""The column the Spark backend adds to each input table: its row's place, from 0, dense."""


def _percentile(generator: Any, expression: exp.PercentileCont) -> str:
    return str(generator.func("PERCENTILE", expression.this, expression.expression))


class SparkSQL(Spark):
    """sqlglot's Spark dialect, with corrections for Spark 4: HUGEINT is DECIMAL(38, 0) (Spark's
    widest exact integer); ``parse_json`` stays itself (sqlglot writes the bare text, which would
    nest JSON as a quoted string); DuckDB's ``quantile_cont(x, q)`` becomes ``percentile(x, q)``,
    the same linear interpolation (sqlglot writes ``percentile_cont(x, q)``, which Spark refuses);
    ``hash(x)`` becomes ``xxhash64(x)``: DuckDB's ``hash`` is 64 bits, Spark's 32-bit Murmur3,
    whose collisions (about a million pairs among 100M buyer IDs) the analyses would then sort
    out with exact comparisons."""

    class Generator(Spark.Generator):  # type: ignore[misc,valid-type]
        TRANSFORMS: ClassVar = {
            **Spark.Generator.TRANSFORMS,
            exp.ParseJSON: rename_func("PARSE_JSON"),
            exp.PercentileCont: _percentile,
        }
        # DuckDB's HUGEINT (exact money products): Spark's widest exact integer is DECIMAL(38, 0)
        TYPE_MAPPING: ClassVar = {**Spark.Generator.TYPE_MAPPING, exp.DataType.Type.INT128: "DECIMAL(38, 0)"}

        def anonymous_sql(self, expression: exp.Anonymous) -> str:
            # sqlglot knows no hash expression: DuckDB's hash(x) reaches the generator by name
            if str(expression.this).lower() == "hash":
                return str(self.func("XXHASH64", *expression.expressions))
            return str(super().anonymous_sql(expression))


class Dialect:
    """How an engine spells SQL; ``name`` is the engine, ``sqlglot`` the sqlglot dialect."""

    name = "duckdb"
    sqlglot: str | type[sqlglot.Dialect] = "duckdb"

    def translate(self, sql: str) -> str:
        """Render canonical (DuckDB) SQL in this dialect."""
        if self.name == "duckdb":
            return sql
        return ";\n".join(
            self.adapt(statement).sql(dialect=self.sqlglot, pretty=False)
            for statement in sqlglot.parse(sql, read="duckdb")
            if statement is not None
        )

    def adapt(self, statement: exp.Expr) -> exp.Expr:
        """A parsed statement made ready for this dialect's generator (unchanged by default)."""
        return statement

    def quote(self, identifier: str) -> str:
        """Quote an identifier so user-supplied names can never inject SQL."""
        return '"' + identifier.replace('"', '""') + '"'

    def row_id(self, alias: str = "") -> str:
        """A row's identity in an input table: dense from 0, in the order rows were stored."""
        return f"{alias}.rowid" if alias else "rowid"

    def epoch_us(self, expression: str) -> str:
        """Microseconds since 1970-01-01 UTC of a timestamp expression, as BIGINT."""
        return f"epoch_us({expression})"

    def local_time(self, expression: str, zone: str) -> str:
        """A UTC instant as the wall-clock time in ``zone`` (an IANA name)."""
        return f"({expression} AT TIME ZONE {literal(zone)})"

    def enum_type(self, values: Iterable[str]) -> str:
        """A column type holding one of ``values``."""
        return f"ENUM({', '.join(self.literal(value) for value in values)})"

    def compressed(self, column_type: str, codec: str) -> str:
        """A column type with a storage hint (DuckDB's per-column compression; others ignore it)."""
        return f"{column_type} USING COMPRESSION {codec}"

    def literal(self, value: object) -> str:
        """A value as SQL text, for the few statements that cannot take parameters (views)."""
        return literal(value)

    def literals(self, values: Iterable[object]) -> str:
        """A comma-separated list of literals, for ``IN (...)`` in view definitions."""
        return ", ".join(literal(value) for value in values)


def literal(value: object) -> str:
    """A value as canonical SQL text: the one place values are quoted (strings escaped)."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float | Decimal):
        return repr(float(value)) if isinstance(value, float) else str(value)
    if isinstance(value, dt.datetime):
        return f"TIMESTAMPTZ '{value.astimezone(dt.UTC).strftime('%Y-%m-%d %H:%M:%S.%f')}+00:00'"
    if isinstance(value, dt.date):
        return f"DATE '{value.isoformat()}'"
    return "'" + str(value).replace("'", "''") + "'"


class DuckDBDialect(Dialect):
    name = "duckdb"


class SparkDialect(Dialect):
    """Spark SQL. Input tables carry their row identity as a column (see ``ROW_ID``)."""

    name = "spark"
    sqlglot = SparkSQL

    def quote(self, identifier: str) -> str:
        return "`" + identifier.replace("`", "``") + "`"

    def row_id(self, alias: str = "") -> str:
        return f"{alias}.{ROW_ID}" if alias else ROW_ID

    def epoch_us(self, expression: str) -> str:
        # read by sqlglot as an unknown function and passed through unchanged
        return f"unix_micros({expression})"

    def local_time(self, expression: str, zone: str) -> str:
        return f"from_utc_timestamp({expression}, {literal(zone)})"

    def enum_type(self, values: Iterable[str]) -> str:
        return "VARCHAR"

    def compressed(self, column_type: str, codec: str) -> str:
        return column_type

    def adapt(self, statement: exp.Expr) -> exp.Expr:
        """A temporary table stays a table. sqlglot writes DuckDB's ``CREATE TEMP TABLE ... AS``
        as a Spark ``TEMPORARY VIEW``, which the Spark backend would keep as a lazy view: every
        later step would recompute the whole chain of working tables from the inputs (credit's
        14-day query planned some 340 operators and took minutes on 300 members). As a plain
        ``CREATE TABLE`` it is computed once and checkpointed (every table is session-scoped
        there anyway).

        sqlglot would also drop an aggregate's ORDER BY silently (``collect_list`` keeps no
        order): an ordered ``list(...)`` is refused instead."""
        for aggregate in statement.find_all(exp.ArrayAgg):
            if isinstance(aggregate.this, exp.Order):
                raise ValueError(
                    "an ordered list aggregate (list(x ORDER BY y)) has no Spark equivalent: "
                    "collect_list keeps no order; rank the rows first and sort the list by the rank"
                )
        if isinstance(statement, exp.Create) and str(statement.args.get("kind", "")).upper() == "TABLE":
            properties = statement.args.get("properties")
            if properties is not None:
                for prop in list(properties.expressions):
                    if isinstance(prop, exp.TemporaryProperty):
                        prop.pop()
                if not properties.expressions:
                    statement.set("properties", None)
        return statement


def rounded(expression: str, digits: int) -> str:
    """``expression`` rounded to ``digits`` decimals half up, as a DOUBLE, the same on every
    engine: rounding a double that lies half-way goes one way on DuckDB and the other on Spark,
    so the rounding is done in decimal."""
    return f"CAST(round(CAST({expression} AS DECIMAL(38, 12)), {int(digits)}) AS DOUBLE)"
