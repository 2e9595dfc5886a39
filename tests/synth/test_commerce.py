"""Orders, reviews, rings and look-alikes: the planted behaviour is really in the tables."""

from __future__ import annotations

from itertools import pairwise

from synth_world import World


def test_ring_target_orders_are_completed_five_star(tiny: World) -> None:
    rows = tiny.q(
        "SELECT o.status, r.rating, r.dsr_described, r.dsr_service, r.dsr_shipping"
        " FROM truth_ring_orders t JOIN orders o USING (order_id)"
        " LEFT JOIN reviews r USING (order_id) WHERE t.role = 'target'"
    )
    assert len(rows) >= 20
    assert set(rows) == {("completed", 5, 5, 5, 5)}


def test_rings_share_devices_and_addresses(tiny: World) -> None:
    rings = tiny.q("SELECT ring_id, merchant_id, members, devices, addresses FROM truth_brushing_rings")
    assert len(rings) >= 2
    for ring, merchant, members, devices, addresses in rings:
        member_ids = f"SELECT member_id FROM truth_ring_members WHERE ring_id = '{ring}'"
        assert 10 <= members <= 30
        assert tiny.one(f"SELECT count(*) FROM ({member_ids})") == members
        distinct_dev = tiny.one(
            f"SELECT count(DISTINCT device_id) FROM members WHERE member_id IN ({member_ids})"
        )
        assert distinct_dev == devices < members
        target = f"SELECT order_id FROM truth_ring_orders WHERE role = 'target' AND ring_id = '{ring}'"
        got = tiny.q(
            f"SELECT count(DISTINCT ship_to), count(DISTINCT device_id), min(merchant_id), max(merchant_id)"
            f" FROM orders WHERE order_id IN ({target})"
        )
        assert got[0][0] == addresses <= 3
        assert got[0][1] <= devices
        assert got[0][2] == got[0][3] == merchant
        camo = tiny.q(
            "SELECT DISTINCT o.merchant_id FROM truth_ring_orders t JOIN orders o USING (order_id)"
            f" WHERE t.role = 'camouflage' AND t.ring_id = '{ring}'"
        )
        assert camo and merchant not in {c[0] for c in camo}
        # the shop owner pays the fake buyers back outside the orders
        owner = tiny.one(f"SELECT member_id FROM merchants WHERE merchant_id = '{merchant}'")
        cashback = tiny.one(
            f"SELECT count(*) FROM payments WHERE kind = 'other' AND payer_id = '{owner}'"
            f" AND payee_id IN ({member_ids})"
        )
        assert cashback == tiny.one(f"SELECT count(*) FROM ({target})")


def test_bursts_and_drips(tiny: World) -> None:
    rings = tiny.q("SELECT ring_id, pattern FROM truth_brushing_rings")
    for ring, pattern in rings:
        times = [
            r[0]
            for r in tiny.q(
                "SELECT o.placed_at FROM truth_ring_orders t JOIN orders o USING (order_id)"
                f" WHERE t.ring_id = '{ring}' AND t.role = 'target' ORDER BY 1"
            )
        ]
        gaps = [(b - a).total_seconds() / 3600 for a, b in pairwise(times)]
        if pattern == "burst":  # at most three bursts of two hours
            assert sum(g > 2 for g in gaps) <= 2
        else:  # a slow drip over up to two months
            assert (times[-1] - times[0]).days <= 60 and sum(g > 2 for g in gaps) >= 3


def test_honest_lookalikes_are_planted(tiny: World) -> None:
    kinds = {r[0] for r in tiny.q("SELECT DISTINCT kind FROM truth_lookalikes")}
    assert {
        "loyal_buyers",
        "family_shop",
        "flash_sale",
        "referral",
        "direct_selling",
        "friends_shop",
    } <= kinds
    # a family shares one delivery address
    fam = tiny.q(
        "SELECT count(DISTINCT o.ship_to) FROM truth_lookalikes l JOIN orders o"
        " ON o.buyer_id = l.entity_id AND o.merchant_id = ("
        "  SELECT entity_id FROM truth_lookalikes m"
        "  WHERE m.lookalike_id = l.lookalike_id AND m.role = 'merchant')"
        " WHERE l.kind = 'family_shop' AND l.role = 'buyer' GROUP BY l.lookalike_id"
    )
    assert fam and all(n == 1 for (n,) in fam)
    # a flash sale: many strangers within one hour, on distinct devices
    sales = tiny.q(
        "SELECT lookalike_id, entity_id FROM truth_lookalikes WHERE kind = 'flash_sale' AND role = 'merchant'"
    )
    assert sales
    for lid, merchant in sales:
        buyers = f"SELECT entity_id FROM truth_lookalikes WHERE lookalike_id = '{lid}' AND role = 'buyer'"
        n_buyers = tiny.one(f"SELECT count(*) FROM ({buyers})")
        peak, devices = tiny.q(
            "SELECT max(c), max(d) FROM (SELECT count(*) OVER w c, count(DISTINCT device_id) OVER w d"
            f" FROM orders WHERE merchant_id = '{merchant}' AND buyer_id IN ({buyers})"
            " WINDOW w AS (ORDER BY placed_at RANGE BETWEEN CURRENT ROW AND INTERVAL 1 HOUR FOLLOWING))"
        )[0]
        assert n_buyers >= 50 and peak >= n_buyers and devices >= 0.8 * peak


