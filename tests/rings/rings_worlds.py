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
