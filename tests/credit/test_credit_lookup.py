"""Reading credit back: one merchant's card and the rankings, checked against credit_merchants."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import duckdb
import pytest

from sentinella.credit import REASONS, CreditLookupError, credit_card, rank_merchants
from sentinella.store import Store
from service_world import World


@pytest.fixture
def store(world: World) -> Iterator[Store]:
    """The shared analysed world, read-only."""
    with Store.open(world.db, read_only=True) as opened:
        yield opened


def _sql(world: World, sql: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
    with duckdb.connect(str(world.db), read_only=True) as connection:
        return connection.execute(sql, params or []).fetchall()


def test_card_of_a_brushed_shop_lists_what_was_not_counted(store: Store, world: World) -> None:
    merchant, points, flagged, not_counted = _sql(
        world,
        "SELECT merchant_id, points, flagged_orders, ratings_not_counted FROM credit_merchants "
        "WHERE brushing_flagged ORDER BY flagged_orders DESC LIMIT 1",
    )[0]
    card = credit_card(store.backend, merchant)
    assert card.points == points and card.brushing_flagged and card.flagged_orders == flagged
    assert sum(item.ratings for item in card.not_counted) == not_counted
    flagged_item = next(item for item in card.not_counted if item.reason == "flagged")
    assert flagged_item.why == REASONS["flagged"] and flagged_item.ratings > 0
    assert card.ratings == card.ratings_counted + not_counted
    assert [d.part for d in card.detailed_ratings] == ["described", "service", "shipping"]
    assert card.to_dict()["not_counted"][0]["reason"] == card.not_counted[0].reason


def test_card_of_a_clean_shop_has_nothing_left_out(store: Store, world: World) -> None:
    (merchant,) = _sql(
        world,
        "SELECT merchant_id FROM credit_merchants WHERE ratings_not_counted = 0 AND ratings > 0 "
        "ORDER BY merchant_id LIMIT 1",
    )[0]
    card = credit_card(store.backend, merchant)
    assert card.not_counted == [] and not card.brushing_flagged and card.ratings == card.ratings_counted


def test_rankings_are_ordered(store: Store, world: World) -> None:
    lowest = rank_merchants(store.backend, "lowest", limit=10)
    rates = [m.positive_rate_smoothed for m in lowest]
    assert rates == sorted(rates) and len(lowest) == 10  # type: ignore[type-var]
    assert (
        rates[0]
        == _sql(world, "SELECT min(positive_rate_smoothed) FROM credit_merchants WHERE ratings_counted > 0")[
            0
        ][0]
    )
    penalised = rank_merchants(store.backend, "penalised", limit=10)
    counts = [m.ratings_not_counted for m in penalised]
    assert counts == sorted(counts, reverse=True) and all(counts)
    top = penalised[0]
    row = _sql(
        world,
        "SELECT "
        + ", ".join(f"not_counted_{r}" for r in REASONS)
        + " FROM credit_merchants WHERE merchant_id = ?",
        [top.merchant_id],
    )[0]
    assert top.top_reason == list(REASONS)[row.index(max(row))]


def test_unknown_merchant_suggests_the_nearest_ids(store: Store, world: World) -> None:
    (merchant,) = _sql(world, "SELECT min(merchant_id) FROM credit_merchants")[0]
    with pytest.raises(CreditLookupError, match=f"did you mean {merchant}"):
        credit_card(store.backend, merchant.lower())
    with pytest.raises(CreditLookupError, match="no merchant"):
        credit_card(store.backend, "x' OR '1'='1")
