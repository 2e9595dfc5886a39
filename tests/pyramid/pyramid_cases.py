"""Small hand-checkable cases for the pyramid analysis, written as case folders."""

from __future__ import annotations

import csv
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from sentinella.store import Store, ingest_case


def layered(prefix: str, sizes: Sequence[int], sponsor: str | None = None) -> dict[str, str | None]:
    """A tree with ``sizes[i]`` members at level i+1, each attached round-robin to the level above."""
    parents: dict[str, str | None] = {}
    above: list[str | None] = [sponsor]
    for depth, size in enumerate(sizes):
        current = [f"{prefix}{depth}_{i}" for i in range(size)]
        for index, member in enumerate(current):
            parents[member] = above[index % len(above)]
        above = list(current)
    return parents


@dataclass
class Payment:
    payer: str
    payee: str
    amount: float | str
    kind: str
    basis: str = ""
    level: str = ""
    currency: str = "CNY"
    paid_at: str = "2024-03-01T00:00:00Z"
    order_id: str = ""
    memo: str = ""


@dataclass
class Case:
    sponsors: dict[str, str | None] = field(default_factory=dict)
    fee: float = 0.0  # entry fee every non-root member pays to their sponsor
    fee_currency: str = "CNY"
    fee_at_join: bool = False  # entry fees paid when joining (else all on 2024-03-01)
    payments: list[Payment] = field(default_factory=list)
    phones: dict[str, str] = field(default_factory=dict)
    id_numbers: dict[str, str] = field(default_factory=dict)
    left: dict[str, str] = field(default_factory=dict)
    joined: dict[str, str] = field(default_factory=dict)  # member -> joined_at, overriding the default
    merchants: dict[str, str] = field(default_factory=dict)  # merchant_id -> owner
    # buyer, merchant, amount[, placed_at[, order_id]]
    orders: list[tuple[str, ...] | tuple[str, str, float]] = field(default_factory=list)

    def add(self, sponsors: dict[str, str | None]) -> Case:
        self.sponsors.update(sponsors)
        return self

    def pay(
        self,
        payer: str,
        payee: str,
        amount: float | str,
        kind: str,
        basis: str = "",
        level: str = "",
        **extra: str,
    ) -> Case:
        self.payments.append(Payment(payer, payee, amount, kind, basis, level, **extra))
        return self

    def joined_at(self, index: int, member: str) -> str:
        if member in self.joined:
            return self.joined[member]
        return f"2024-01-01T00:00:{index % 60:02d}Z" if index < 60 else f"2024-02-{1 + index // 1000:02d}"

    def write(self, folder: Path) -> Path:
        folder.mkdir(parents=True, exist_ok=True)
        with (folder / "members.csv").open("w", newline="") as handle:
            out = csv.writer(handle)
            out.writerow(["member_id", "joined_at", "sponsor_id", "left_at", "phone", "id_number"])
            for index, (member, sponsor) in enumerate(self.sponsors.items()):
                out.writerow(
                    [
                        member,
                        self.joined_at(index, member),
                        sponsor or "",
                        self.left.get(member, ""),
                        self.phones.get(member, ""),
                        self.id_numbers.get(member, ""),
                    ]
                )
        rows: list[Payment] = []
        if self.fee:
            for index, (member, sponsor) in enumerate(self.sponsors.items()):
                if sponsor:
                    when = self.joined_at(index, member) if self.fee_at_join else "2024-03-01T00:00:00Z"
                    rows.append(
                        Payment(
                            member, sponsor, self.fee, "entry_fee", currency=self.fee_currency, paid_at=when
                        )
                    )
        rows.extend(self.payments)
        with (folder / "payments.csv").open("w", newline="") as handle:
            out = csv.writer(handle)
            out.writerow(
                [
                    "payment_id",
                    "payer_id",
                    "payee_id",
                    "amount",
                    "currency",
                    "kind",
                    "paid_at",
                    "basis",
                    "level",
                    "order_id",
                    "memo",
                ]
            )
            for index, p in enumerate(rows):
                out.writerow(
                    [
                        *(f"P{index}", p.payer, p.payee, p.amount, p.currency, p.kind, p.paid_at),
                        *(p.basis, p.level, p.order_id, p.memo),
                    ]
                )
        if self.merchants:
            with (folder / "merchants.csv").open("w", newline="") as handle:
                out = csv.writer(handle)
                out.writerow(["merchant_id", "member_id"])
                out.writerows(self.merchants.items())
            with (folder / "orders.csv").open("w", newline="") as handle:
                out = csv.writer(handle)
                out.writerow(
                    ["order_id", "buyer_id", "merchant_id", "amount", "currency", "placed_at", "status"]
                )
                for index, order in enumerate(self.orders):
                    buyer, merchant, amount = order[0], order[1], order[2]
                    placed = str(order[3]) if len(order) > 3 else "2024-03-02T00:00:00Z"
                    order_id = str(order[4]) if len(order) > 4 else f"O{index}"
                    out.writerow([order_id, buyer, merchant, amount, "CNY", placed, "completed"])
        return folder

    def store(self, folder: Path) -> Store:
        store = Store.open(":memory:")
        report = ingest_case(store, self.write(folder))
        assert report.exit_code == 0, [t.to_dict() for t in report.tables]
        return store
