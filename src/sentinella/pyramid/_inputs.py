"""Read what pyramid forensics needs from the store, as integer-coded arrays.

Members are coded by their row id in the store (dense, since input tables are append-only), so
every other table is coded with one join. Money is converted to the profile's currency in SQL.
Only ``members`` is required; payments, orders and merchants add money flows when present.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from numpy.typing import NDArray

from sentinella.engine import Backend, CTEPipeline
from sentinella.errors import MissingTableError as MissingTableError  # re-exported: the one class
from sentinella.idcodes import code_ids
from sentinella.money import convert_sql

from ._errors import PyramidError

IDENTITY_KINDS = ("phone", "id_number", "device_id", "bank_account")
_NO_TIME = np.iinfo(np.int64).max
SALE_STATUSES = ("paid", "shipped", "delivered", "completed")


@dataclass
class PyramidInputs:
    """Everything the kernels and the legal tests read, indexed by member code."""

    member_id: pa.Array
    parent: NDArray[np.int64]
    orphan: NDArray[np.bool_]
    joined: NDArray[np.int64]
    identities: dict[str, NDArray[np.int64]]
    money: dict[str, NDArray[np.float64]] = field(default_factory=dict)
    levels: dict[str, NDArray[np.int64]] = field(default_factory=dict)
    paid_after_left: NDArray[np.int64] | None = None
    sale_seller: NDArray[np.int64] = field(default_factory=lambda: np.zeros(0, np.int64))
    sale_buyer: NDArray[np.int64] = field(default_factory=lambda: np.zeros(0, np.int64))
    sale_amount: NDArray[np.float64] = field(default_factory=lambda: np.zeros(0, np.float64))
    has_payments: bool = False
    has_orders: bool = False
    inferred: NDArray[np.bool_] | None = None
    inferred_votes: NDArray[np.int64] | None = None

    @property
    def n(self) -> int:
        return int(self.parent.shape[0])


def _column(table: pa.Table, name: str, dtype: type, fill: object) -> NDArray[np.generic]:
    return np.asarray(table.column(name).fill_null(fill).to_numpy(zero_copy_only=False), dtype=dtype)


def _scatter(
    n: int, codes: NDArray[np.int64], values: NDArray[np.generic], fill: object, dtype: type
) -> NDArray[np.generic]:
    out: NDArray[np.generic] = np.full(n, fill, dtype=dtype)
    out[codes] = values
    return out


def load_inputs(backend: Backend, currency: str, rates: Mapping[str, float]) -> PyramidInputs:
    if not backend.has_rows("members"):
        raise MissingTableError("pyramid forensics needs the members table: ingest a case with members first")
    n = int(str(backend.scalar("SELECT coalesce(max(rowid) + 1, 0) FROM members") or 0))
    code_type = "INTEGER" if n < 2**31 else "BIGINT"  # half the memory at 100M members
    table = backend.query(
        f"SELECT CAST(rowid AS {code_type}) AS code, member_id, sponsor_id, "
        "epoch_us(joined_at) AS joined FROM members",
        step="pyramid: members",
    )
    codes = np.asarray(table.column("code").to_numpy(), dtype=np.int64)
    if codes.shape[0] != n:
        raise PyramidError(
            f"members has {codes.shape[0]:,} rows but row ids up to {n - 1:,}: rows were deleted, "
            "which the store never does to an input table"
        )
    if not np.array_equal(codes, np.arange(n)):
        # A scan normally returns rows in row-id order; only reorder (10M strings) when it did not.
        order = np.empty(n, dtype=np.int64)
        order[codes] = np.arange(codes.shape[0])
        table = table.take(pa.array(order))
    del codes
    joined = np.asarray(table.column("joined").fill_null(_NO_TIME).to_numpy(), dtype=np.int64)
    member_id, sponsor_id = table.column("member_id"), table.column("sponsor_id")
    del table  # at 100M members every copy of the ID columns held here is over a gigabyte
    # Sponsors are coded in numpy, not with a self-join: see sentinella.idcodes for the figures.
    parent = code_ids(member_id, sponsor_id)
    orphan = (parent < 0) & np.asarray(sponsor_id.is_valid().to_numpy(zero_copy_only=False), dtype=np.bool_)
    del sponsor_id
    ids = member_id.combine_chunks()
    del member_id
    inputs = PyramidInputs(
        member_id=ids,
        parent=parent,
        orphan=orphan,
        joined=joined,
        identities=_identity_codes(backend, n),
    )
    if backend.has_rows("payments"):
        _load_payments(backend, inputs, currency, rates)
        if backend.has_rows("orders"):
            _infer_sponsors(backend, inputs)
    if backend.has_rows("orders") and backend.has_rows("merchants"):
        _load_sales(backend, inputs, currency, rates)
    return inputs


def _identity_codes(backend: Backend, n: int) -> dict[str, NDArray[np.int64]]:
    """Dictionary codes per identity column (-1 when missing), via Arrow's hash encoding."""
    present = [
        kind
        for kind in IDENTITY_KINDS
        if backend.scalar(
            f"SELECT count({kind}) > 0 FROM (SELECT {kind} FROM members WHERE {kind} IS NOT NULL LIMIT 1)"
        )
    ]
    if not present:
        return {}
    table = backend.query(
        f"SELECT rowid AS code, {', '.join(present)} FROM members", step="pyramid: identities"
    )
    codes = _column(table, "code", np.int64, -1).astype(np.int64)
    out: dict[str, NDArray[np.int64]] = {}
    for kind in present:
        encoded = pc.dictionary_encode(table.column(kind)).combine_chunks()
        indices = np.asarray(encoded.indices.fill_null(-1).to_numpy(zero_copy_only=False), dtype=np.int64)
        out[kind] = _scatter(n, codes, indices, -1, np.int64).astype(np.int64)
    return out


