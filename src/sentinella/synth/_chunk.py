"""The state of one chunk of a world while its modules fill it in.

A chunk is a self-contained slice of the world (its members, their shops, orders, networks and
rings), so memory is bounded by the chunk size; only ID counters carry from one chunk to the
next, which keeps IDs unique and the output a pure function of the seed.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa

from ..contract import COMMISSION_BASES, ORDER_STATUSES, PAYMENT_KINDS
from ._config import WorldProfile

STATUS = {name: i for i, name in enumerate(ORDER_STATUSES)}
KIND = {name: i for i, name in enumerate(PAYMENT_KINDS)}
BASIS = {name: i for i, name in enumerate(COMMISSION_BASES)}

# member roles inside a chunk (who may be drawn for what)
HONEST, NETWORK, FAKE, LOOKALIKE, FLAW = 0, 1, 2, 3, 4

# key spaces for identifiers (all < 10**10, so every scrambled identifier stays unique)
SECOND_DEVICE = 2_000_000_000
RING_DEVICE = 4_000_000_000
FAMILY_DEVICE = 4_500_000_000
OTHER_ADDRESS = 5_000_000_000
UNKNOWN_SPONSOR = 990_000_000  # member numbers this high are never generated


@dataclass
class Counters:
    """Running numbers that make IDs unique across chunks."""

    merchant: int = 0
    order: int = 0
    review: int = 0
    payment: int = 0
    network: int = 0
    ring: int = 0
    person: int = 0
    group: int = 0
    lookalike: int = 0
    unknown: int = 0
    flaw: int = 0


@dataclass
class Orders:
    """A batch of orders as integer columns (global member and merchant numbers)."""

    buyer: np.ndarray
    merchant: np.ndarray
    listing: np.ndarray  # chunk-local listing row, -1 for none
    quantity: np.ndarray
    amount: np.ndarray  # 1/10,000 currency units
    currency: np.ndarray  # index into Chunk.currencies
    placed: np.ndarray
    status: np.ndarray
    completed: np.ndarray  # -1 for none
    address: np.ndarray
    device: np.ndarray
    review_p: np.ndarray
    forced_rating: np.ndarray  # 0: drawn from the merchant's quality
    protected: np.ndarray
    first: int = 0  # global order number of the first row, set when added
    perm: np.ndarray | None = None  # how the caller's rows were reordered (sorted by time)


@dataclass
class Payments:
    payer: np.ndarray
    payee: np.ndarray
    amount: np.ndarray
    currency: np.ndarray
    kind: np.ndarray
    paid: np.ndarray
    order: np.ndarray  # global order number, -1 for none
    basis: np.ndarray  # -1 for none
    level: np.ndarray  # 0 for none
    protected: np.ndarray


@dataclass
class Ties:
    a: np.ndarray
    b: np.ndarray
    group: np.ndarray  # -1 for friend ties
    since: np.ndarray


@dataclass
class Merchants:
    owner: list[np.ndarray] = field(default_factory=list)
    role: list[np.ndarray] = field(default_factory=list)
    opened: list[np.ndarray] = field(default_factory=list)
    weight: list[np.ndarray] = field(default_factory=list)  # honest market share, 0 = none
    protected: list[np.ndarray] = field(default_factory=list)


MERCHANT_ROLES = ("honest", "counterfeit", "daigou", "clearance", "secondhand")


class Chunk:
    """Members ``lo .. lo+n-1`` of the world and everything generated around them."""

    def __init__(
        self,
        *,
        index: int,
        lo: int,
        n: int,
        seed: int,
        profile: WorldProfile,
        counters: Counters,
        start_us: int,
        end_us: int,
    ) -> None:
        self.index = index
        self.lo = lo
        self.n = n
        self.seed = seed
        self.profile = profile
        self.counters = counters
        self.start_us = start_us
        self.end_us = end_us
        self.currencies: list[str] = ["CNY"]
        self._perm = self.rng(0).permutation(n)
        self._taken = 0
        self.role = np.zeros(n, dtype=np.int8)
        self.joined = np.zeros(n, dtype=np.int64)
        self.left = np.full(n, -1, dtype=np.int64)
        self.sponsor = np.full(n, -1, dtype=np.int64)
        glob = np.arange(lo, lo + n, dtype=np.int64)
        self.phone = glob.copy()
        self.id_number = glob.copy()
        self.device = glob.copy()
        self.bank = glob.copy()
        self.name_key = glob.copy()
        self.protected_members = np.zeros(n, dtype=bool)
        self.merchants = Merchants()
        self.merchant_first = counters.merchant
        self.orders: list[Orders] = []
        self.payments: list[Payments] = []
        self.ties: list[Ties] = []
        self.truth: dict[str, list[pa.Table]] = {}
        self.planted: dict[str, int] = {}

    def rng(self, module: int) -> np.random.Generator:
        """Independent streams per module, so adding a module never shifts another's draws."""
        seq = np.random.SeedSequence(entropy=self.seed, spawn_key=(self.index, module))
        return np.random.default_rng(seq)

    # --- members -----------------------------------------------------------------------
    def take(self, k: int, role: int) -> np.ndarray:
        """Reserve ``k`` members nobody else has taken (local indices, random order)."""
        k = int(min(k, self.n - self._taken))
        local = self._perm[self._taken : self._taken + k]
        self._taken += k
        self.role[local] = role
        return np.sort(local) if role == FLAW else local

    @property
    def free(self) -> int:
        return self.n - self._taken

    def glob(self, local: np.ndarray) -> np.ndarray:
        return np.asarray(local, dtype=np.int64) + self.lo

    def local(self, glob: np.ndarray) -> np.ndarray:
        return np.asarray(glob, dtype=np.int64) - self.lo

    # --- merchants ---------------------------------------------------------------------
    def add_merchants(
        self,
        owner: np.ndarray,
        role: np.ndarray | int,
        opened: np.ndarray,
        *,
        weight: np.ndarray | None = None,
        protected: bool = False,
    ) -> np.ndarray:
        """Register shops (owners as global member numbers); returns their global numbers."""
        k = len(owner)
        first = self.counters.merchant
        self.counters.merchant += k
        self.merchants.owner.append(np.asarray(owner, dtype=np.int64))
        self.merchants.role.append(np.broadcast_to(np.asarray(role, dtype=np.int8), (k,)).copy())
        self.merchants.opened.append(
            np.minimum(np.asarray(opened, dtype=np.int64), self.end_us - 3_600_000_000)
        )
        self.merchants.weight.append(np.zeros(k) if weight is None else np.asarray(weight, dtype=np.float64))
        self.merchants.protected.append(np.full(k, protected))
        return np.arange(first, first + k, dtype=np.int64)

    def add_orders(self, batch: Orders) -> np.ndarray:
        """Register a batch; returns the global order numbers of its rows."""
        batch.first = self.counters.order
        self.counters.order += len(batch.buyer)
        self.orders.append(batch)
        return np.arange(batch.first, batch.first + len(batch.buyer), dtype=np.int64)

    def add_payments(self, batch: Payments) -> None:
        """Register payments; none may fall after the export's end (settlement runs late)."""
        batch.paid = np.minimum(batch.paid, self.end_us - 1)
        self.payments.append(batch)

    def add_ties(self, batch: Ties) -> None:
        self.ties.append(batch)

    def add_truth(self, name: str, table: pa.Table) -> None:
        self.truth.setdefault(name, []).append(table)

    def count(self, kind: str, k: int) -> None:
        self.planted[kind] = self.planted.get(kind, 0) + int(k)

    def stochastic_count(self, rate_per_million: float, rng: np.random.Generator) -> int:
        """A count whose expectation scales with the chunk, so small worlds stay unbiased."""
        expected = rate_per_million * self.n / 1_000_000
        return int(np.floor(expected) + (rng.random() < expected - np.floor(expected)))


