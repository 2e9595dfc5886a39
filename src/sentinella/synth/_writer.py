"""Writing tables: one file for a one-chunk world, a folder of parts otherwise.

Parquet keeps the contract's types; CSV and JSONL get ISO 8601 text for times (so a bad date
can be written at all). JSONL goes through DuckDB's COPY, which is vectorised and escapes
control characters (NUL included) correctly.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pcsv
import pyarrow.parquet as pq

Format = Literal["parquet", "csv", "jsonl"]
FORMATS: tuple[Format, ...] = ("parquet", "csv", "jsonl")


def textify(table: pa.Table) -> pa.Table:
    """Timestamps as ISO 8601 strings, for the text formats."""
    for i, f in enumerate(table.schema):
        if pa.types.is_timestamp(f.type):
            col = pc.strftime(table.column(i), format="%Y-%m-%dT%H:%M:%SZ")
            table = table.set_column(i, pa.field(f.name, pa.string(), f.nullable), col)
    return table


class CaseWriter:
    """Writes each table of a case folder, chunk by chunk."""

    def __init__(self, out: Path, fmt: Format, n_parts: int) -> None:
        if fmt not in FORMATS:
            raise ValueError(f"unknown format {fmt!r} (formats: {', '.join(FORMATS)})")
        self.out = out
        self.fmt = fmt
        self.n_parts = n_parts
        self.rows: dict[str, int] = {}
        self._con: duckdb.DuckDBPyConnection | None = None

    def path(self, name: str, part: int) -> Path:
        """Where ``name``'s part goes: ``orders.parquet`` or ``orders/part-00003.parquet``."""
        if self.n_parts == 1:
            return self.out / f"{name}.{self.fmt}"
        return self.out / name / f"part-{part:05d}.{self.fmt}"

    def relative(self, name: str, part: int) -> str:
        return self.path(name, part).relative_to(self.out).as_posix()

    def write(self, name: str, part: int, table: pa.Table) -> None:
        path = self.path(name, part)
        path.parent.mkdir(parents=True, exist_ok=True)
        self.rows[name] = self.rows.get(name, 0) + table.num_rows
        if self.fmt == "parquet":
            pq.write_table(
                table,
                path,
                compression="zstd",
                compression_level=1,
                use_dictionary=_low_cardinality(table.schema),
                row_group_size=1 << 20,
            )
        elif self.fmt == "csv":
            pcsv.write_csv(table, path)
        else:
            self._jsonl(table, path)

    def _jsonl(self, table: pa.Table, path: Path) -> None:
        if table.num_rows == 0:
            path.write_bytes(b"")
            return
        if self._con is None:
            self._con = duckdb.connect()
            self._con.execute("SET TimeZone = 'UTC'")
            self._con.execute("SET threads = 2")
        self._con.register("_synth_out", table)
        target = str(path).replace("'", "''")
        self._con.execute(f"COPY (SELECT * FROM _synth_out) TO '{target}' (FORMAT json)")
        self._con.unregister("_synth_out")

    def close(self) -> None:
        if self._con is not None:
            self._con.close()
            self._con = None


def _low_cardinality(schema: pa.Schema) -> list[str]:
    """Dictionary-encode only columns with few values: IDs would fill the dictionary in vain."""
    few = {"currency", "status", "kind", "basis", "category", "context", "brand", "rating"}
    return [f.name for f in schema if f.name in few or f.name.startswith("dsr_")]


class TruthWriter:
    """Appends truth tables across chunks, one Parquet file each (row group per chunk)."""

    def __init__(self, folder: Path, schemas: dict[str, pa.Schema]) -> None:
        self.folder = folder
        self.schemas = dict(schemas)
        self.rows: dict[str, int] = {}
        self._writers: dict[str, pq.ParquetWriter] = {}

    def append(self, name: str, tables: list[pa.Table]) -> None:
        tables = [t for t in tables if t is not None]
        if not tables:
            return
        schema = self.schemas.get(name) or _first_schema(tables)
        self.schemas[name] = schema
        table = pa.concat_tables([_conform(t, schema) for t in tables])
        writer = self._writers.get(name)
        if writer is None:
            self.folder.mkdir(parents=True, exist_ok=True)
            writer = pq.ParquetWriter(self.folder / f"{name}.parquet", schema, compression="zstd")
            self._writers[name] = writer
        writer.write_table(table)
        self.rows[name] = self.rows.get(name, 0) + table.num_rows

    def close(self) -> None:
        for name, schema in self.schemas.items():
            if name not in self._writers:  # declared but never planted: an empty table
                self.folder.mkdir(parents=True, exist_ok=True)
                pq.write_table(schema.empty_table(), self.folder / f"{name}.parquet")
                self.rows.setdefault(name, 0)
        for w in self._writers.values():
            w.close()
        self._writers.clear()


def _first_schema(tables: list[pa.Table]) -> pa.Schema:
    for t in tables:
        if not any(pa.types.is_null(f.type) for f in t.schema):
            return t.schema
    return tables[0].schema


def _conform(table: pa.Table, schema: pa.Schema) -> pa.Table:
    if table.schema.equals(schema):
        return table
    cols = []
    for f in schema:
        if f.name in table.column_names:
            cols.append(table.column(f.name).cast(f.type))
        else:
            cols.append(pa.nulls(table.num_rows, f.type))
    return pa.Table.from_arrays(cols, schema=schema)
