"""Reading rings back: the strongest rings and one ring's accounts, orders and evidence."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import duckdb
import pytest

from sentinella.rings import RingLookupError, list_rings, ring_view
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


def test_rings_strongest_first_with_evidence(store: Store, world: World) -> None:
    found = list_rings(store.backend, limit=100)
    assert len(found) == _sql(world, "SELECT count(*) FROM ring_groups")[0][0] > 0
    scores = [r.score for r in found]
    assert scores == sorted(scores, reverse=True)
    assert all(r.evidence.startswith(f"{r.members} accounts") for r in found)


def test_ring_view_matches_the_ring_tables(store: Store, world: World) -> None:
    ring = list_rings(store.backend, limit=1)[0]
    view = ring_view(store.backend, ring.ring_id, orders=5)
    members = _sql(
        world, "SELECT member_id FROM ring_members WHERE ring_id = ? ORDER BY member_id", [ring.ring_id]
    )
    assert sorted(a.member_id for a in view.accounts) == [str(m[0]) for m in members]
    assert len(view.accounts) == ring.members
    total = _sql(world, "SELECT count(*) FROM ring_order_scores WHERE ring_id = ?", [ring.ring_id])[0][0]
    assert view.orders_total == total == ring.orders and len(view.orders) == min(5, total)
    placed = [o.placed_at for o in view.orders]
    assert placed == sorted(placed)  # type: ignore[type-var]
    buyers = {a.member_id for a in view.accounts}
    assert all(o.buyer_id in buyers for o in view.orders)


def test_unknown_ring_suggests_the_nearest_ids(store: Store) -> None:
    ring = list_rings(store.backend, limit=1)[0].ring_id
    with pytest.raises(RingLookupError, match=f"did you mean {ring}"):
        ring_view(store.backend, ring.lower())