def orders_batch(
    *,
    buyer: np.ndarray,
    merchant: np.ndarray,
    listing: np.ndarray,
    quantity: np.ndarray,
    amount: np.ndarray,
    currency: np.ndarray,
    placed: np.ndarray,
    status: np.ndarray,
    completed: np.ndarray,
    address: np.ndarray,
    device: np.ndarray,
    review_p: np.ndarray | float,
    forced_rating: np.ndarray | int = 0,
    protected: bool = False,
) -> Orders:
    k = len(buyer)
    return Orders(
        buyer=np.asarray(buyer, dtype=np.int64),
        merchant=np.asarray(merchant, dtype=np.int64),
        listing=np.asarray(listing, dtype=np.int64),
        quantity=np.asarray(quantity, dtype=np.int32),
        amount=np.asarray(amount, dtype=np.int64),
        currency=np.asarray(currency, dtype=np.int16),
        placed=np.asarray(placed, dtype=np.int64),
        status=np.asarray(status, dtype=np.int8),
        completed=np.asarray(completed, dtype=np.int64),
        address=np.asarray(address, dtype=np.int64),
        device=np.asarray(device, dtype=np.int64),
        review_p=np.broadcast_to(np.asarray(review_p, dtype=np.float32), (k,)).copy(),
        forced_rating=np.broadcast_to(np.asarray(forced_rating, dtype=np.int8), (k,)).copy(),
        protected=np.full(k, protected),
    )


def payments_batch(
    *,
    payer: np.ndarray,
    payee: np.ndarray,
    amount: np.ndarray,
    kind: str,
    paid: np.ndarray,
    currency: np.ndarray | int = 0,
    order: np.ndarray | None = None,
    basis: np.ndarray | str | None = None,
    level: np.ndarray | int = 0,
    protected: bool = True,
) -> Payments:
    k = len(payer)
    if basis is None:
        basis_arr = np.full(k, -1, dtype=np.int8)
    elif isinstance(basis, str):
        basis_arr = np.full(k, BASIS[basis], dtype=np.int8)
    else:
        basis_arr = np.asarray(basis, dtype=np.int8)
    return Payments(
        payer=np.asarray(payer, dtype=np.int64),
        payee=np.asarray(payee, dtype=np.int64),
        amount=np.asarray(amount, dtype=np.int64),
        currency=np.broadcast_to(np.asarray(currency, dtype=np.int16), (k,)).copy(),
        kind=np.full(k, KIND[kind], dtype=np.int8),
        paid=np.asarray(paid, dtype=np.int64),
        order=np.full(k, -1, dtype=np.int64) if order is None else np.asarray(order, np.int64),
        basis=basis_arr,
        level=np.broadcast_to(np.asarray(level, dtype=np.int32), (k,)).copy(),
        protected=np.full(k, protected),
    )
