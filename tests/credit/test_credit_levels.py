"""The 20-level table at every threshold, in Python and in SQL; the credit SQL parses for Spark."""

from __future__ import annotations

import duckdb
import pytest
import sqlglot

from sentinella.credit import LEVELS, CreditConfig, level_for
from sentinella.credit._config import level_sql
from sentinella.credit._merchants import merchants_sql, universe_sql, votes_sql
from sentinella.credit._rules import (
    base_sql,
    details_sql,
    multi_sql,
    pairs_sql,
    sequence_sql,
)

# (level, lowest points, highest points) as the issue lists them
TABLE = [
    (1, 4, 10), (2, 11, 40), (3, 41, 90), (4, 91, 150), (5, 151, 250),
    (6, 251, 500), (7, 501, 1_000), (8, 1_001, 2_000), (9, 2_001, 5_000), (10, 5_001, 10_000),
    (11, 10_001, 20_000), (12, 20_001, 50_000), (13, 50_001, 100_000), (14, 100_001, 200_000),
    (15, 200_001, 500_000), (16, 500_001, 1_000_000), (17, 1_000_001, 2_000_000),
    (18, 2_000_001, 5_000_000), (19, 5_000_001, 10_000_000), (20, 10_000_001, None),
]  # fmt: skip


def test_levels_match_the_published_table() -> None:
    assert [(lv.level, lv.min_points) for lv in LEVELS] == [(lv, low) for lv, low, _ in TABLE]
    tiers = [lv.tier for lv in LEVELS]
    assert tiers == ["heart"] * 5 + ["diamond"] * 5 + ["crown"] * 5 + ["gold_crown"] * 5
    assert LEVELS[0].name == "1 heart" and LEVELS[0].symbol == "❤"
    assert LEVELS[9].name == "5 diamonds" and LEVELS[9].symbol == "💎" * 5
    assert LEVELS[12].name == "3 crowns" and LEVELS[19].name == "5 gold crowns"
    assert len({lv.symbol for lv in LEVELS}) == 20


@pytest.mark.parametrize(("level", "low", "high"), TABLE)
def test_every_threshold_in_python_and_sql(level: int, low: int, high: int | None) -> None:
    probes = {low - 1: level - 1, low: level}
    if high is not None:
        probes[high] = level
        probes[high + 1] = level + 1
    attrs = ("level", "tier", "name", "symbol")
    sql = ", ".join(level_sql("p", a) for a in attrs)
    for points, expected in probes.items():
        found = level_for(points)
        assert (found.level if found else 0) == expected
        rows = duckdb.sql(f"SELECT {sql} FROM (SELECT {points} AS p)").fetchall()
        row = rows[0]
        if expected == 0:
            assert row == (0, None, None, None)
        else:
            lv = LEVELS[expected - 1]
            assert row == (lv.level, lv.tier, lv.name, lv.symbol)


def test_negative_points_have_no_level() -> None:
    assert level_for(-50) is None and level_for(3) is None


def test_the_sql_parses_for_spark() -> None:
    import datetime as dt

    config = CreditConfig(timezone="Europe/Rome")  # with DST transitions in the CASE
    day = dt.date(2024, 6, 30)
    cutoff = "TIMESTAMPTZ '2024-06-30 22:00:00+00'"
    statements = (
        base_sql(config, day, cutoff),
        pairs_sql(),
        multi_sql(config),
        sequence_sql(config),
        details_sql(config),
        universe_sql(cutoff),
        votes_sql(),
        merchants_sql(config, day, cutoff),
    )
    for sql in statements:
        assert sqlglot.transpile(sql, read="duckdb", write="spark")
