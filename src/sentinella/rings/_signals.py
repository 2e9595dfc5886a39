"""Per (buyer, shop) and per order signals, as SQL steps on the engine the analysis runs on.

Every signal is scaled to [0, 1] so the scorer can combine them and the reasons can cite them.
The relational part (counts, crowds, shared identifiers, ties, cashback) is SQL; FRAUDAR's
peeling per shop runs per group of the engine (``Backend.map_groups``: on Spark's executors);
the global identifier FRAUDAR is one peeling of one graph, so its edges are collected and it
runs on the driver. The signals are ratios of counts computed as doubles, operation for
operation as the numpy code they replaced: the same bits on every engine.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
from numpy.typing import NDArray

from sentinella.engine import Backend

from . import _jit
from ._config import DAY_US, HOUR_US, RingsConfig
from ._fraudar import fraudar
from ._inputs import CASHBACK, MEMBERS, ORDERS, SHOPS, RingInputs

I64 = NDArray[np.int64]
F64 = NDArray[np.float64]
# an "identifier" on more orders than this is a placeholder (a shop's tablet, a pickup point),
# not evidence that binds a group (counted in orders for every kind, as the numpy code did)
MAX_IDENTIFIER_ACCOUNTS = 200


@dataclass
class Pairs:
    """Each (buyer, shop) with at least one order; ``of_order`` maps an order to its pair."""

    of_order: I64
    buyer: I64
    merchant: I64

    @property
    def n(self) -> int:
        return int(self.buyer.shape[0])


def make_pairs(inputs: RingInputs) -> Pairs:
    key = inputs.buyer * np.int64(max(inputs.n_merchants, 1)) + inputs.merchant
    uniq, inv = np.unique(key, return_inverse=True)
    m = np.int64(max(inputs.n_merchants, 1))
    return Pairs(inv.astype(np.int64), (uniq // m).astype(np.int64), (uniq % m).astype(np.int64))


def unique_rows(*columns: I64) -> tuple[list[I64], I64]:
    """Distinct rows of integer columns (sorted) and each input row's index among them.

    ``np.unique(axis=1)`` sorts rows as opaque bytes and is an order of magnitude slower.
    """
    n = columns[0].shape[0]
    if n == 0:
        return [c[:0] for c in columns], np.zeros(0, dtype=np.int64)
    lows = [int(c.min()) for c in columns]
    spans = [int(c.max()) - lo + 1 for c, lo in zip(columns, lows, strict=True)]
    if float(np.prod(np.array(spans, dtype=np.float64))) < 2.0**62:
        # one int64 key sorts several times faster than a lexsort over the columns
        key = np.zeros(n, dtype=np.int64)
        for c, lo, span in zip(columns, lows, spans, strict=True):
            key = key * np.int64(span) + (c - lo)
        order = np.argsort(key, kind="stable")
        sk = key[order]
        new = np.r_[True, sk[1:] != sk[:-1]]
    else:
        order = np.lexsort(columns[::-1])
        new = np.zeros(n, dtype=np.bool_)
        new[0] = True
        for c in columns:
            s = c[order]
            new[1:] |= s[1:] != s[:-1]
    rank = np.cumsum(new) - 1
    inverse = np.empty(n, dtype=np.int64)
    inverse[order] = rank
    first = order[new]
    return [c[first] for c in columns], inverse


def _group_reduce(values: NDArray[np.generic], groups: I64, n: int, how: str) -> F64:
    out = np.zeros(n, dtype=np.float64)
    if values.shape[0] == 0:
        return out
    order = np.argsort(groups, kind="stable")
    g = groups[order]
    v = values[order].astype(np.float64)
    starts = np.flatnonzero(np.r_[True, g[1:] != g[:-1]])
    ufunc = {"sum": np.add, "min": np.minimum, "max": np.maximum}[how]
    out[g[starts]] = ufunc.reduceat(v, starts)
    return out


@dataclass
class PairSignals:
    young: F64
    five_star: F64
    concentration: F64
    shared: F64  # other buyers of the shop on the same device / address / payout account
    group: F64  # other buyers of the shop in the same chat group
    cashback: F64  # paid by the shop's owner outside any order
    owner_tie: F64  # a tie (friend, group) with the shop's owner
    lockstep: F64  # share of the pair's orders in a crowded window at the shop
    dense: F64  # in a dense FRAUDAR block of the shop's buyers
    global_dense: F64  # in a dense block of the global account-identifier graph
    orders: F64
    age_days: F64


# working tables of the signal steps (dropped by :func:`drop_working_tables`)
PARAMS = "__rings_params"
FLAGS = "__rings_order_flags"
SHARED = "__rings_shared"
GROUPS = "__rings_groups"
SHOP_EDGES = "__rings_shop_edges"
SHOP_DENSITY = "__rings_shop_density"
PAIRS = "__rings_pairs"
WORKING_TABLES = (PARAMS, FLAGS, SHARED, GROUPS, SHOP_EDGES, SHOP_DENSITY, PAIRS, ORDERS, SHOPS, MEMBERS)
_DENSITY = pa.schema([("merchant", pa.int64()), ("buyer", pa.int64()), ("density", pa.float64())])


def _floor_div(value: str, divisor: str) -> str:
    """``value // divisor`` rounded down (numpy's), in integers: SQL's division truncates."""
    return f"(({value}) - ((({value}) % {divisor}) + {divisor}) % {divisor}) // {divisor}"


