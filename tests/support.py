"""Constants and type aliases shared by the tests (fixtures live in conftest.py)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from sentinella.store import IngestReport

REPO = Path(__file__).resolve().parent.parent
EXAMPLES = REPO / "examples"

MEMBERS_HEADER = "member_id,joined_at,sponsor_id,name\n"
ORDERS_HEADER = "order_id,buyer_id,merchant_id,amount,currency,placed_at,status\n"

CaseWriter = Callable[[dict[str, str | bytes]], Path]
Ingest = Callable[[dict[str, str | bytes]], IngestReport]