def test_orders_of_listings_use_the_listing_price(tiny: World) -> None:
    bad = tiny.one(
        "SELECT count(*) FROM orders o JOIN listings l USING (listing_id)"
        " WHERE o.amount <> l.price * o.quantity OR o.currency <> l.currency"
        " OR o.merchant_id <> l.merchant_id"
    )
    assert bad == 0
    assert tiny.one("SELECT count(*) FROM orders WHERE listing_id IS NOT NULL") > 0.9 * tiny.one(
        "SELECT count(*) FROM orders"
    )


def test_order_lifecycle_is_consistent(tiny: World) -> None:
    statuses = {r[0] for r in tiny.q("SELECT DISTINCT status FROM orders")}
    assert statuses == {
        "placed",
        "paid",
        "shipped",
        "delivered",
        "completed",
        "refunded",
        "disputed",
        "cancelled",
    }
    assert tiny.one("SELECT count(*) FROM orders WHERE status = 'completed' AND completed_at IS NULL") == 0
    assert tiny.one("SELECT count(*) FROM orders WHERE completed_at < placed_at") == 0
    assert (
        tiny.one(
            "SELECT count(*) FROM orders o JOIN members m ON o.buyer_id = m.member_id"
            " WHERE o.placed_at < m.joined_at"
        )
        == 0
    )
    # reviews only of completed orders (or refunded after completion), after completion
    assert (
        tiny.one(
            "SELECT count(*) FROM reviews r JOIN orders o USING (order_id)"
            " WHERE o.completed_at IS NULL OR r.created_at < o.completed_at"
        )
        == 0
    )
    # some refunds come after the buyer rated
    assert (
        tiny.one(
            "SELECT count(*) FROM reviews r JOIN payments p USING (order_id)"
            " WHERE p.kind = 'refund' AND p.paid_at > r.created_at"
        )
        > 0
    )
    # a purchase payment for every paid order
    assert (
        tiny.one(
            "SELECT count(*) FROM orders o WHERE status NOT IN ('placed', 'cancelled') AND NOT EXISTS"
            " (SELECT 1 FROM payments p WHERE p.order_id = o.order_id AND p.kind = 'purchase')"
        )
        == 0
    )


def test_honest_market_is_heavy_tailed_with_repeat_buyers(default_world: World) -> None:
    w = default_world
    top = w.one(
        "WITH s AS (SELECT merchant_id, count(*) n FROM orders GROUP BY 1),"
        " r AS (SELECT n, row_number() OVER (ORDER BY n DESC) i, count(*) OVER () c FROM s)"
        " SELECT sum(n) FILTER (WHERE i <= c / 10) / sum(n) FROM r"
    )
    assert top > 0.4
    repeat = w.one(
        "SELECT avg(CASE WHEN n > 1 THEN 1 ELSE 0 END) FROM"
        " (SELECT buyer_id, merchant_id, count(*) n FROM orders GROUP BY 1, 2)"
    )
    assert 0.05 < repeat < 0.6
    negative = w.one(
        "SELECT avg(CASE WHEN rating <= 2 THEN 1 ELSE 0 END) FROM reviews WHERE rating BETWEEN 1 AND 5"
    )
    assert 0.01 < negative < 0.2
    # seasonality: Singles' Day outsells an ordinary day
    nov11 = w.one("SELECT count(*) FROM orders WHERE strftime(placed_at, '%m-%d') = '11-11'")
    oct20 = w.one("SELECT count(*) FROM orders WHERE strftime(placed_at, '%m-%d') = '10-20'")
    assert nov11 > 2 * oct20


def test_merchant_roles_reach_the_goods(tiny: World) -> None:
    kinds = {
        r[0] for r in tiny.q("SELECT DISTINCT kind FROM truth_lookalikes WHERE entity_kind = 'merchant'")
    }
    assert {"clearance", "secondhand"} <= kinds
    assert tiny.one("SELECT count(*) FROM listings") > 0
    assert (
        tiny.one(
            "SELECT count(*) FROM merchants m"
            " WHERE NOT EXISTS (SELECT 1 FROM members x WHERE x.member_id = m.member_id)"
        )
        == 0
    )


def test_ties_are_unique_and_recruitment_runs_along_them(tiny: World) -> None:
    assert (
        tiny.one(
            "SELECT count(*) FROM (SELECT member_a, member_b, kind, group_id, count(*) c"
            " FROM ties GROUP BY ALL HAVING c > 1)"
        )
        == 0
    )
    linked = tiny.one(
        "SELECT avg(CASE WHEN EXISTS (SELECT 1 FROM ties t WHERE t.kind = 'friend' AND"
        " ((t.member_a = m.member_id AND t.member_b = m.sponsor_id)"
        " OR (t.member_b = m.member_id AND t.member_a = m.sponsor_id)))"
        " THEN 1 ELSE 0 END) FROM members m JOIN truth_pyramid_members p USING (member_id)"
        " JOIN truth_pyramid_networks n USING (network_id)"
        " WHERE m.sponsor_id IS NOT NULL AND n.shape <> 'matrix'"
    )
    assert linked == 1


def test_everything_happens_inside_the_export_window(default_world: World) -> None:
    end = "TIMESTAMPTZ '2025-06-30 00:00:00+00'"
    for table, column in (
        ("orders", "placed_at"),
        ("orders", "completed_at"),
        ("reviews", "created_at"),
        ("payments", "paid_at"),
        ("members", "joined_at"),
        ("members", "left_at"),
        ("ties", "since"),
        ("merchants", "opened_at"),
    ):
        assert default_world.one(f"SELECT count(*) FROM {table} WHERE {column} >= {end}") == 0, column
