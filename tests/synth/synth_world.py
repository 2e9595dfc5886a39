"""A generated world opened for querying (shared by the synth tests)."""

from __future__ import annotations

from pathlib import Path

import duckdb

from sentinella.synth import WorldSummary


class World:
    """A generated case folder and a DuckDB connection with a view per table."""

    def __init__(self, summary: WorldSummary) -> None:
        self.summary = summary
        self.path = summary.out
        self.con = duckdb.connect()
        self.con.execute("SET TimeZone = 'UTC'")
        for name in summary.rows:
            src = _source(self.path, name, summary.format)
            if src:
                self.con.execute(f"CREATE VIEW {name} AS SELECT * FROM {src}")
        for f in sorted((self.path / "truth").glob("*.parquet")):
            self.con.execute(f"CREATE VIEW truth_{f.stem} AS SELECT * FROM read_parquet('{f}')")

    def q(self, sql: str) -> list[tuple[object, ...]]:
        return self.con.execute(sql).fetchall()

    def one(self, sql: str) -> object:
        return self.con.execute(sql).fetchone()[0]  # type: ignore[index]


def _source(path: Path, name: str, fmt: str) -> str | None:
    reader = {"parquet": "read_parquet", "csv": "read_csv", "jsonl": "read_json"}[fmt]
    extra = ", all_varchar=true" if fmt == "csv" else ""
    if (path / f"{name}.{fmt}").exists():
        return f"{reader}('{path / f'{name}.{fmt}'}'{extra})"
    if (path / name).is_dir():
        return f"{reader}('{path / name}/part-*.{fmt}'{extra})"
    return None
