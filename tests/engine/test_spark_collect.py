"""Big results reach Python through Parquet files, and come back as ``toArrow`` gives them; big
Arrow tables reach Spark through a file, and read as ``createDataFrame`` makes them."""

from __future__ import annotations

from typing import Any

import pytest

pytestmark = pytest.mark.spark

QUERIES = [
    # sorted, across several partitions: the order must survive the files
    "SELECT * FROM collect_numbers ORDER BY id DESC",
    "SELECT id % 10 AS k, count(*) AS n, sum(id) AS total FROM collect_numbers GROUP BY 1 ORDER BY k",
    "SELECT id FROM collect_numbers WHERE id < 0",  # nothing: an empty table of the same schema
]


@pytest.fixture(scope="module")
def numbers(spark_session: Any) -> None:
    spark_session.sql(
        "CREATE OR REPLACE TEMP VIEW collect_numbers AS SELECT id, "
        "concat('M', CAST(id AS STRING)) AS member_id, "
        "CAST(id AS DECIMAL(18, 4)) / 3 AS amount, CASE WHEN id % 7 = 0 THEN NULL ELSE id END AS maybe, "
        "TIMESTAMP '2024-03-01 12:00:00' + make_interval(0, 0, 0, 0, 0, 0, id) AS at, "
        "TIMESTAMP_NTZ '2024-03-01 12:00:00' AS local_at, id % 2 = 0 AS even FROM range(0, 5000, 1, 6)"
    )


@pytest.mark.parametrize("sql", QUERIES)
def test_results_through_files_equal_to_arrow(
    spark_session: object, numbers: None, sql: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sentinella.engine import SparkBackend, _spark

    written: list[int] = []
    collect = _spark._collect_through_parquet

    def counted(frame: Any) -> Any:
        written.append(1)
        return collect(frame)

    monkeypatch.setattr(_spark, "_collect_through_parquet", counted)

    direct = SparkBackend(spark_session, collect_through_files_above=1 << 60)  # never
    through_files = SparkBackend(spark_session, collect_through_files_above=0)  # always
    expected = direct.query(sql)
    assert not written
    got = through_files.query(sql)
    assert written == [1]
    assert got.schema == expected.schema
    assert got.equals(expected)
    assert got.num_rows == (0 if "< 0" in sql else 10 if "GROUP" in sql else 5000)


def _typed_table() -> Any:
    import datetime as dt
    from decimal import Decimal

    import pyarrow as pa

    n = 3000
    return pa.table(
        {
            "code": pa.array(range(n), pa.int32()),
            "big": pa.array([i * 10**12 for i in range(n)], pa.int64()),
            "amount": pa.array([Decimal(i) / 8 for i in range(n)], pa.decimal128(18, 4)),
            "member_id": pa.array([None if i % 5 == 0 else f"M{i}" for i in range(n)], pa.string()),
            "flag": pa.array([i % 3 == 0 for i in range(n)]),
            "at": pa.array(
                [dt.datetime(2024, 3, 1, tzinfo=dt.UTC) + dt.timedelta(seconds=i) for i in range(n)],
                pa.timestamp("us", "UTC"),
            ),
            "local_at": pa.array([dt.datetime(2024, 3, 1, 12) for _ in range(n)], pa.timestamp("us")),
            "ratio": pa.array([i / 7 for i in range(n)], pa.float64()),
        }
    )


@pytest.mark.parametrize("kind", ["table", "stream", "empty"])
def test_arrow_through_files_registers_as_create_dataframe_does(spark_session: Any, kind: str) -> None:
    from sentinella.engine import SparkBackend

    table = _typed_table()
    if kind == "empty":
        table = table.slice(0, 0)
    direct = SparkBackend(spark_session, register_through_files_above=1 << 60)  # never
    through_files = SparkBackend(spark_session, register_through_files_above=0)  # always
    direct.register_arrow("reg_direct", table)
    given = table.to_reader(max_chunksize=700) if kind == "stream" else table
    through_files.register_arrow("reg_files", given)
    staged = through_files._staged["reg_files"].name
    assert spark_session.table("reg_files").schema == spark_session.table("reg_direct").schema
    sql = "SELECT * FROM {} ORDER BY code"
    assert through_files.query(sql.format("reg_files")).equals(direct.query(sql.format("reg_direct")))
    through_files.write_table("reg_written", given if kind != "stream" else table.to_reader())
    assert through_files.query(sql.format("reg_written")).num_rows == table.num_rows
    through_files.unregister("reg_files")
    direct.unregister("reg_direct")
    import os

    assert not os.path.exists(staged), "the file goes with its view"
    assert not through_files._staged, "write_table's own staging file is gone too"
