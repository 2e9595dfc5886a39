"""Generated worlds for the rings tests, and harder variants made by editing the store."""

from __future__ import annotations

from pathlib import Path

from sentinella.engine import Backend


def _quote(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def strip_ring_identifiers(backend: Backend, truth: Path) -> None:
    """Rings that hide their wiring: own device, own address, own payout account per account,
    no shared chat group and no cashback from the shop's owner. What is left to find them is
    behaviour: lockstep, dense blocks around the shop, 5-star habits and account age."""
    members = f"read_parquet({_quote(truth / 'ring_members.parquet')})"
    rings = f"read_parquet({_quote(truth / 'brushing_rings.parquet')})"
    backend.execute(
        "UPDATE orders SET device_id = 'DEV-own-' || buyer_id, ship_to = 'own address of ' || buyer_id "
        f"WHERE buyer_id IN (SELECT member_id FROM {members})"
    )
    backend.execute(
        "UPDATE members SET device_id = 'DEV-own-' || member_id, bank_account = 'BANK-own-' || member_id "
        f"WHERE member_id IN (SELECT member_id FROM {members})"
    )
    backend.execute(f"DELETE FROM ties WHERE group_id IN (SELECT chat_group_id FROM {rings})")
    backend.execute(
        f"DELETE FROM payments WHERE kind = 'other' AND payee_id IN (SELECT member_id FROM {members})"
    )


def age_ring_accounts(backend: Backend, truth: Path, days: int = 400) -> None:
    """Bought, aged accounts instead of fresh ones: account age stops being a clue."""
    members = f"read_parquet({_quote(truth / 'ring_members.parquet')})"
    backend.execute(
        f"UPDATE members SET joined_at = joined_at - INTERVAL {int(days)} DAY "
        f"WHERE member_id IN (SELECT member_id FROM {members})"
    )


def plant_ring_at_popular_shop(
    backend: Backend, accounts: int = 20, orders_each: int = 2
) -> tuple[str, list[str]]:
    """A burst ring of hijacked, aged accounts (real histories as camouflage, own devices and
    addresses) at the busiest shop: 20 accounts among thousands of honest buyers.

    Returns the shop and the new order IDs.
    """
    shop = str(
        backend.scalar(
            "SELECT merchant_id FROM orders GROUP BY merchant_id "
            "ORDER BY count(DISTINCT buyer_id) DESC LIMIT 1"
        )
    )
    backend.execute(
        "CREATE TEMP TABLE __hijacked AS SELECT buyer_id, "
        "row_number() OVER (ORDER BY hash(buyer_id)) AS k "
        "FROM (SELECT buyer_id FROM orders GROUP BY buyer_id HAVING count(*) >= 3 "
        f"AND count(*) FILTER (WHERE merchant_id = '{shop}') = 0) "
        f"ORDER BY hash(buyer_id) LIMIT {int(accounts)}"
    )
    listing = backend.scalar(
        f"SELECT listing_id FROM orders WHERE merchant_id = '{shop}' AND listing_id IS NOT NULL LIMIT 1"
    )
    start = backend.scalar(
        f"SELECT max(placed_at) - INTERVAL 40 DAY FROM orders WHERE merchant_id = '{shop}'"
    )
    # each round: every account orders within 90 minutes; rounds three days apart
    backend.execute(
        "CREATE TEMP TABLE __planted AS SELECT "
        "'OPLANT' || lpad(CAST(h.k * 10 + j AS VARCHAR), 6, '0') AS order_id, h.buyer_id, "
        f"TIMESTAMPTZ '{start}' + INTERVAL (j * 3) DAY "
        "+ to_seconds(CAST(h.k * 97 % 5400 AS BIGINT)) AS placed_at "
        f"FROM __hijacked h, range({int(orders_each)}) r(j)"
    )
    backend.execute(
        "INSERT INTO orders (order_id, buyer_id, merchant_id, amount, currency, placed_at, status, "
        "listing_id, quantity, completed_at, ship_to, device_id) "
        f"SELECT order_id, buyer_id, '{shop}', 9.9, 'CNY', placed_at, 'completed', '{listing}', 1, "
        "placed_at + INTERVAL 3 DAY, 'own address of ' || buyer_id, 'DEV-own-' || buyer_id FROM __planted"
    )
    backend.execute(
        "INSERT INTO reviews (review_id, order_id, rating, created_at) "
        "SELECT 'RPLANT' || order_id, order_id, 5, placed_at + INTERVAL 4 DAY FROM __planted"
    )
    ids = [str(x) for x in backend.query("SELECT order_id FROM __planted ORDER BY 1").column(0).to_pylist()]
    return shop, ids
