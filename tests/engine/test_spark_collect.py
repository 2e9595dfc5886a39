"""Big results reach Python through Parquet files, and come back as ``toArrow`` gives them."""

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
