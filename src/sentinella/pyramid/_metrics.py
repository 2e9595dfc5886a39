"""Per-member and per-network figures, from the coded inputs and the forest kernels.

Everything here is numpy over member codes: bincounts for money per member and per network,
the kernels for the tree. Persons (accounts merged by shared identifiers) get a forest of their
own, because the legal headcounts count people, not accounts.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ._forest import ForestMetrics, SponsorCheck, analyse_forest
from ._inputs import PyramidInputs
from ._persons import PersonMerge, merge_accounts

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]


@dataclass
class MemberFigures:
    """Per account figures (index = member code)."""

    check: SponsorCheck
    forest: ForestMetrics
    participant: NDArray[np.bool_]
    in_network: NDArray[np.bool_]
    person: I64
    merge: PersonMerge | None
    person_headcount: I64
    person_levels: I64
    money: dict[str, F64]


@dataclass
class NetworkFigures:
    """Per network figures (index = the network's root code; only ``roots`` are networks)."""

    roots: I64
    columns: dict[str, NDArray[Any]]


def _zeros(n: int) -> F64:
    return np.zeros(n, dtype=np.float64)


def _money(inputs: PyramidInputs, name: str) -> F64:
    return inputs.money.get(name, _zeros(inputs.n))


def member_figures(inputs: PyramidInputs) -> MemberFigures:
    n = inputs.n
    parent = inputs.parent
    has_parent = parent >= 0
    recruits = np.zeros(n, dtype=np.bool_)
    recruits[parent[has_parent]] = True
    fees_paid = _money(inputs, "fees_paid")
    # A participant is anyone inside a recruitment structure or who paid to join one; their
    # purchases are "inside" sales, everyone else's are sales to the public.
    participant = has_parent | recruits | inputs.orphan | (fees_paid > 0)
    own_out, own_in, bought_in = _sales_split(inputs, participant)
    rewards = _sum_present(inputs.money, REWARD_PARTS, n)
    values = {"fees_paid": fees_paid, "sales_outside": own_out, "sales_inside": own_in, "rewards": rewards}
    # Money that is zero everywhere (no payments or no orders in the case) needs no tree pass.
    moving = {name: array for name, array in values.items() if array.any()}
    check, forest = analyse_forest(parent, join_order=inputs.joined, orphan=inputs.orphan, values=moving)
    for name in values.keys() - moving.keys():
        forest.sums[name] = _zeros(n)
    in_network = (check.parent >= 0) | (forest.direct_recruits > 0)
    money = dict(inputs.money)
    money.update(
        {
            "own_sales_outside": own_out,
            "own_sales_inside": own_in,
            "purchases_inside": bought_in,
            "rewards": rewards,
            "net_income": _money(inputs, "received_total") - _money(inputs, "paid_total")
            if inputs.has_payments
            else _zeros(n),
            "fees_in_downline": forest.sums["fees_paid"] - fees_paid if "fees_paid" in moving else _zeros(n),
            "team_sales_outside": forest.sums["sales_outside"],
            "team_sales_inside": forest.sums["sales_inside"],
        }
    )
    person, merge, headcount, levels = _person_counts(inputs, check, forest)
    return MemberFigures(check, forest, participant, in_network, person, merge, headcount, levels, money)


REWARD_PARTS = (
    "commission_own_sales",
    "commission_downline_sales",
    "commission_recruitment",
    "commission_unspecified",
    "bonus",
    "fees_received",
)


def _sum_present(money: dict[str, F64], names: tuple[str, ...], n: int) -> F64:
    """Sum in the order given (so SQL adding the same columns agrees to the last bit)."""
    total = _zeros(n)
    for name in names:
        if name in money:
            total += money[name]
    return total


def _sales_split(inputs: PyramidInputs, participant: NDArray[np.bool_]) -> tuple[F64, F64, F64]:
    """Each seller's sales to the public and to participants, and participants' purchases."""
    n = inputs.n
    if not inputs.sale_seller.size:
        return _zeros(n), _zeros(n), _zeros(n)
    seller, buyer, amount = inputs.sale_seller, inputs.sale_buyer, inputs.sale_amount
    buyer_inside = np.zeros(seller.shape[0], dtype=np.bool_)
    known = buyer >= 0
    buyer_inside[known] = participant[buyer[known]]
    outside = np.bincount(seller, weights=np.where(buyer_inside, 0.0, amount), minlength=n)
    inside = np.bincount(seller, weights=np.where(buyer_inside, amount, 0.0), minlength=n)
    seller_inside = participant[seller]
    bought = np.bincount(buyer[known], weights=np.where(seller_inside, amount, 0.0)[known], minlength=n)
    return outside.astype(np.float64), inside.astype(np.float64), bought.astype(np.float64)


def _person_counts(
    inputs: PyramidInputs, check: SponsorCheck, forest: ForestMetrics
) -> tuple[I64, PersonMerge | None, I64, I64]:
    """Headcount and levels in a forest of persons: one node per person, however many accounts.

    A person's sponsor is the sponsor of the account they opened first; their recruits are the
    persons recruited by any of their accounts.
    """
    n = inputs.n
    if not inputs.identities:
        return np.arange(n, dtype=np.int64), None, forest.legal_headcount, forest.legal_levels
    merge = merge_accounts(inputs.identities)
    person = merge.person.astype(np.int64)
    if merge.n_persons == n:
        return person, merge, forest.legal_headcount, forest.legal_levels
    _, dense = np.unique(person, return_inverse=True)
    count = int(dense.max()) + 1
    order = np.lexsort((np.arange(n), inputs.joined))
    first_account = np.empty(count, dtype=np.int64)
    first_account[dense[order[::-1]]] = order[::-1]
    sponsor = check.parent[first_account]
    person_parent = np.where(sponsor >= 0, dense[np.maximum(sponsor, 0)], -1)
    person_parent = np.where(person_parent == np.arange(count), -1, person_parent)
    _, person_forest = analyse_forest(person_parent)
    return (
        person,
        merge,
        person_forest.legal_headcount[dense].astype(np.int64),
        person_forest.legal_levels[dense].astype(np.int64),
    )


def network_figures(inputs: PyramidInputs, members: MemberFigures) -> NetworkFigures:
    """Size, depth, money and income distribution of every tree with at least two members.

    Sums run over network indexes (0..networks-1) and only over the members whose value is not
    zero: most money columns are sparse, and a pass over every member per column is most of the
    cost at 10M members.
    """
    n = inputs.n
    forest = members.forest
    inside = members.in_network
    roots = np.flatnonzero(inside & (members.check.parent < 0))
    k = roots.size
    size = forest.downline[roots].astype(np.int64) + 1
    index_of_root = np.full(n, -1, dtype=np.int64)
    index_of_root[roots] = np.arange(k)
    network = np.where(inside, index_of_root[forest.root], -1)

    def total(*parts: NDArray[Any] | None) -> F64:
        present = [values for values in parts if values is not None]
        if not present:
            return np.zeros(k, dtype=np.float64)
        values = present[0] if len(present) == 1 else sum(present[1:], present[0])
        codes = np.flatnonzero((values != 0) & inside)
        weights = values[codes].astype(np.float64)
        return np.asarray(np.bincount(network[codes], weights=weights, minlength=k), dtype=np.float64)

    def count(flags: NDArray[np.bool_]) -> I64:
        return np.bincount(network[np.flatnonzero(flags & inside)], minlength=k).astype(np.int64)

    money = members.money
    rewards = money["rewards"]
    levels = inputs.levels
    columns: dict[str, NDArray[Any]] = {
        "members": size,
        "levels": forest.depth_below[roots].astype(np.int64) + 1,
        "persons": size if members.merge is None else _distinct_persons(network, members.person, size),
        "fees_total": total(money.get("fees_paid")),
        "fees_received": total(money.get("fees_received")),
        "rewards_total": total(rewards),
        "recruitment_rewards": total(money.get("commission_recruitment"), money.get("fees_received")),
        "sales_rewards": total(money.get("commission_own_sales"), money.get("commission_downline_sales")),
        "sales_outside": total(money["own_sales_outside"]),
        "sales_inside": total(money["own_sales_inside"]),
        "share_no_income": (size - count(rewards > 0)) / size,
        "share_losing": count(money["net_income"] < 0) / size,
        "top1_share": _top_share(network, rewards, size),
    }
    for column, name in (
        ("paying_levels", "max_reward_level"),
        ("recruitment_levels", "max_recruitment_level"),
        ("team_sales_levels", "max_team_sales_level"),
    ):
        columns[column] = _group_max(network, levels.get(name), k)
    return NetworkFigures(roots, columns)


def _group_max(network: I64, values: I64 | None, k: int) -> I64:
    out = np.zeros(k, dtype=np.int64)
    if values is None:
        return out
    paid = np.flatnonzero((values > 0) & (network >= 0))  # levels start at 1: only the paid count
    np.maximum.at(out, network[paid], values[paid])
    return out


def _distinct_persons(network: I64, person: I64, size: I64) -> I64:
    """People per network: the accounts of one person count once."""
    n = network.shape[0]
    accounts_of = np.bincount(person, minlength=n)
    shared = np.flatnonzero((network >= 0) & (accounts_of[person] > 1))
    out = size.copy()
    if shared.size:
        groups = network[shared]
        out -= np.bincount(groups, minlength=size.size)
        keys = np.unique(groups * np.int64(n) + person[shared])
        out += np.bincount(keys // n, minlength=size.size)
    return out


def _top_share(network: I64, rewards: F64, size: I64) -> F64:
    """Share of each network's rewards taken by its top 1% of earners (at least one person).

    Only members who earned something are sorted: the others add nothing to either sum.
    """
    k = size.size
    codes = np.flatnonzero((network >= 0) & (rewards > 0))
    if not codes.size:
        return np.zeros(k)
    groups = network[codes]
    order = np.lexsort((-rewards[codes], groups))
    sorted_groups = groups[order]
    earners = np.bincount(groups, minlength=k)
    start = np.zeros(k, dtype=np.int64)
    start[1:] = np.cumsum(earners)[:-1]
    rank = np.arange(codes.size) - start[sorted_groups]
    top_k = np.maximum(np.ceil(size * 0.01), 1).astype(np.int64)
    top = rank < top_k[sorted_groups]
    top_sum = np.bincount(sorted_groups, weights=np.where(top, rewards[codes][order], 0.0), minlength=k)
    all_sum = np.bincount(groups, weights=rewards[codes], minlength=k)
    return np.divide(top_sum, all_sum, out=np.zeros(k), where=all_sum > 0)
