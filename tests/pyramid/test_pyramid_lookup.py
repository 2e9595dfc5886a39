"""Reading pyramid results back: networks with their tests, a member's upline and downline.

Checked on the shared analysed world against the store itself, with a recursive CTE as the
reference walk for the upline (the lookup walks sponsor links a few hops per query instead).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import duckdb
import pytest

from sentinella.pyramid import PyramidLookupError, list_networks, member_view
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


def test_networks_come_largest_first_with_their_network_tests(store: Store, world: World) -> None:
    networks = list_networks(store.backend, limit=5)
    sizes = [n.members for n in networks]
    assert sizes == sorted(sizes, reverse=True) and len(networks) == 5
    assert sizes[0] == _sql(world, "SELECT max(members) FROM pyramid_networks")[0][0]
    for network in networks:
        expected = _sql(
            world,
            "SELECT rule_id, result FROM pyramid_findings WHERE subject_kind = 'network' AND network_id = ? "
            "ORDER BY jurisdiction, rule_id",
            [network.network_id],
        )
        assert [(t.rule_id, t.result) for t in network.tests] == expected and expected


def test_networks_sorted_by_fees_and_pyramids_only(store: Store, world: World) -> None:
    by_fees = list_networks(store.backend, sort="fees", pyramids_only=True, limit=100)
    assert all(n.is_pyramid for n in by_fees)
    assert len(by_fees) == _sql(world, "SELECT count(*) FROM pyramid_networks WHERE is_pyramid")[0][0]
    fees = [n.fees_total for n in by_fees]
    assert fees == sorted(fees, reverse=True)
    with pytest.raises(PyramidLookupError, match="unknown sort"):
        list_networks(store.backend, sort="height")  # type: ignore[arg-type]


def _deep_member(world: World) -> tuple[str, str, int]:
    """A member at level ≥ 3 with a downline: their ID, network and level."""
    member, network, level = _sql(
        world,
        "SELECT member_id, network_id, level FROM pyramid_members WHERE in_network AND level >= 3 "
        "AND downline > 0 AND NOT sponsor_cut ORDER BY level DESC, member_id LIMIT 1",
    )[0]
    return str(member), str(network), int(level)


def test_upline_follows_the_sponsors_to_the_root(store: Store, world: World) -> None:
    member, network, level = _deep_member(world)
    view = member_view(store.backend, member)
    reference = _sql(
        world,
        "WITH RECURSIVE up(member_id, sponsor_id, depth) AS ("
        "SELECT member_id, sponsor_id, 0 FROM members WHERE member_id = ? UNION ALL "
        "SELECT m.member_id, m.sponsor_id, up.depth + 1 FROM up "
        "JOIN members m ON m.member_id = up.sponsor_id "
        "WHERE up.member_id <> ? AND up.depth < 100) SELECT member_id FROM up WHERE depth > 0 ORDER BY depth",
        [member, network],
    )
    assert [step.member_id for step in view.upline] == [str(r[0]) for r in reference]
    assert view.upline[-1].member_id == network and view.network_id == network and view.level == level
    assert [step.level for step in view.upline] == list(range(level - 1, 0, -1))
    assert view.upline_note == ""


def test_downline_by_level_adds_up_to_the_downline(store: Store, world: World) -> None:
    member, _, _ = _deep_member(world)
    view = member_view(store.backend, member)
    downline, depth, direct = _sql(
        world,
        "SELECT downline, depth_below, direct_recruits FROM pyramid_members WHERE member_id = ?",
        [member],
    )[0]
    assert sum(level.members for level in view.downline_levels) == downline
    assert [level.below for level in view.downline_levels] == list(range(1, depth + 1))
    assert view.downline_levels[0].members == direct


def test_member_findings_name_their_paragraph(store: Store, world: World) -> None:
    (organizer,) = _sql(
        world,
        "SELECT subject_id FROM pyramid_findings WHERE subject_kind = 'member' AND result = 'met' "
        "ORDER BY subject_id LIMIT 1",
    )[0]
    view = member_view(store.backend, organizer)
    expected = _sql(
        world,
        "SELECT rule_id, citation, result FROM pyramid_findings WHERE subject_kind = 'member' "
        "AND subject_id = ? ORDER BY jurisdiction, rule_id",
        [organizer],
    )
    assert [(f.rule_id, f.citation, f.result) for f in view.findings] == expected
    assert all("§" in f.citation or "art." in f.citation for f in view.findings)


def test_a_member_outside_any_network_has_no_upline_and_no_findings(store: Store, world: World) -> None:
    (outsider,) = _sql(
        world, "SELECT member_id FROM pyramid_members WHERE NOT in_network ORDER BY member_id LIMIT 1"
    )[0]
    view = member_view(store.backend, outsider)
    assert view.network_id is None and view.level is None and view.upline == []
    assert view.findings == [] and view.upline_note == "not in a network"


def test_unknown_member_suggests_the_nearest_ids(store: Store, world: World) -> None:
    member = str(_sql(world, "SELECT min(member_id) FROM pyramid_members WHERE in_network")[0][0])
    typo = member.lower()  # one edit from the real ID, two from every other
    with pytest.raises(PyramidLookupError, match=f"no member '{typo}'; did you mean .*{member}"):
        member_view(store.backend, typo)
    for hostile in ("'; DROP TABLE members; --", "[/]", "", "M" * 500):
        with pytest.raises(PyramidLookupError, match="no member"):
            member_view(store.backend, hostile)
    assert member_view(store.backend, member).member_id == member  # the store is intact
