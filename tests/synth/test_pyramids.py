"""The planted recruitment networks really have the structure and money flows truth claims."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from pathlib import Path

import pytest
from synth_world import World

from sentinella.synth import generate_world
from sentinella.synth._pyramids import NetPlan, build_tree, tree_stats


def _forest(world: World) -> dict[str, str | None]:
    return dict(world.q("SELECT member_id, sponsor_id FROM members"))  # type: ignore[arg-type]


def _downline(sponsor: dict[str, str | None], roots: set[str]) -> tuple[int, int]:
    """(headcount incl. the roots merged into one person, levels), by plain BFS."""
    children: dict[str, list[str]] = defaultdict(list)
    for m, s in sponsor.items():
        if s is not None and s != m:
            children[s].append(m)
    seen, frontier, levels = set(roots), list(roots), 1
    while True:
        nxt = [c for p in frontier for c in children[p] if c not in seen]
        if not nxt:
            break
        seen.update(nxt)
        frontier = nxt
        levels += 1
    return len(seen) - len(roots) + 1, levels


def test_tree_formulas_have_their_shape() -> None:
    import numpy as np

    rng = np.random.default_rng(0)
    depth, size, height, root = tree_stats(build_tree(NetPlan("pyramid", "binary", 31), rng))
    assert depth.max() + 1 == 5 and size[0] == 31 and height[0] == 4 and (root == 0).all()
    depth, size, height, _ = tree_stats(build_tree(NetPlan("pyramid", "chain", 50), rng))
    assert list(depth) == list(range(50)) and list(size) == list(range(50, 0, -1))
    depth, *_ = tree_stats(build_tree(NetPlan("pyramid", "matrix", 13, width=3), rng))
    assert depth.max() + 1 == 3
    depth, *_ = tree_stats(build_tree(NetPlan("pyramid", "wide", 200, depth=2), rng))
    assert depth.max() + 1 == 2
    parent = build_tree(NetPlan("pyramid", "sub_leader", 36, sub=30), rng)
    _, size, height, _ = tree_stats(parent)
    assert size[2] == 30 and height[2] + 1 == 3


def test_network_sizes_and_levels_match_the_sponsor_data(tiny: World) -> None:
    sponsor = _forest(tiny)
    nets = tiny.q(
        "SELECT network_id, shape, root_member_id, members, levels FROM truth_pyramid_networks"
        " WHERE shape NOT IN ('split', 'star')"
    )
    assert len(nets) >= 8
    for nid, _shape, root, members, levels in nets:
        assert _downline(sponsor, {root}) == (members, levels), nid
        count = tiny.one(f"SELECT count(*) FROM truth_pyramid_members WHERE network_id = '{nid}'")
        assert count == members


def test_recruits_join_after_their_sponsors(tiny: World) -> None:
    late = tiny.one(
        "SELECT count(*) FROM members m JOIN members s ON m.sponsor_id = s.member_id"
        " JOIN truth_pyramid_members p ON p.member_id = m.member_id WHERE m.joined_at < s.joined_at"
    )
    assert late == 0


def test_threshold_catalogue_is_planted_at_the_edges(default_world: World) -> None:
    rows = default_world.q(
        "SELECT note, members, levels, organizers FROM truth_pyramid_networks WHERE note <> ''"
    )
    by_note = {r[0]: r[1:] for r in rows}
    assert by_note["29 members: one below the 30-member threshold"][0] == 29
    assert by_note["30 members: exactly at the threshold"][0] == 30
    assert by_note["120: exactly 'serious'"][0] == 120
    wide = by_note["wide and shallow: 200 members, 2 levels"]
    assert wide == (200, 2, 0)  # ≥ 30 members but 2 levels: no organizer
    assert by_note["a chain: 30 members, 30 levels"][:2] == (30, 30)
    sizes = {r[1] for r in rows}
    assert {29, 30, 31, 119, 120, 121} <= sizes


def test_organizer_flags_follow_the_rule(default_world: World) -> None:
    sponsor = _forest(default_world)
    rows = default_world.q(
        "SELECT m.member_id, m.headcount, m.levels_below, m.organizer, n.kind, n.pay_basis"
        " FROM truth_pyramid_members m JOIN truth_pyramid_networks n USING (network_id)"
        " WHERE n.shape <> 'star'"
    )
    organizers_below_root = 0
    for member, headcount, below, organizer, kind, pay in rows:
        if headcount >= 25:  # check the figures themselves near and above the threshold
            assert _downline(sponsor, {member}) == (headcount, below), member
        expected = kind == "pyramid" and pay != "sales" and headcount >= 30 and below >= 3
        assert organizer == expected
        if organizer and sponsor[member] is not None:
            organizers_below_root += 1
    assert organizers_below_root >= 1
    sub = default_world.q(
        "SELECT m.headcount, m.levels_below, m.organizer FROM truth_pyramid_members m"
        " JOIN truth_pyramid_networks n USING (network_id)"
        " WHERE n.note LIKE 'sub-leader%' AND m.level = 3 AND m.headcount >= 29"
    )
    assert sorted(sub) == [(29, 3, False), (30, 3, True)]


def test_entry_fees_and_commission_levels(tiny: World) -> None:
    nets = tiny.q(
        "SELECT network_id, entry_fee, commission_levels, levels, recruitment_rates"
        " FROM truth_pyramid_networks WHERE kind = 'pyramid' AND shape <> 'split'"
    )
    for nid, fee, levels_paid, levels, rates in nets:
        members = f"SELECT member_id FROM truth_pyramid_members WHERE network_id = '{nid}'"
        fees = tiny.q(
            f"SELECT amount, count(*) FROM payments WHERE kind = 'entry_fee' AND payer_id IN ({members})"
            " GROUP BY 1"
        )
        if fee > 0:
            # every member but the root paid the fee once
            total = tiny.one(f"SELECT members FROM truth_pyramid_networks WHERE network_id = '{nid}'")
            assert fees == [(fee, total - 1)], nid
        max_level = tiny.one(
            "SELECT max(level) FROM payments WHERE kind IN ('commission', 'bonus') AND basis = 'recruitment'"
            f" AND payee_id IN ({members})"
        )
        if rates and levels >= 3:
            assert max_level == min(levels_paid, levels - 2), nid
        assert len(rates.split(",")) == levels_paid if rates else True


def test_starter_package_network_pays_to_join_by_buying(tiny: World) -> None:
    """The disguised entry fee of art. 224-1: no entry_fee, but every recruit buys the ¥398
    package within an hour of joining, and sponsors get a bonus per recruit."""
    rows = tiny.q("SELECT network_id, members FROM truth_pyramid_networks WHERE pay_basis = 'starter'")
    assert len(rows) == 1
    nid, size = rows[0]
    members = f"SELECT member_id FROM truth_pyramid_members WHERE network_id = '{nid}' AND level > 1"
    assert (
        tiny.one(f"SELECT count(*) FROM payments WHERE kind = 'entry_fee' AND payer_id IN ({members})") == 0
    )
    starters = tiny.one(
        "SELECT count(DISTINCT o.buyer_id) FROM orders o JOIN members m ON m.member_id = o.buyer_id "
        f"WHERE o.buyer_id IN ({members}) AND o.amount = 398 AND o.currency = 'CNY' "
        "AND o.placed_at <= m.joined_at + INTERVAL 1 DAY"
    )
    assert starters == size - 1
    assert tiny.one(f"SELECT count(*) FROM payments WHERE kind = 'bonus' AND payer_id IN ({members})") == 0
    assert (
        tiny.one(
            "SELECT count(*) FROM payments WHERE kind = 'bonus' AND basis = 'recruitment' AND level = 1 "
            f"AND payee_id IN (SELECT member_id FROM truth_pyramid_members WHERE network_id = '{nid}')"
        )
        > 0
    )


def test_commissions_are_paid_to_the_upline_at_that_distance(tiny: World) -> None:
    sponsor = _forest(tiny)
    rows = tiny.q(
        "SELECT p.payee_id, p.level, o.buyer_id FROM payments p JOIN orders o USING (order_id)"
        " WHERE p.kind = 'commission' AND p.basis = 'downline_sales'"
        " AND o.buyer_id IN (SELECT member_id FROM truth_pyramid_members)"
    )
    assert rows
    for payee, level, buyer in rows:
        up = buyer
        for _ in range(level):
            up = sponsor[up]
        assert up == payee


def test_referral_pays_one_level_and_no_fees(tiny: World) -> None:
    members = (
        "SELECT member_id FROM truth_pyramid_members JOIN truth_pyramid_networks USING (network_id)"
        " WHERE kind = 'referral'"
    )
    levels = tiny.q(
        f"SELECT DISTINCT kind, basis, level FROM payments WHERE payee_id IN ({members})"
        " AND kind IN ('bonus', 'commission')"
    )
    assert levels == [("bonus", "recruitment", 1)]
    assert tiny.one(f"SELECT count(*) FROM payments WHERE kind='entry_fee' AND payer_id IN ({members})") == 0
    assert tiny.one("SELECT max(levels) FROM truth_pyramid_networks WHERE kind = 'referral'") >= 3


def test_direct_sellers_are_paid_on_own_sales_only(tiny: World) -> None:
    members = (
        "SELECT member_id FROM truth_pyramid_members JOIN truth_pyramid_networks USING (network_id)"
        " WHERE kind = 'direct_selling'"
    )
    rows = tiny.q(
        "SELECT p.basis, p.level, p.amount, o.amount FROM payments p LEFT JOIN orders o USING (order_id)"
        f" WHERE p.payee_id IN ({members}) AND p.kind IN ('commission', 'bonus')"
    )
    assert rows
    for basis, level, paid, sale in rows:
        assert basis == "own_sales" and level is None and sale is not None
        assert paid <= Decimal("0.3") * sale
    assert tiny.one(f"SELECT count(*) FROM payments WHERE kind='entry_fee' AND payer_id IN ({members})") == 0
    assert tiny.one("SELECT max(levels) FROM truth_pyramid_networks WHERE kind = 'direct_selling'") >= 3


def test_most_pyramid_members_lose_money(tiny: World) -> None:
    share = tiny.one(
        "SELECT avg(CASE WHEN net_income < 0 THEN 1 ELSE 0 END) FROM truth_pyramid_members m"
        " JOIN truth_pyramid_networks n USING (network_id) WHERE n.kind = 'pyramid' AND n.entry_fee > 0"
    )
    assert share > 0.5
    # the truth's income figures are the payments' own sums
    for member, fees, comm in tiny.q(
        "SELECT member_id, fees_paid, commissions_received FROM truth_pyramid_members LIMIT 60"
    ):
        assert fees == tiny.one(
            f"SELECT coalesce(sum(amount), 0) FROM payments WHERE kind='entry_fee' AND payer_id='{member}'"
        )
        assert comm == tiny.one(
            "SELECT coalesce(sum(amount), 0) FROM payments WHERE kind IN ('commission','bonus')"
            f" AND payee_id='{member}'"
        )


def test_split_downline_persons(tiny: World) -> None:
    sponsor = _forest(tiny)
    split = tiny.q("SELECT person_id, list(member_id) FROM truth_persons WHERE split_downline GROUP BY 1")
    assert split
    for _person, accounts in split:
        ids = ", ".join(f"'{a}'" for a in accounts)
        shared = tiny.q(
            f"SELECT count(DISTINCT phone), count(DISTINCT id_number), count(DISTINCT bank_account)"
            f" FROM members WHERE member_id IN ({ids})"
        )
        assert shared == [(1, 1, 1)]
        alone = [_downline(sponsor, {a}) for a in accounts]
        assert all(h < 30 for h, _ in alone)
        merged, levels = _downline(sponsor, set(accounts))
        assert merged >= 30 and levels >= 3
        flags = tiny.q(
            f"SELECT organizer, organizer_merged FROM truth_pyramid_members WHERE member_id IN ({ids})"
        )
        assert all(f == (False, True) for f in flags)


def test_multi_account_persons_share_what_truth_says(tiny: World) -> None:
    rows = tiny.q(
        "SELECT p.member_id, p.shared, q.member_id FROM truth_persons p"
        " JOIN truth_persons q ON p.person_id = q.person_id AND q.primary_account"
        " WHERE NOT p.primary_account AND NOT p.split_downline"
    )
    assert rows
    column = {
        "phone": "phone",
        "id_number": "id_number",
        "device_id": "device_id",
        "bank_account": "bank_account",
    }
    for member, shared, primary in rows:
        for ident in shared.split("|"):
            a = tiny.one(f"SELECT {column[ident]} FROM members WHERE member_id = '{member}'")
            b = tiny.one(f"SELECT {column[ident]} FROM members WHERE member_id = '{primary}'")
            assert a == b and a is not None


@pytest.mark.parametrize("kind", ["self_sponsor", "cycle", "unknown_sponsor", "left_but_paid"])
def test_recruitment_flaws_are_in_the_data(tiny: World, kind: str) -> None:
    sponsor = _forest(tiny)
    rows = tiny.q(f"SELECT member_id, sponsor_id, left_at FROM truth_recruitment_flaws WHERE kind = '{kind}'")
    assert rows
    for member, sp, left in rows:
        assert sponsor[member] == sp
        if kind == "self_sponsor":
            assert sp == member
        elif kind == "cycle":
            seen, cur = [], member
            while cur not in seen:
                seen.append(cur)
                cur = sponsor[cur]
            assert cur == member and len(seen) <= 4
        elif kind == "unknown_sponsor":
            assert sp not in sponsor
        else:
            last = tiny.one(
                f"SELECT max(paid_at) FROM payments WHERE payee_id = '{member}' AND kind = 'commission'"
            )
            assert left is not None and last > left


def test_hidden_sponsors_are_recorded(tmp_path: Path) -> None:
    w = World(
        generate_world(
            tmp_path,
            members=1500,
            seed=6,
            profile="tiny",
            media=False,
            overrides={"hidden_sponsor_share": 0.3},
        )
    )
    hidden, shown = w.q(
        "SELECT count(*) FILTER (WHERE p.sponsor_hidden), count(*) FILTER (WHERE NOT p.sponsor_hidden)"
        " FROM truth_pyramid_members p JOIN truth_pyramid_networks n USING (network_id)"
        " WHERE p.level > 1 AND n.shape <> 'star'"
    )[0]
    assert 0.15 < hidden / (hidden + shown) < 0.45
    mismatched = w.one(
        "SELECT count(*) FROM truth_pyramid_members p JOIN members m USING (member_id) WHERE p.level > 1"
        " AND (p.sponsor_hidden <> (m.sponsor_id IS NULL)"
        " OR (NOT p.sponsor_hidden AND m.sponsor_id <> p.sponsor_id))"
    )
    assert mismatched == 0
