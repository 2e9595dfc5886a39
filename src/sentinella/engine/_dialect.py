"""SQL dialects: analyses write one portable SQL text, each engine gets its own flavour.

The canonical dialect is DuckDB's; ``sqlglot`` transpiles it for Spark, as splink does. Keep
DuckDB-only shortcuts out of analysis SQL where a portable form costs nothing.
"""

from __future__ import annotations

import sqlglot


class Dialect:
    """How an engine spells SQL; ``name`` is the sqlglot dialect name."""

    name = "duckdb"

    def translate(self, sql: str) -> str:
        """Render canonical (DuckDB) SQL in this dialect."""
        if self.name == "duckdb":
            return sql
        return ";\n".join(sqlglot.transpile(sql, read="duckdb", write=self.name, pretty=False))

    def quote(self, identifier: str) -> str:
        """Quote an identifier so user-supplied names can never inject SQL."""
        return '"' + identifier.replace('"', '""') + '"'


class DuckDBDialect(Dialect):
    name = "duckdb"


class SparkDialect(Dialect):
    name = "spark"

    def quote(self, identifier: str) -> str:
        return "`" + identifier.replace("`", "``") + "`"