_PAYER_SUMS = {
    "paid_total": "TRUE",
    "fees_paid": "p.kind = 'entry_fee'",
}
_PAYEE_SUMS = {
    "received_total": "TRUE",
    "fees_received": "p.kind = 'entry_fee'",
    "commission_own_sales": "p.kind = 'commission' AND p.basis = 'own_sales'",
    "commission_downline_sales": "p.kind = 'commission' AND p.basis = 'downline_sales'",
    "commission_recruitment": "p.kind = 'commission' AND p.basis = 'recruitment'",
    "commission_unspecified": "p.kind = 'commission' AND p.basis IS NULL",
    "bonus": "p.kind = 'bonus'",
}
_PAYEE_LEVELS = {
    "max_reward_level": "p.kind IN ('commission', 'bonus')",
    "max_recruitment_level": "p.kind IN ('commission', 'bonus') AND p.basis = 'recruitment'",
    "max_team_sales_level": "p.kind = 'commission' AND p.basis = 'downline_sales'",
}


def _load_payments(
    backend: Backend, inputs: PyramidInputs, currency: str, rates: Mapping[str, float]
) -> None:
    amount = convert_sql("p.amount", "p.currency", currency, rates)
    n = inputs.n
    for side, sums in (("payer_id", _PAYER_SUMS), ("payee_id", _PAYEE_SUMS)):
        columns = ", ".join(f"sum({amount}) FILTER (WHERE {cond}) AS {name}" for name, cond in sums.items())
        extra = ""
        if side == "payee_id":
            extra = ", count(*) FILTER (WHERE p.paid_at > m.left_at) AS paid_after_left" + "".join(
                f", max(p.level) FILTER (WHERE {cond}) AS {name}" for name, cond in _PAYEE_LEVELS.items()
            )
        table = backend.query(
            f"SELECT m.rowid AS code, {columns}{extra} FROM payments p "
            f"JOIN members m ON m.member_id = p.{side} GROUP BY m.rowid",
            step=f"pyramid: payments by {side}",
        )
        codes = _column(table, "code", np.int64, -1).astype(np.int64)
        for name in sums:
            inputs.money[name] = _scatter(
                n, codes, _column(table, name, np.float64, 0.0), 0.0, np.float64
            ).astype(np.float64)
        if extra:
            inputs.paid_after_left = _scatter(
                n, codes, _column(table, "paid_after_left", np.int64, 0), 0, np.int64
            ).astype(np.int64)
            for name in _PAYEE_LEVELS:
                inputs.levels[name] = _scatter(
                    n, codes, _column(table, name, np.int64, 0), 0, np.int64
                ).astype(np.int64)
    inputs.has_payments = True


