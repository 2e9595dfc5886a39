"""The elements the texts are built from, measured per network in one currency.

Criminal Law art. 224-1, Regulations art. 7, Koscot and UCPD point 14 are combinations of a
few facts about a scheme: whether joining costs something (an entry fee, or a purchase tied to
joining: a "disguised fee"), whether anyone is paid by the number of people recruited (at any
depth: one level is enough), and whether uplines are paid on their downline's sales. Each is
measured here once per network, with the sentence that says what was found; the tests in
``_legal`` combine them as their texts do.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from numpy.typing import NDArray

from ._inputs import PyramidInputs
from ._metrics import MemberFigures, NetworkFigures
from ._money import bincount_units, units_text

I64 = NDArray[np.int64]
B = NDArray[np.bool_]
_DAY_US = 86_400 * 1_000_000


@dataclass
class Elements:
    """Per network (aligned with ``NetworkFigures.roots``); money in ``currency`` units."""

    currency: str
    fees_total: I64
    entry_purchases: I64
    """Starter purchases: the first purchases at the network's starter price (see ``starter``)."""
    entry_total: I64
    starter_buyers: I64
    recruits: I64
    starter_price: pa.Array
    starter_member: B
    """Per member: their first purchase was the network's starter purchase."""
    entry_consideration: B
    recruitment_pay: I64
    """Pay by headcount: recruitment commissions and bonuses, and entry fees paid to uplines
    (fees the network's top receives are the organization's takings, not pay)."""
    headcount_pay: B
    team_pay: I64
    compensation: I64
    sales_outside: I64
    sales_inside: I64
    has_sales: bool
    recruitment_levels: I64
    team_levels: I64
    reason: pa.Array

    @property
    def is_pyramid(self) -> B:
        """Regulations art. 7: (2) a payment to join, or (3) team pay on downline sales; (1) pay
        by headcount is in both, or stands alone only as an indication (see ``_legal``)."""
        out: B = self.entry_consideration | (self.team_pay > 0)
        return out

    @property
    def headcount_based(self) -> B:
        """Art. 224-1's scheme: a payment to join, and pay by the number of persons developed."""
        out: B = self.entry_consideration & self.headcount_pay
        return out


def measure(
    inputs: PyramidInputs,
    members: MemberFigures,
    networks: NetworkFigures,
    currency: str,
    evidence: Mapping[str, Any],
) -> Elements:
    roots, index = networks.roots, networks.index
    k = roots.size
    totals = networks.money[currency]
    money = members.money[currency]
    starter_member, starter_buyers, recruits, price = _starter(inputs, members, index, k, currency, evidence)
    first_units = inputs.first_buy_units.get(currency)
    entry_purchases = np.zeros(k, dtype=np.int64)
    if first_units is not None and starter_member.any():
        codes = np.flatnonzero(starter_member)
        entry_purchases = bincount_units(index[codes], first_units[codes], k)
    fees_total = totals["fees_total"]
    received = money.get("fees_received")
    top = networks.top if networks.top.size else roots
    root_fees = (
        bincount_units(index[top], received[top], k) if received is not None else np.zeros(k, dtype=np.int64)
    )
    recruitment_pay = totals["recruitment_rewards"] - root_fees
    min_share = float(evidence["starter_min_share"])
    starter = (starter_buyers >= int(evidence["starter_min_members"])) & (
        starter_buyers >= min_share * np.maximum(recruits, 1)
    )
    entry = (fees_total > 0) | starter
    recruitment_levels = networks.columns["recruitment_levels"]
    team_levels = networks.columns["team_sales_levels"]
    headcount = recruitment_pay > 0
    elements = Elements(
        currency=currency,
        fees_total=fees_total,
        entry_purchases=np.where(starter, entry_purchases, 0),
        entry_total=fees_total + np.where(starter, entry_purchases, 0),
        starter_buyers=starter_buyers,
        recruits=recruits,
        starter_price=price,
        starter_member=(starter_member & starter[np.maximum(index, 0)] & (index >= 0))
        if starter_member.any()
        else starter_member,
        entry_consideration=entry,
        recruitment_pay=recruitment_pay,
        headcount_pay=headcount,
        team_pay=totals["team_pay"],
        compensation=totals["rewards_total"] - root_fees,
        sales_outside=totals["sales_outside"],
        sales_inside=totals["sales_inside"],
        has_sales=inputs.has_orders,
        recruitment_levels=recruitment_levels,
        team_levels=team_levels,
        reason=pa.array([], pa.string()),
    )
    elements.reason = _reasons(elements, starter, int(evidence["starter_days"]))
    return elements


