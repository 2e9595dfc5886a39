"""Read what pyramid forensics needs from the store, as integer-coded arrays.

Members are coded by their row identity in the store (dense, since input tables are
append-only; the engine's dialect spells it), so every other table is coded with one join.
Money is read as exact int64 units of 1/10,000, converted record by record into each profile's
currency in SQL (see ``_money``). Only
``members`` is required; payments, orders and merchants add money flows when present, and a
payment without a ``basis`` gets one from its ``memo`` when a profile's bonus term is in it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from numpy.typing import NDArray

from sentinella.engine import Backend, CTEPipeline
from sentinella.errors import MissingTableError as MissingTableError  # re-exported: the one class
from sentinella.idcodes import code_ids

from ._errors import PyramidError
from ._ids import EngineIds, HeldIds, MemberIds
from ._money import units_sql

IDENTITY_KINDS = ("phone", "id_number", "device_id", "bank_account")
STRONG_IDENTITIES = ("id_number", "bank_account")
"""Identifiers that name one person: the legal counts merge accounts on these only."""
WEAK_IDENTITIES = ("phone", "device_id")
"""Identifiers families and shops share: a merge on these is reported beside the counts."""
_NO_TIME = np.iinfo(np.int64).max
_NO_PAY = np.iinfo(np.int64).min
SALE_STATUSES = ("paid", "shipped", "delivered", "completed")
_STATUSES = ", ".join("?" for _ in SALE_STATUSES)
"""Placeholders for ``SALE_STATUSES``, bound as parameters."""
MONTH_SQL = "(year({t}) * 12 + month({t}) - 1)"
"""A pay period (calendar month, UTC) as one integer."""


class MissingRateError(PyramidError):
    """Records are in a currency the rates table does not know."""


@dataclass(frozen=True)
class MoneySettings:
    """How money is read: target currencies, exact rates, memo terms, currencies left out."""

    currencies: tuple[str, ...]
    rates: Mapping[str, Decimal]
    terms: Sequence[tuple[str, str]] = ()
    excluded: tuple[str, ...] = ()

    def where(self, alias: str, first: bool = True) -> str:
        """A condition leaving out the excluded currencies; bind :attr:`params` after it."""
        if not self.excluded:
            return ""
        listed = ", ".join("?" for _ in self.excluded)
        return f"{' WHERE' if first else ' AND'} {alias}.currency NOT IN ({listed})"

    @property
    def params(self) -> list[object]:
        """The values for one :meth:`where` condition's placeholders."""
        return list(self.excluded)


@dataclass
class PyramidInputs:
    """Everything the kernels and the legal tests read, indexed by member code.

    Money is int64 units of 1/10,000 (see ``_money``), one dict of arrays per target currency.
    """

    member_id: MemberIds
    parent: NDArray[np.int64]
    orphan: NDArray[np.bool_]
    joined: NDArray[np.int64]
    identities: dict[str, NDArray[np.int64]]
    left: NDArray[np.int64] | None = None
    money: dict[str, dict[str, NDArray[np.int64]]] = field(default_factory=dict)
    levels: dict[str, NDArray[np.int64]] = field(default_factory=dict)
    paid_after_left: NDArray[np.int64] | None = None
    last_paid_after_left: NDArray[np.int64] | None = None
    sale_seller: NDArray[np.int64] = field(default_factory=lambda: np.zeros(0, np.int64))
    sale_buyer: NDArray[np.int64] = field(default_factory=lambda: np.zeros(0, np.int64))
    sale_month: NDArray[np.int64] = field(default_factory=lambda: np.zeros(0, np.int64))
    sale_amount: dict[str, NDArray[np.int64]] = field(default_factory=dict)
    pay_member: NDArray[np.int64] = field(default_factory=lambda: np.zeros(0, np.int64))
    pay_month: NDArray[np.int64] = field(default_factory=lambda: np.zeros(0, np.int64))
    pay_units: dict[str, NDArray[np.int64]] = field(default_factory=dict)
    first_buy_after: NDArray[np.int64] | None = None
    """Per member, microseconds from joining to their first purchase (_NO_TIME: none)."""
    first_buy_price: NDArray[np.int64] | None = None
    """Per member, a code for that purchase's amount and currency (-1: none)."""
    first_buy_units: dict[str, NDArray[np.int64]] = field(default_factory=dict)
    price_labels: list[str] = field(default_factory=list)
    has_payments: bool = False
    has_orders: bool = False
    memo_basis: int = 0
    """Commissions and bonuses whose basis was read from their memo (no recorded basis)."""
    inferred: NDArray[np.bool_] | None = None
    inferred_votes: NDArray[np.int64] | None = None

    @property
    def n(self) -> int:
        return int(self.parent.shape[0])

    def units(self, currency: str, name: str) -> NDArray[np.int64]:
        """A money array in ``currency`` (zeros when the case has no such records)."""
        values = self.money.get(currency, {}).get(name)
        return values if values is not None else np.zeros(self.n, dtype=np.int64)