def _infer_sponsors(backend: Backend, inputs: PyramidInputs) -> None:
    """Sponsors the records do not name, read off level-1 commissions paid on orders.

    A level-1 commission on an order names the sponsor of whoever generated it: the seller, when
    the shop's level-1 commissions (nearly) all go to one person, as a distributor's retail sales
    do; otherwise the buyer, as with participants buying at a company shop, whose commissions go
    to each buyer's own recruiter. Each member gets the payee with the most such payments, and only when
    at least 90% of their level-1 commissions agree (a company shop selling to everyone gets no
    sponsor). Only missing or unknown sponsors are filled in; recorded ones are never overridden.
    """
    pipeline = (
        CTEPipeline()
        .add(
            "level_one",
            """SELECT o.buyer_id, c.member_id AS seller, p.payee_id AS parent, p.paid_at
            FROM payments p JOIN orders o ON o.order_id = p.order_id
            LEFT JOIN merchants c ON c.merchant_id = o.merchant_id
            WHERE p.kind IN ('commission', 'bonus') AND p.level = 1""",
        )
        .add(
            "by_seller",
            """SELECT seller, parent, count(*) AS n, sum(count(*)) OVER (PARTITION BY seller) AS total,
                row_number() OVER (PARTITION BY seller ORDER BY count(*) DESC, parent) AS r
            FROM level_one WHERE seller IS NOT NULL GROUP BY seller, parent""",
        )
        .add(
            "retail_shops",
            "SELECT seller FROM by_seller WHERE r = 1 AND n >= 0.9 * total AND seller <> parent",
        )
        .add(
            "sourced",
            """SELECT CASE WHEN seller IN (SELECT seller FROM retail_shops) THEN seller ELSE buyer_id END
                AS child, parent, paid_at FROM level_one""",
        )
        .add(
            "votes",
            """SELECT child, parent, count(*) AS n, min(paid_at) AS first_paid FROM sourced
            WHERE child IS NOT NULL AND child <> parent GROUP BY child, parent""",
        )
        .add(
            "ranked",
            """SELECT *, sum(n) OVER (PARTITION BY child) AS total,
                row_number() OVER (PARTITION BY child ORDER BY n DESC, first_paid, parent) AS r
            FROM votes""",
        )
        .add(
            "inferred",
            """SELECT m.rowid AS code, s.rowid AS sponsor, r.n AS votes FROM ranked r
            JOIN members m ON m.member_id = r.child JOIN members s ON s.member_id = r.parent
            WHERE r.r = 1 AND r.n >= 0.9 * r.total AND (m.sponsor_id IS NULL
                OR NOT EXISTS (SELECT 1 FROM members k WHERE k.member_id = m.sponsor_id))""",
        )
    )
    table = backend.query(pipeline.render(), step="pyramid: infer sponsors")
    if not table.num_rows:
        return
    codes = _column(table, "code", np.int64, -1).astype(np.int64)
    sponsors = _column(table, "sponsor", np.int64, -1).astype(np.int64)
    keep = (inputs.parent[codes] < 0) & (sponsors != codes)
    codes, sponsors = codes[keep], sponsors[keep]
    inputs.parent[codes] = sponsors
    inputs.orphan[codes] = False
    inputs.inferred = np.zeros(inputs.n, dtype=np.bool_)
    inputs.inferred[codes] = True
    votes = _column(table, "votes", np.int64, 0).astype(np.int64)[keep]
    inputs.inferred_votes = _scatter(inputs.n, codes, votes, 0, np.int64).astype(np.int64)


def _load_sales(backend: Backend, inputs: PyramidInputs, currency: str, rates: Mapping[str, float]) -> None:
    amount = convert_sql("o.amount", "o.currency", currency, rates)
    statuses = ", ".join(f"'{s}'" for s in SALE_STATUSES)
    table = backend.query(
        f"SELECT s.rowid AS seller, b.rowid AS buyer, {amount} AS amount FROM orders o "
        "JOIN merchants c ON c.merchant_id = o.merchant_id "
        "JOIN members s ON s.member_id = c.member_id "
        "LEFT JOIN members b ON b.member_id = o.buyer_id "
        f"WHERE o.status IN ({statuses})",
        step="pyramid: sales",
    )
    inputs.sale_seller = _column(table, "seller", np.int64, -1).astype(np.int64)
    inputs.sale_buyer = _column(table, "buyer", np.int64, -1).astype(np.int64)
    inputs.sale_amount = _column(table, "amount", np.float64, 0.0).astype(np.float64)
    inputs.has_orders = True