def _bind_config(backend: Backend, config: RingsConfig) -> None:
    """The thresholds as a one-row table the steps join: bound once as parameters."""
    window = max(int(config.lockstep_window_hours * HOUR_US), 1)
    values: dict[str, tuple[str, object]] = {
        "window_us": ("BIGINT", window),
        "half_window_us": ("BIGINT", window // 2),
        "burst_us": ("BIGINT", max(int(config.burst_window_hours * HOUR_US), 1)),
        "day_us": ("BIGINT", DAY_US),
        "max_accounts": ("BIGINT", MAX_IDENTIFIER_ACCOUNTS),
        "old_days": ("DOUBLE", float(config.old_days)),
        "age_span": ("DOUBLE", float(max(config.old_days - config.young_days, 1e-9))),
        "shared_full": ("DOUBLE", float(config.shared_full)),
        "lockstep_min_buyers": ("DOUBLE", float(config.lockstep_min_buyers)),
        "crowd_factor": ("DOUBLE", float(config.lockstep_crowd_factor)),
        "five_star_share": ("DOUBLE", float(config.lockstep_five_star_share)),
        "burst_min_orders": ("DOUBLE", float(config.burst_min_orders)),
        "burst_per_buyer": ("DOUBLE", float(config.burst_orders_per_buyer)),
    }
    columns = ", ".join(f"CAST(? AS {kind}) AS {name}" for name, (kind, _) in values.items())
    backend.execute(
        f"CREATE OR REPLACE TEMP TABLE {PARAMS} AS SELECT {columns}",
        [value for _, value in values.values()],
        step="rings: thresholds",
    )


def _order_flags(backend: Backend) -> None:
    """Per order: in a lockstep window, in a burst.

    Lockstep: the shop's orders in windows of ``window`` (and again shifted by half a window);
    a window is a crowd when it holds at least ``lockstep_min_buyers`` buyers, ``crowd_factor``
    times the shop's usual, and rates as one (``five_star_share`` of its orders 5-star): buying
    together is what flash sales do too, 5-starring together is what they do not. Each order is
    judged in the bucketing that holds the larger part of its crowd, so a flash sale's tail cut
    off by a window edge is not read as a crowd of its own (ties: the unshifted one).
    """
    crowds = []
    for shift in (0, 1):
        crowds.append(
            f"crowd{shift} AS (SELECT merchant, w{shift} AS w, count(DISTINCT buyer) AS crowd, "
            f"count(*) AS n, count_if(rating = 5) AS five FROM b GROUP BY merchant, w{shift}), "
            f"usual{shift} AS (SELECT merchant, CAST(sum(crowd) AS DOUBLE) / CAST(count(*) AS DOUBLE) "
            f"AS usual FROM crowd{shift} GROUP BY merchant), "
            f"hit{shift} AS (SELECT c.merchant, c.w, c.crowd, "
            "(CAST(c.crowd AS DOUBLE) >= p.lockstep_min_buyers "
            "AND CAST(c.crowd AS DOUBLE) >= p.crowd_factor * u.usual "
            "AND CAST(c.five AS DOUBLE) / CAST(c.n AS DOUBLE) >= p.five_star_share) AS hit "
            f"FROM crowd{shift} c JOIN usual{shift} u ON u.merchant = c.merchant CROSS JOIN {PARAMS} p)"
        )
    backend.execute(
        f"CREATE OR REPLACE TEMP TABLE {FLAGS} AS WITH b AS (SELECT o.order_id, o.merchant, o.buyer, "
        f"o.rating, {_floor_div('o.placed', 'p.window_us')} AS w0, "
        f"{_floor_div('o.placed + p.half_window_us', 'p.window_us')} AS w1, "
        f"{_floor_div('o.placed', 'p.burst_us')} AS h FROM {ORDERS} o CROSS JOIN {PARAMS} p), "
        f"{', '.join(crowds)}, "
        "hours AS (SELECT merchant, h, count(*) AS n, count(DISTINCT buyer) AS buyers FROM b "
        "GROUP BY merchant, h) "
        "SELECT b.order_id, CASE WHEN k1.crowd > k0.crowd THEN k1.hit ELSE k0.hit END AS in_lockstep, "
        "(CAST(hb.n AS DOUBLE) >= p.burst_min_orders "
        "AND CAST(hb.n AS DOUBLE) >= p.burst_per_buyer * CAST(hb.buyers AS DOUBLE)) AS in_burst "
        "FROM b JOIN hit0 k0 ON k0.merchant = b.merchant AND k0.w = b.w0 "
        "JOIN hit1 k1 ON k1.merchant = b.merchant AND k1.w = b.w1 "
        f"JOIN hours hb ON hb.merchant = b.merchant AND hb.h = b.h CROSS JOIN {PARAMS} p",
        step="rings: lockstep and bursts",
    )


def _shared(backend: Backend) -> None:
    """Other buyers of the shop on the same order device, ship-to address, payout account or
    account device as the buyer. An identifier on more than ``MAX_IDENTIFIER_ACCOUNTS`` orders
    is a placeholder (a shop's tablet, a pickup point): it binds no group and is dropped."""
    kinds = (("0", "device_id"), ("1", "ship_to"), ("2", "buyer_bank"), ("3", "buyer_device"))
    ids = " UNION ALL ".join(
        f"SELECT {kind} AS kind, {column} AS v, merchant, buyer FROM {ORDERS} WHERE {column} IS NOT NULL"
        for kind, column in kinds
    )
    backend.execute(
        f"CREATE OR REPLACE TEMP TABLE {SHARED} AS WITH ids AS ({ids}), "
        "pair_ids AS (SELECT kind, v, merchant, buyer, count(*) AS n FROM ids "
        "GROUP BY kind, v, merchant, buyer), "
        "crowd AS (SELECT kind, v, merchant, count(*) AS buyers, sum(n) AS n FROM pair_ids "
        "GROUP BY kind, v, merchant), "
        "uses AS (SELECT kind, v, sum(n) AS n FROM crowd GROUP BY kind, v) "
        "SELECT i.buyer, i.merchant, max(c.buyers) - 1 AS others FROM pair_ids i "
        "JOIN crowd c ON c.kind = i.kind AND c.v = i.v AND c.merchant = i.merchant "
        "JOIN uses u ON u.kind = i.kind AND u.v = i.v "
        f"WHERE u.n <= (SELECT max_accounts FROM {PARAMS}) GROUP BY i.buyer, i.merchant",
        step="rings: shared identifiers",
    )


def _groups(backend: Backend) -> None:
    """Other buyers of the shop in one of the buyer's chat groups."""
    groups = (
        "SELECT member_a AS member_id, group_id FROM ties WHERE group_id IS NOT NULL "
        "UNION SELECT member_b, group_id FROM ties WHERE group_id IS NOT NULL"
        if backend.has_rows("ties")
        else "SELECT CAST(NULL AS VARCHAR) AS member_id, CAST(NULL AS VARCHAR) AS group_id WHERE FALSE"
    )
    backend.execute(
        f"CREATE OR REPLACE TEMP TABLE {GROUPS} AS WITH g AS ({groups}), "
        "kept AS (SELECT DISTINCT g.group_id, p.merchant, p.buyer "
        f"FROM (SELECT DISTINCT buyer, merchant FROM {ORDERS}) p JOIN {MEMBERS} m ON m.code = p.buyer "
        "JOIN g ON g.member_id = m.member_id), "
        "crowd AS (SELECT group_id, merchant, count(*) AS buyers FROM kept GROUP BY group_id, merchant) "
        "SELECT k.buyer, k.merchant, max(c.buyers) - 1 AS others FROM kept k "
        "JOIN crowd c ON c.group_id = k.group_id AND c.merchant = k.merchant GROUP BY k.buyer, k.merchant",
        step="rings: chat groups",
    )


def _shop_edges(backend: Backend) -> None:
    """The per-shop graph's distinct edges (shop, buyer, context): contexts are the listing,
    the lockstep window, the day, the order device and the ship-to address, as one integer
    ``kind * 2**40 + value`` (a value's code follows its first order, as the columns' order,
    which the peeling breaks ties by, always has)."""
    codes = {
        column: f"SELECT v, dense_rank() OVER (ORDER BY first_order) AS code FROM (SELECT {column} AS v, "
        f"min(order_id) AS first_order FROM {ORDERS} WHERE {column} IS NOT NULL GROUP BY {column}"
        + ("" if column == "listing_id" else f" HAVING count(*) <= (SELECT max_accounts FROM {PARAMS})")
        + ") x"
        for column in ("listing_id", "device_id", "ship_to")
    }
    kind = 1 << 40
    window = _floor_div("o.placed", "p.window_us")
    day = _floor_div("o.placed", "p.day_us")
    ctx = " UNION ALL ".join(
        [
            f"SELECT o.merchant, o.buyer, l.code AS ctx FROM {ORDERS} o JOIN listing l ON l.v = o.listing_id",
            f"SELECT o.merchant, o.buyer, {kind} + {window} FROM {ORDERS} o CROSS JOIN {PARAMS} p "
            f"WHERE {window} >= 0",
            f"SELECT o.merchant, o.buyer, {2 * kind} + {day} FROM {ORDERS} o CROSS JOIN {PARAMS} p "
            f"WHERE {day} >= 0",
            f"SELECT o.merchant, o.buyer, {3 * kind} + d.code FROM {ORDERS} o "
            "JOIN device d ON d.v = o.device_id",
            f"SELECT o.merchant, o.buyer, {4 * kind} + a.code FROM {ORDERS} o "
            "JOIN address a ON a.v = o.ship_to",
        ]
    )
    backend.execute(
        f"CREATE OR REPLACE TEMP TABLE {SHOP_EDGES} AS WITH listing AS ({codes['listing_id']}), "
        f"device AS ({codes['device_id']}), address AS ({codes['ship_to']}) "
        f"SELECT DISTINCT merchant, buyer, CAST(ctx AS BIGINT) AS ctx FROM ({ctx}) c",
        step="rings: shop graph",
    )


def shop_blocks_kernel(rows: pa.Table, *, blocks: int, min_rows: int) -> pa.Table:
    """FRAUDAR in each shop's graph of buyers x contexts: the density of the densest block (of
    at least ``min_rows`` buyers) each buyer is in. ``rows`` hold whole shops, edges sorted by
    shop, buyer, context; rows and columns are numbered within their shop in that order (the
    peeling breaks ties by number) and all shops are peeled in one compiled loop."""

    def column(name: str) -> I64:
        return np.asarray(rows.column(name).to_numpy(zero_copy_only=False), dtype=np.int64)

    merchant, buyer, ctx = column("merchant"), column("buyer"), column("ctx")
    if merchant.shape[0] == 0:
        return _DENSITY.empty_table()
    starts = np.flatnonzero(np.r_[True, merchant[1:] != merchant[:-1], True]).astype(np.int64)
    n_groups = starts.shape[0] - 1
    group = np.repeat(np.arange(n_groups), np.diff(starts))
    # rows: buyers are sorted within a shop, so a running count of new buyers numbers them
    new_row = np.r_[True, (buyer[1:] != buyer[:-1]) | (merchant[1:] != merchant[:-1])]
    row_rank = np.cumsum(new_row) - 1
    local_row = row_rank - row_rank[starts[:-1]][group]
    n_rows = np.diff(np.r_[row_rank[starts[:-1]], row_rank[-1] + 1]).astype(np.int64)
    (col_group, _), col_inv = unique_rows(group, ctx)
    local_col = col_inv - np.searchsorted(col_group, np.arange(n_groups), side="left")[group]
    n_cols = np.bincount(col_group, minlength=n_groups).astype(np.int64)
    degree = np.bincount(col_inv).astype(np.float64)
    weight = 1.0 / np.log(degree[col_inv] + 5.0)
    density = np.zeros(int(n_rows.sum()), dtype=np.float64)
    _jit.peel_groups(
        starts,
        local_row.astype(np.int64),
        local_col.astype(np.int64),
        weight,
        n_rows,
        n_cols,
        blocks,
        min_rows,
        density,
    )
    dense = density > 0
    return pa.table(
        {"merchant": merchant[new_row][dense], "buyer": buyer[new_row][dense], "density": density[dense]},
        schema=_DENSITY,
    )


def _shop_blocks(backend: Backend, config: RingsConfig) -> None:
    """Per-shop FRAUDAR, shop by shop where the engine holds them (shops are independent)."""
    backend.map_groups(
        f"SELECT merchant, buyer, ctx FROM {SHOP_EDGES}",
        by=("merchant",),
        order=("buyer", "ctx"),
        kernel=functools.partial(
            shop_blocks_kernel,
            blocks=int(config.blocks_per_merchant),
            min_rows=int(max(config.block_min_rows, config.merchant_min_buyers)),
        ),
        schema=_DENSITY,
        output=SHOP_DENSITY,
        step="rings: FRAUDAR per shop",
    )


def identifier_edges(backend: Backend) -> tuple[I64, I64, int]:
    """The global graph of accounts x (order device, ship-to address, payout account, account
    device, chat group, shop): distinct edges sorted, columns numbered by kind then value (a
    value's place its first order's, or its first account's), as the peeling has always seen
    them. An identifier on more than ``MAX_IDENTIFIER_ACCOUNTS`` orders (devices, addresses) or
    accounts (payout accounts, account devices) is dropped."""
    cap = f"(SELECT max_accounts FROM {PARAMS})"
    kind = 1 << 40
    d = backend.dialect
    ctes = [
        "order_device AS (SELECT v, n, dense_rank() OVER (ORDER BY first_order) AS code FROM "
        f"(SELECT device_id AS v, min(order_id) AS first_order, count(*) AS n FROM {ORDERS} "
        "WHERE device_id IS NOT NULL GROUP BY device_id) x)",
        "order_address AS (SELECT v, n, dense_rank() OVER (ORDER BY first_order) AS code FROM "
        f"(SELECT ship_to AS v, min(order_id) AS first_order, count(*) AS n FROM {ORDERS} "
        "WHERE ship_to IS NOT NULL GROUP BY ship_to) x)",
        f"member_bank AS (SELECT bank_account AS v, min(code) AS code, count(*) AS n FROM {MEMBERS} "
        "WHERE bank_account IS NOT NULL GROUP BY bank_account)",
        f"member_device AS (SELECT device_id AS v, min(code) AS first_row, count(*) AS n FROM {MEMBERS} "
        "WHERE device_id IS NOT NULL GROUP BY device_id)",
    ]
    parts = [
        f"SELECT o.buyer AS member, od.code AS ctx FROM {ORDERS} o JOIN order_device od "
        f"ON od.v = o.device_id WHERE od.n <= {cap}",
        f"SELECT o.buyer, {kind} + oa.code FROM {ORDERS} o JOIN order_address oa ON oa.v = o.ship_to "
        f"WHERE oa.n <= {cap}",
        f"SELECT m.code, {2 * kind} + mb.code FROM {MEMBERS} m JOIN member_bank mb ON mb.v = m.bank_account "
        f"WHERE mb.n <= {cap}",
        # account devices share their codes with order devices: those seen on an order come first
        f"SELECT m.code, {3 * kind} + coalesce(od.code, {kind // 2} + md.first_row) FROM {MEMBERS} m "
        f"JOIN member_device md ON md.v = m.device_id LEFT JOIN order_device od ON od.v = md.v "
        f"WHERE md.n <= {cap}",
        f"SELECT buyer, {5 * kind} + merchant FROM {ORDERS}",
    ]
    if backend.has_rows("ties"):
        ctes.append(
            f"chat AS (SELECT group_id, min({d.row_id()}) AS first_tie FROM ties "
            "WHERE group_id IS NOT NULL GROUP BY group_id)"
        )
        ctes.append(
            "in_chat AS (SELECT member_a AS member_id, group_id FROM ties WHERE group_id IS NOT NULL "
            "UNION ALL SELECT member_b, group_id FROM ties WHERE group_id IS NOT NULL)"
        )
        parts.append(
            f"SELECT m.code, {4 * kind} + c.first_tie FROM in_chat g JOIN chat c ON c.group_id = g.group_id "
            f"JOIN {MEMBERS} m ON m.member_id = g.member_id"
        )
    edges = backend.query(
        f"WITH {', '.join(ctes)} SELECT DISTINCT member, CAST(ctx AS BIGINT) AS ctx "
        f"FROM ({' UNION ALL '.join(parts)}) e",
        step="rings: identifier graph",
    )
    members = np.asarray(edges.column("member").to_numpy(zero_copy_only=False), dtype=np.int64)
    ctx = np.asarray(edges.column("ctx").to_numpy(zero_copy_only=False), dtype=np.int64)
    columns, col = np.unique(ctx, return_inverse=True)
    (rows, cols), _ = unique_rows(members, col.astype(np.int64).reshape(-1))
    return rows, cols, int(columns.shape[0])


def identifier_blocks(backend: Backend, inputs: RingInputs, pairs: Pairs, config: RingsConfig) -> F64:
    """FRAUDAR over accounts x identifiers, globally: one peeling of one graph (the shop columns
    join nearly every account into one component), so it cannot be split; only its edge list
    comes to the driver."""
    rows, cols, n_cols = identifier_edges(backend)
    member_density = np.zeros(inputs.n_members, dtype=np.float64)
    for block in fraudar(rows, cols, inputs.n_members, max(n_cols, 1), blocks=config.blocks_global):
        if block.rows.shape[0] >= config.block_min_rows:
            member_density[block.rows] = np.maximum(member_density[block.rows], block.density)
    return np.asarray(member_density[pairs.buyer], dtype=np.float64)


def _pairs(backend: Backend) -> None:
    """The per (buyer, shop) table: counts, age, 5-star share, concentration, shared identifiers,
    chat groups, cashback and ties to the shop's owner, lockstep share, per-shop density."""
    payments = backend.has_rows("payments")
    ties = backend.has_rows("ties")
    ctes = [
        "per_pair AS (SELECT o.buyer, o.merchant, count(*) AS orders, min(o.placed) AS first_placed, "
        "count_if(o.rating = 5) AS five, count_if(f.in_lockstep) AS lockstep_orders "
        f"FROM {ORDERS} o JOIN {FLAGS} f ON f.order_id = o.order_id GROUP BY o.buyer, o.merchant)",
        f"per_buyer AS (SELECT buyer, count(*) AS orders, min(placed) AS first_placed FROM {ORDERS} "
        "GROUP BY buyer)",
    ]
    joins = []
    cashback = owner_tie = "0.0"
    if payments:
        ctes.append(f"paid AS (SELECT DISTINCT payer_id, payee_id FROM payments WHERE {CASHBACK})")
        joins.append("LEFT JOIN paid ON paid.payer_id = s.owner_id AND paid.payee_id = b.member_id")
        cashback = "CASE WHEN s.owner IS NOT NULL AND paid.payer_id IS NOT NULL THEN 1.0 ELSE 0.0 END"
    if ties:
        ctes.append(
            "tied AS (SELECT member_a AS x, member_b AS y FROM ties "
            "UNION SELECT member_b, member_a FROM ties)"
        )
        joins.append("LEFT JOIN tied ON tied.x = b.member_id AND tied.y = s.owner_id")
        owner_tie = "CASE WHEN s.owner IS NOT NULL AND tied.x IS NOT NULL THEN 1.0 ELSE 0.0 END"
    # an account whose join time is unknown: its first order anywhere stands in for it
    base = (
        "SELECT pp.buyer, pp.merchant, CAST(pp.orders AS DOUBLE) AS orders, "
        "(CAST(pp.first_placed AS DOUBLE) - CAST(coalesce(b.joined, pb.first_placed) AS DOUBLE)) "
        f"/ {float(DAY_US)!r} AS age_days, "
        "CAST(pp.five AS DOUBLE) / CAST(pp.orders AS DOUBLE) AS five_star, "
        "CAST(pp.orders AS DOUBLE) / CAST(pb.orders AS DOUBLE) AS concentration, "
        "least(CAST(coalesce(sh.others, 0) AS DOUBLE) / p.shared_full, 1.0) AS shared, "
        "least(CAST(coalesce(g.others, 0) AS DOUBLE) / p.shared_full, 1.0) AS chat_group, "
        f"{cashback} AS cashback, {owner_tie} AS owner_tie, "
        "CAST(pp.lockstep_orders AS DOUBLE) / CAST(pp.orders AS DOUBLE) AS lockstep, "
        "coalesce(dn.density, 0.0) AS dense, p.old_days, p.age_span "
        f"FROM per_pair pp JOIN per_buyer pb ON pb.buyer = pp.buyer JOIN {MEMBERS} b ON b.code = pp.buyer "
        f"JOIN {SHOPS} s ON s.code = pp.merchant "
        f"LEFT JOIN {SHARED} sh ON sh.buyer = pp.buyer AND sh.merchant = pp.merchant "
        f"LEFT JOIN {GROUPS} g ON g.buyer = pp.buyer AND g.merchant = pp.merchant "
        f"LEFT JOIN {SHOP_DENSITY} dn ON dn.buyer = pp.buyer AND dn.merchant = pp.merchant "
        f"{' '.join(joins)} CROSS JOIN {PARAMS} p"
    )
    backend.execute(
        f"CREATE OR REPLACE TEMP TABLE {PAIRS} AS WITH {', '.join(ctes)}, base AS ({base}) "
        "SELECT buyer, merchant, orders, age_days, "
        "greatest(least((old_days - age_days) / age_span, 1.0), 0.0) AS young, five_star, concentration, "
        "shared, chat_group, cashback, owner_tie, lockstep, dense FROM base",
        step="rings: pair signals",
    )


def drop_working_tables(backend: Backend) -> None:
    for name in WORKING_TABLES:
        backend.execute(f"DROP TABLE IF EXISTS {name}", step="rings: clean up")


def pair_signals(
    backend: Backend, inputs: RingInputs, pairs: Pairs, config: RingsConfig
) -> tuple[PairSignals, F64, F64]:
    """Signals per pair, plus per order: in a lockstep window, in a burst (as 0/1).

    Needs the working tables of :func:`code_tables`; the pairs' order (by buyer, then shop code)
    is the one the driver's ``make_pairs`` gives."""
    _bind_config(backend, config)
    _order_flags(backend)
    _shared(backend)
    _groups(backend)
    _shop_edges(backend)
    _shop_blocks(backend, config)
    _pairs(backend)
    table = backend.query(f"SELECT * FROM {PAIRS} ORDER BY buyer, merchant", step="rings: collect pairs")
    if table.num_rows != pairs.n:
        raise RuntimeError(f"rings: {table.num_rows} pairs in the engine, {pairs.n} on the driver")

    def column(name: str) -> F64:
        return np.asarray(table.column(name).to_numpy(zero_copy_only=False), dtype=np.float64)

    flags = backend.query(
        f"SELECT in_lockstep, in_burst FROM {FLAGS} JOIN {ORDERS} USING (order_id) ORDER BY order_id",
        step="rings: collect order flags",
    )
    lockstep = np.asarray(flags.column("in_lockstep").to_numpy(zero_copy_only=False), dtype=np.float64)
    burst = np.asarray(flags.column("in_burst").to_numpy(zero_copy_only=False), dtype=np.float64)
    signals = PairSignals(
        young=column("young"),
        five_star=column("five_star"),
        concentration=column("concentration"),
        shared=column("shared"),
        group=column("chat_group"),
        cashback=column("cashback"),
        owner_tie=column("owner_tie"),
        lockstep=column("lockstep"),
        dense=column("dense"),
        global_dense=identifier_blocks(backend, inputs, pairs, config),
        orders=column("orders"),
        age_days=column("age_days"),
    )
    return signals, lockstep, burst
