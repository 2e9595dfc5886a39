"""Small hand-checkable cases for the pyramid analysis, written as case folders."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
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
class Case:
    sponsors: dict[str, str | None] = field(default_factory=dict)
    fee: float = 0.0  # entry fee every non-root member pays to their sponsor
    payments: list[tuple[str, str, float, str, str, str]] = field(default_factory=list)
    phones: dict[str, str] = field(default_factory=dict)
    left: dict[str, str] = field(default_factory=dict)
    merchants: dict[str, str] = field(default_factory=dict)  # merchant_id -> owner
    orders: list[tuple[str, str, float]] = field(default_factory=list)  # buyer, merchant, amount

    def add(self, sponsors: dict[str, str | None]) -> Case:
        self.sponsors.update(sponsors)
        return self

    def pay(self, payer: str, payee: str, amount: float, kind: str, basis: str = "", level: str = "") -> Case:
        self.payments.append((payer, payee, amount, kind, basis, level))
        return self

    def write(self, folder: Path) -> Path:
        folder.mkdir(parents=True, exist_ok=True)
        with (folder / "members.csv").open("w", newline="") as handle:
            out = csv.writer(handle)
            out.writerow(["member_id", "joined_at", "sponsor_id", "left_at", "phone"])
            for index, (member, sponsor) in enumerate(self.sponsors.items()):
                joined = (
                    f"2024-01-01T00:00:{index % 60:02d}Z"
                    if index < 60
                    else f"2024-02-{1 + index // 1000:02d}"
                )
                out.writerow(
                    [member, joined, sponsor or "", self.left.get(member, ""), self.phones.get(member, "")]
                )
        rows: list[Iterable[object]] = []
        if self.fee:
            for member, sponsor in self.sponsors.items():
                if sponsor:
                    rows.append([member, sponsor, self.fee, "entry_fee", "", ""])
        rows.extend(list(p) for p in self.payments)
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
                ]
            )
            for index, (payer, payee, amount, kind, basis, level) in enumerate(rows):  # type: ignore[misc]
                out.writerow(
                    [f"P{index}", payer, payee, amount, "CNY", kind, "2024-03-01T00:00:00Z", basis, level]
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
                for index, (buyer, merchant, amount) in enumerate(self.orders):
                    out.writerow(
                        [f"O{index}", buyer, merchant, amount, "CNY", "2024-03-02T00:00:00Z", "completed"]
                    )
        return folder

    def store(self, folder: Path) -> Store:
        store = Store.open(":memory:")
        report = ingest_case(store, self.write(folder))
        assert report.exit_code == 0, [t.to_dict() for t in report.tables]
        return store
