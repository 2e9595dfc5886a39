"""Small stores for the credit tests: orders and reviews written as rows, defaults filled in."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from sentinella.credit import CreditConfig, run_credit
from sentinella.store import Store

UTC = dt.UTC
T0 = dt.datetime(2024, 3, 10, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai
AS_OF = dt.date(2024, 6, 30)


class Case:
    """Rows for one store; ``order`` and ``review`` return the IDs they wrote."""

    def __init__(self) -> None:
        self.orders: list[dict[str, Any]] = []
        self.reviews: list[dict[str, Any]] = []
        self.payments: list[dict[str, Any]] = []
        self.merchants: list[dict[str, Any]] = [{"merchant_id": "S1", "member_id": "OWNER1"}]

    def order(self, **values: Any) -> str:
        n = len(self.orders) + 1
        placed = values.pop("placed_at", T0)
        row = {
            "order_id": f"O{n}",
            "buyer_id": "B1",
            "merchant_id": "S1",
            "amount": 10,
            "currency": "CNY",
            "placed_at": placed,
            "status": "completed",
            "listing_id": f"L{n}",
            "completed_at": placed + dt.timedelta(days=1),
        }
        row.update(values)
        self.orders.append(row)
        return str(row["order_id"])

    def review(self, order_id: str, rating: int = 5, **values: Any) -> str:
        n = len(self.reviews) + 1
        order = next((o for o in self.orders if o["order_id"] == order_id), None)
        base = (order["completed_at"] or order["placed_at"]) if order else T0
        row = {
            "review_id": f"R{n:03d}",
            "order_id": order_id,
            "rating": rating,
            "created_at": base + dt.timedelta(hours=2),
            "dsr_described": None,
            "dsr_service": None,
            "dsr_shipping": None,
        }
        row.update(values)
        self.reviews.append(row)
        return str(row["review_id"])

    def rated(self, rating: int = 5, **order_values: Any) -> str:
        """An order and its review; returns the review ID."""
        return self.review(self.order(**order_values), rating)

    def store(self) -> Store:
        store = Store.open(":memory:")
        for table, rows in (
            ("merchants", self.merchants),
            ("orders", self.orders),
            ("reviews", self.reviews),
            ("payments", self.payments),
        ):
            _insert(store, table, rows)
        return store

    def run(
        self,
        *,
        as_of: dt.date | None = AS_OF,
        flagged: Iterable[str] | None = None,
        config: CreditConfig | None = None,
    ) -> Store:
        store = self.store()
        run_credit(store.backend, as_of=as_of, flagged_orders=flagged, config=config)
        return store


def _insert(store: Store, table: str, rows: list[dict[str, Any]]) -> None:
    if not rows:
        return
    columns = list(rows[0])
    marks = ", ".join("?" for _ in columns)
    store.connection.executemany(
        f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})",
        [[row[c] for c in columns] for row in rows],
    )


def reasons(store: Store) -> dict[str, str | None]:
    rows = store.connection.execute("SELECT review_id, reason FROM credit_ratings").fetchall()
    return {str(r[0]): r[1] for r in rows}


def merchant(store: Store, merchant_id: str = "S1") -> dict[str, Any]:
    table = store.connection.sql(f"SELECT * FROM credit_merchants WHERE merchant_id = '{merchant_id}'")
    rows = table.to_arrow_table().to_pylist()
    assert len(rows) == 1
    return dict(rows[0])