def _starter(
    inputs: PyramidInputs,
    members: MemberFigures,
    index: I64,
    k: int,
    currency: str,
    evidence: Mapping[str, Any],
) -> tuple[B, I64, I64, pa.Array]:
    """Members whose first purchase, within ``starter_days`` of joining, is at the price most
    such purchases in their network share; per network: how many, out of how many recruits."""
    n = inputs.n
    if inputs.first_buy_after is None or inputs.first_buy_price is None or not k:
        return np.zeros(n, np.bool_), np.zeros(k, np.int64), np.zeros(k, np.int64), pa.nulls(k, pa.string())
    # network size minus its top: members below a root (index >= 0 and a sponsor)
    recruits = np.bincount(index[(index >= 0) & (members.check.parent >= 0)], minlength=k).astype(np.int64)
    none = (np.zeros(n, np.bool_), np.zeros(k, np.int64), recruits, pa.nulls(k, pa.string()))
    window = int(evidence["starter_days"]) * _DAY_US
    joining = (
        (inputs.first_buy_after <= window)
        & (inputs.first_buy_price >= 0)
        & (index >= 0)
        & (members.check.parent >= 0)
    )
    codes = np.flatnonzero(joining)
    if not codes.size:
        return none
    prices = inputs.first_buy_price[codes]
    width = np.int64(int(prices.max()) + 1)
    keys, counts = np.unique(index[codes] * width + prices, return_counts=True)
    nets, price = keys // width, keys % width
    # the modal price per network (ties: the smaller price code, i.e. the one seen first)
    order = np.lexsort((price, -counts, nets))
    first = np.ones(order.size, dtype=np.bool_)
    first[1:] = nets[order][1:] != nets[order][:-1]
    best = order[first]
    modal = np.full(k, -1, dtype=np.int64)
    modal[nets[best]] = price[best]
    buyers = np.zeros(k, dtype=np.int64)
    buyers[nets[best]] = counts[best]
    member = np.zeros(n, dtype=np.bool_)
    member[codes[prices == modal[index[codes]]]] = True
    labels = pa.array([*inputs.price_labels, None], pa.string()).take(
        pa.array(np.where(modal >= 0, modal, len(inputs.price_labels)))
    )
    del currency
    return member, buyers, recruits, labels


def _pick(mask: B, yes: pa.Array | str, no: pa.Array | str) -> pa.Array:
    size = mask.shape[0]

    def arr(v: pa.Array | str) -> pa.Array:
        return v if isinstance(v, pa.Array) else pa.array(np.full(size, v, dtype=object), pa.string())

    return pc.if_else(pa.array(mask), arr(yes), arr(no))


def _join(*parts: pa.Array | str) -> pa.Array:
    pieces = [p if isinstance(p, str) else pc.cast(p, pa.string()) for p in parts]
    return pc.binary_join_element_wise(*pieces, "")


def _reasons(e: Elements, starter: B, days: int) -> pa.Array:
    """One sentence per network naming each element found or missing, with its figures."""
    cur = e.currency
    fees = _pick(e.fees_total > 0, _join("entry fees of ", units_text(e.fees_total), f" {cur}"), "")
    starters = _pick(
        starter,
        _join(
            pa.array(e.starter_buyers),
            " of ",
            pa.array(e.recruits),
            " recruits made their first purchase within ",
            str(days),
            " days of joining at one price (",
            pc.fill_null(e.starter_price, ""),
            "): a purchase tied to joining",
        ),
        "",
    )
    both = pc.if_else(
        pa.array((e.fees_total > 0) & starter), _join(fees, "; ", starters), _join(fees, starters)
    )
    entry = _pick(e.entry_consideration, _join("payment to join: ", both), "no payment to join found")
    headcount = _pick(
        e.headcount_pay,
        _join(
            "pay by headcount: ",
            units_text(e.recruitment_pay),
            f" {cur} of recruitment pay, up to level ",
            pa.array(np.maximum(e.recruitment_levels, 1)),
        ),
        "no pay by headcount",
    )
    team = _pick(
        e.team_pay > 0,
        _join("team pay on downline sales: ", units_text(e.team_pay), f" {cur}"),
        "no team pay on downline sales",
    )
    return _join(entry, "; ", headcount, "; ", team)