def _column(table: pa.Table, name: str, dtype: type, fill: object) -> NDArray[np.generic]:
    """A column as numpy. Sums are cast to BIGINT in SQL: a 128-bit sum arrives as Arrow
    decimals, which numpy reads one Python object at a time (10M members: 11 s)."""
    return np.asarray(table.column(name).fill_null(fill).to_numpy(zero_copy_only=False), dtype=dtype)


def _scatter(
    n: int, codes: NDArray[np.int64], values: NDArray[np.generic], fill: object, dtype: type
) -> NDArray[np.generic]:
    out: NDArray[np.generic] = np.full(n, fill, dtype=dtype)
    out[codes] = values
    return out


def data_currencies(backend: Backend) -> dict[str, int]:
    """Every currency of payments and orders, with how many records use it."""
    out: dict[str, int] = {}
    for table in ("payments", "orders"):
        if not backend.has_rows(table):
            continue
        rows = backend.query(
            f"SELECT currency, count(*) AS n FROM {table} GROUP BY currency",
            step=f"pyramid: currencies of {table}",
        ).to_pylist()
        for row in rows:
            out[str(row["currency"])] = out.get(str(row["currency"]), 0) + int(row["n"])
    return dict(sorted(out.items()))


def load_inputs(backend: Backend, money: MoneySettings, *, ids_in_engine: bool = False) -> PyramidInputs:
    """The arrays of the store's members and their money. With ``ids_in_engine`` the string
    columns stay in the engine: sponsors and identifiers are coded there by joins and windows,
    and :class:`~sentinella.pyramid._ids.EngineIds` fetches the IDs a result names."""
    if not backend.has_rows("members"):
        raise MissingTableError("pyramid forensics needs the members table: ingest a case with members first")
    d = backend.dialect
    n = int(str(backend.scalar(f"SELECT coalesce(max({d.row_id()}) + 1, 0) FROM members") or 0))
    code_type = "INTEGER" if n < 2**31 else "BIGINT"  # half the memory at 100M members
    ids: MemberIds
    if ids_in_engine:
        parent, orphan, joined = _members_in_engine(backend, n, code_type)
        ids = EngineIds(backend)
        identities = _identity_codes_in_engine(backend, n)
    else:
        parent, orphan, joined, held = _members_on_driver(backend, n, code_type)
        ids = HeldIds(held)
        identities = _identity_codes(backend, n)
    inputs = PyramidInputs(
        member_id=ids,
        parent=parent,
        orphan=orphan,
        joined=joined,
        identities=identities,
        left=_left_times(backend, n),
    )
    # asked once: on Spark each question is a job
    has_payments, has_orders = backend.has_rows("payments"), backend.has_rows("orders")
    has_shops = has_orders and backend.has_rows("merchants")
    if has_payments:
        _load_payments(backend, inputs, money)
        if has_orders:
            _infer_sponsors(backend, inputs)
    if has_orders:
        _stage_paid_orders(backend, money, shops=has_shops, payments=has_payments)
    try:
        if has_shops:
            _load_sales(backend, inputs, money)
        if has_orders or has_payments:
            _load_purchases(backend, inputs, money, orders=has_orders, payments=has_payments)
    finally:
        if has_orders:
            backend.execute(f"DROP TABLE IF EXISTS {_PAID_ORDERS}", step="pyramid: paid orders")
    return inputs


def _members_on_driver(
    backend: Backend, n: int, code_type: str
) -> tuple[NDArray[np.int64], NDArray[np.bool_], NDArray[np.int64], pa.Array]:
    """Sponsor codes, unknown sponsors, join times and the IDs, with the IDs coded on the driver."""
    d = backend.dialect
    table = backend.query(
        f"SELECT CAST({d.row_id()} AS {code_type}) AS code, member_id, sponsor_id, "
        f"{d.epoch_us('joined_at')} AS joined FROM members",
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
    return parent, orphan, joined, member_id.combine_chunks()


def _members_in_engine(
    backend: Backend, n: int, code_type: str
) -> tuple[NDArray[np.int64], NDArray[np.bool_], NDArray[np.int64]]:
    """Sponsor codes, unknown sponsors and join times, with sponsors coded by a self-join in the
    engine: only integers reach the driver."""
    d = backend.dialect
    table = backend.query(
        f"SELECT CAST({d.row_id('m')} AS {code_type}) AS code, CAST({d.row_id('s')} AS {code_type}) "
        f"AS parent, m.sponsor_id IS NOT NULL AS named, {d.epoch_us('m.joined_at')} AS joined "
        "FROM members m LEFT JOIN members s ON s.member_id = m.sponsor_id",
        step="pyramid: members and sponsors",
    )
    codes = np.asarray(table.column("code").to_numpy(), dtype=np.int64)
    seen = np.zeros(n, dtype=np.bool_)
    seen[codes] = True
    if codes.shape[0] != n or not seen.all():
        raise PyramidError(
            f"members has {codes.shape[0]:,} rows (after coding sponsors) for row ids up to {n - 1:,}: "
            "rows were deleted or a member_id is repeated, which the store never lets happen"
        )
    del seen
    parent = _scatter(n, codes, _column(table, "parent", np.int64, -1), -1, np.int64).astype(np.int64)
    named = _scatter(n, codes, _column(table, "named", np.bool_, False), False, np.bool_).astype(np.bool_)
    joined = _scatter(n, codes, _column(table, "joined", np.int64, _NO_TIME), _NO_TIME, np.int64)
    return parent, named & (parent < 0), joined.astype(np.int64)


def _left_times(backend: Backend, n: int) -> NDArray[np.int64] | None:
    """When each member formally left (``_NO_TIME``: never), or None when nobody did."""
    if not backend.scalar(
        "SELECT count(*) > 0 FROM (SELECT 1 FROM members WHERE left_at IS NOT NULL LIMIT 1)"
    ):
        return None
    table = backend.query(
        f"SELECT {backend.dialect.row_id()} AS code, {backend.dialect.epoch_us('left_at')} AS left_at "
        "FROM members WHERE left_at IS NOT NULL",
        step="pyramid: departures",
    )
    codes = _column(table, "code", np.int64, -1).astype(np.int64)
    return _scatter(n, codes, _column(table, "left_at", np.int64, _NO_TIME), _NO_TIME, np.int64).astype(
        np.int64
    )


def _identity_kinds(backend: Backend) -> list[str]:
    """The identity columns some member has a value in."""
    return [
        kind
        for kind in IDENTITY_KINDS
        if backend.scalar(
            f"SELECT count({kind}) > 0 FROM (SELECT {kind} FROM members WHERE {kind} IS NOT NULL LIMIT 1)"
        )
    ]


def _identity_codes(backend: Backend, n: int) -> dict[str, NDArray[np.int64]]:
    """Dictionary codes per identity column (-1 when missing), via Arrow's hash encoding."""
    present = _identity_kinds(backend)
    if not present:
        return {}
    table = backend.query(
        f"SELECT {backend.dialect.row_id()} AS code, {', '.join(present)} FROM members",
        step="pyramid: identities",
    )
    codes = _column(table, "code", np.int64, -1).astype(np.int64)
    out: dict[str, NDArray[np.int64]] = {}
    for kind in present:
        encoded = pc.dictionary_encode(table.column(kind)).combine_chunks()
        indices = np.asarray(encoded.indices.fill_null(-1).to_numpy(zero_copy_only=False), dtype=np.int64)
        out[kind] = _scatter(n, codes, indices, -1, np.int64).astype(np.int64)
    return out


def _identity_codes_in_engine(backend: Backend, n: int) -> dict[str, NDArray[np.int64]]:
    """Per identity column, each value coded by its first holder's code (-1 when missing): equal
    values get equal codes, as the dictionary codes do, and no string leaves the engine."""
    present = _identity_kinds(backend)
    if not present:
        return {}
    code = backend.dialect.row_id()
    columns = ", ".join(
        f"CASE WHEN {kind} IS NULL THEN -1 ELSE min(code) OVER (PARTITION BY {kind}) END AS {kind}"
        for kind in present
    )
    table = backend.query(
        f"SELECT code, {columns} FROM (SELECT {code} AS code, {', '.join(present)} FROM members) m",
        step="pyramid: identities",
    )
    codes = _column(table, "code", np.int64, -1).astype(np.int64)
    return {
        kind: _scatter(n, codes, _column(table, kind, np.int64, -1), -1, np.int64).astype(np.int64)
        for kind in present
    }


_PAYER_SUMS = {
    # Money paid: every payment, plus orders bought that no purchase payment records (below).
    "paid_total": "TRUE",
    "fees_paid": "p.kind = 'entry_fee'",
}
_REWARD = "p.kind IN ('commission', 'bonus')"
_PAYEE_SUMS = {
    "received_total": "TRUE",
    "fees_received": "p.kind = 'entry_fee'",
    # Commissions and bonuses by what they were paid on (the recorded basis, else the memo's term).
    "commission_own_sales": f"{_REWARD} AND p.basis = 'own_sales'",
    "commission_downline_sales": f"{_REWARD} AND p.basis = 'downline_sales'",
    "commission_recruitment": f"{_REWARD} AND p.basis = 'recruitment'",
    "commission_unspecified": "p.kind = 'commission' AND p.basis IS NULL",
    "bonus": "p.kind = 'bonus' AND p.basis IS NULL",
}
_PAYEE_LEVELS = {
    "max_reward_level": _REWARD,
    "max_recruitment_level": f"{_REWARD} AND p.basis = 'recruitment'",
    "max_team_sales_level": f"{_REWARD} AND p.basis = 'downline_sales'",
}


def _basis_sql(backend: Backend, terms: Sequence[tuple[str, str]]) -> tuple[str, list[object], bool]:
    """The basis of a payment: as recorded, else the first profile term its memo contains.

    Returns the expression, the values of its placeholders, and whether memos are read."""
    if "memo" not in backend.columns("payments") or not terms:
        return "p.basis", [], False
    cases = " ".join("WHEN strpos(lower(p.memo), ?) > 0 THEN ?" for _ in terms)
    params: list[object] = [value for term, basis in terms for value in (term.lower(), basis)]
    return (
        f"coalesce(p.basis, CASE WHEN p.kind IN ('commission', 'bonus') THEN CASE {cases} END END)",
        params,
        True,
    )


def _load_payments(backend: Backend, inputs: PyramidInputs, money: MoneySettings) -> None:
    n = inputs.n
    d = backend.dialect
    basis, basis_params, mapped = _basis_sql(backend, money.terms)
    if mapped:
        inputs.memo_basis = int(
            str(
                backend.scalar(
                    f"SELECT count(*) FROM payments p WHERE p.basis IS NULL AND {basis} IS NOT NULL"
                    f"{money.where('p', first=False)}",
                    [*basis_params, *money.params],
                )
            )
        )
    # every column but basis, then the basis read as above (no EXCLUDE: not every engine has it)
    kept = ", ".join(f"p.{column}" for column in backend.columns("payments") if column != "basis")
    source = f"(SELECT {kept}, {basis} AS basis FROM payments p{money.where('p')})"
    source_params = [*basis_params, *money.params]
    for side, sums in (("payer_id", _PAYER_SUMS), ("payee_id", _PAYEE_SUMS)):
        columns = ", ".join(
            f"CAST(sum({units_sql('p.amount', 'p.currency', currency, money.rates)}) FILTER (WHERE {cond}) "
            "AS BIGINT) "
            f'AS "{name}@{currency}"'
            for name, cond in sums.items()
            for currency in money.currencies
        )
        extra = ""
        if side == "payee_id":
            extra = (
                ", count(*) FILTER (WHERE p.paid_at > m.left_at) AS paid_after_left"
                f", {d.epoch_us('max(p.paid_at) FILTER (WHERE p.paid_at > m.left_at)')} "
                "AS last_paid_after_left"
            ) + "".join(
                f", max(p.level) FILTER (WHERE {cond}) AS {name}" for name, cond in _PAYEE_LEVELS.items()
            )
        table = backend.query(
            f"SELECT {d.row_id('m')} AS code, {columns}{extra} FROM {source} p "
            f"JOIN members m ON m.member_id = p.{side} GROUP BY {d.row_id('m')}",
            source_params,
            step=f"pyramid: payments by {side}",
        )
        codes = _column(table, "code", np.int64, -1).astype(np.int64)
        for name in sums:
            for currency in money.currencies:
                values = _column(table, f"{name}@{currency}", np.int64, 0).astype(np.int64)
                inputs.money.setdefault(currency, {})[name] = _scatter(n, codes, values, 0, np.int64).astype(
                    np.int64
                )
        if extra:
            inputs.paid_after_left = _scatter(
                n, codes, _column(table, "paid_after_left", np.int64, 0), 0, np.int64
            ).astype(np.int64)
            inputs.last_paid_after_left = _scatter(
                n, codes, _column(table, "last_paid_after_left", np.int64, _NO_PAY), _NO_PAY, np.int64
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
            f"""SELECT {backend.dialect.row_id("m")} AS code, {backend.dialect.row_id("s")} AS sponsor,
                r.n AS votes FROM ranked r
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


_PAID_ORDERS = "__pyramid_paid_orders"
"""Paid orders, each converted once into every profile currency: sales, orders bought and
first purchases all read this one table (three reads of ``orders``, each converting every
record, took three quarters of reading 10M members with 20M orders)."""


def _stage_paid_orders(backend: Backend, money: MoneySettings, *, shops: bool, payments: bool) -> None:
    """Every paid order with its buyer and seller coded (NULL: not a member / not a member's
    shop), its pay period, whether a purchase payment records it, and its units per currency."""
    d = backend.dialect
    units = "".join(
        f', {units_sql("o.amount", "o.currency", c, money.rates)} AS "units@{c}"' for c in money.currencies
    )
    joins, recorded = "", "FALSE"
    if shops:
        joins += (
            f"LEFT JOIN (SELECT c.merchant_id, {d.row_id('m')} AS code FROM merchants c "
            "JOIN members m ON m.member_id = c.member_id) s ON s.merchant_id = o.merchant_id "
        )
    if payments:
        joins += (
            "LEFT JOIN (SELECT DISTINCT order_id FROM payments WHERE kind = 'purchase' "
            "AND order_id IS NOT NULL) r ON r.order_id = o.order_id "
        )
        recorded = "r.order_id IS NOT NULL"
    seller = "s.code" if shops else "CAST(NULL AS BIGINT)"
    backend.execute(
        f"CREATE OR REPLACE TEMP TABLE {_PAID_ORDERS} AS SELECT {d.row_id('b')} AS buyer, "
        f"{seller} AS seller, b.joined_at, o.placed_at AS bought_at, "
        f"{MONTH_SQL.format(t='o.placed_at')} AS month, o.amount, o.currency, {recorded} AS recorded{units} "
        "FROM orders o "
        f"LEFT JOIN members b ON b.member_id = o.buyer_id {joins}"
        f"WHERE o.status IN ({_STATUSES}){money.where('o', first=False)}",
        [*SALE_STATUSES, *money.params],
        step="pyramid: paid orders",
    )


def _load_sales(backend: Backend, inputs: PyramidInputs, money: MoneySettings) -> None:
    """Every paid order of a member's shop: seller, buyer (-1: not a member), period, amount."""
    amounts = ", ".join(f'"units@{c}" AS "amount@{c}"' for c in money.currencies)
    table = backend.query(
        f"SELECT seller, buyer, month, {amounts} FROM {_PAID_ORDERS} WHERE seller IS NOT NULL",
        step="pyramid: sales",
    )
    inputs.sale_seller = _column(table, "seller", np.int64, -1).astype(np.int64)
    inputs.sale_buyer = _column(table, "buyer", np.int64, -1).astype(np.int64)
    inputs.sale_month = _column(table, "month", np.int64, 0).astype(np.int64)
    for currency in money.currencies:
        inputs.sale_amount[currency] = _column(table, f"amount@{currency}", np.int64, 0).astype(np.int64)
    inputs.has_orders = True
    if inputs.has_payments:
        _load_pay_periods(backend, inputs, money)


def _load_pay_periods(backend: Backend, inputs: PyramidInputs, money: MoneySettings) -> None:
    """Compensation per member and pay period: the period of the order it was paid on, if any,
    else the month it was paid (the Vemma order's test runs per pay period)."""
    amounts = ", ".join(
        f'CAST(sum({units_sql("p.amount", "p.currency", c, money.rates)}) AS BIGINT) AS "amount@{c}"'
        for c in money.currencies
    )
    period = MONTH_SQL.format(t="coalesce(o.placed_at, p.paid_at)")
    table = backend.query(
        f"SELECT {backend.dialect.row_id('m')} AS code, {period} AS month, {amounts} FROM payments p "
        "JOIN members m ON m.member_id = p.payee_id LEFT JOIN orders o ON o.order_id = p.order_id "
        f"WHERE p.kind IN ('commission', 'bonus'){money.where('p', first=False)} GROUP BY ALL",
        money.params,
        step="pyramid: pay periods",
    )
    inputs.pay_member = _column(table, "code", np.int64, -1).astype(np.int64)
    inputs.pay_month = _column(table, "month", np.int64, 0).astype(np.int64)
    for currency in money.currencies:
        inputs.pay_units[currency] = _column(table, f"amount@{currency}", np.int64, 0).astype(np.int64)


def _load_purchases(
    backend: Backend, inputs: PyramidInputs, money: MoneySettings, *, orders: bool, payments: bool
) -> None:
    """Orders a member bought that no purchase payment records, and each member's first buy.

    Orders count as money paid (the income figures); the first purchase from a day before
    joining on is the candidate entry purchase (a starter package: see ``_elements``).
    """
    n = inputs.n
    d = backend.dialect
    columns = "".join(f', "units@{c}"' for c in money.currencies)
    parts, params = [], []
    if payments:
        units = "".join(
            f', {units_sql("p.amount", "p.currency", c, money.rates)} AS "units@{c}"'
            for c in money.currencies
        )
        parts.append(
            f"SELECT {d.row_id('m')} AS code, m.joined_at, p.paid_at AS bought_at, p.amount, "
            f"p.currency{units} FROM payments p JOIN members m ON m.member_id = p.payer_id "
            f"WHERE p.kind = 'purchase'{money.where('p', first=False)}"
        )
        params += money.params
    if orders:
        bought = f"SELECT buyer AS code, joined_at, bought_at, amount, currency{columns} FROM {_PAID_ORDERS} "
        bought += "WHERE buyer IS NOT NULL AND NOT recorded"
        parts.append(bought)
        sums = ", ".join(f'CAST(sum("units@{c}") AS BIGINT) AS "bought@{c}"' for c in money.currencies)
        table = backend.query(
            f"SELECT code, {sums} FROM ({bought}) b GROUP BY code", step="pyramid: orders bought"
        )
        codes = _column(table, "code", np.int64, -1).astype(np.int64)
        for currency in money.currencies:
            values = _column(table, f"bought@{currency}", np.int64, 0).astype(np.int64)
            inputs.money.setdefault(currency, {})["orders_bought"] = _scatter(
                n, codes, values, 0, np.int64
            ).astype(np.int64)
    if not parts:
        return
    union = " UNION ALL ".join(parts)
    firsts = ", ".join(f'arg_min(b."units@{c}", b.bought_at) AS "first@{c}"' for c in money.currencies)
    table = backend.query(
        f"SELECT b.code, {d.epoch_us('min(b.bought_at)')} - {d.epoch_us('b.joined_at')} AS after, "
        "arg_min(CAST(b.amount AS VARCHAR) || ' ' || b.currency, b.bought_at) AS price, "
        f"{firsts} FROM ({union}) b "
        "WHERE b.joined_at IS NOT NULL AND b.bought_at >= b.joined_at - INTERVAL 1 "
        "DAY GROUP BY b.code, b.joined_at",
        params,
        step="pyramid: first purchases",
    )
    if not table.num_rows:
        return
    codes = _column(table, "code", np.int64, -1).astype(np.int64)
    inputs.first_buy_after = _scatter(
        n, codes, _column(table, "after", np.int64, _NO_TIME), _NO_TIME, np.int64
    ).astype(np.int64)
    encoded = pc.dictionary_encode(table.column("price")).combine_chunks()
    prices = np.asarray(encoded.indices.fill_null(-1).to_numpy(zero_copy_only=False), dtype=np.int64)
    inputs.first_buy_price = _scatter(n, codes, prices, -1, np.int64).astype(np.int64)
    inputs.price_labels = [str(label) for label in encoded.dictionary.to_pylist()]
    for currency in money.currencies:
        values = _column(table, f"first@{currency}", np.int64, 0).astype(np.int64)
        inputs.first_buy_units[currency] = _scatter(n, codes, values, 0, np.int64).astype(np.int64)
