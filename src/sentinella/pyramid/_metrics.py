"""Per-member and per-network figures, from the coded inputs and the forest kernels.

Everything here is numpy over member codes: bincounts for money per member and per network,
the kernels for the tree. Money is int64 units of 1/10,000 (exact), one set of arrays per
currency the profiles compare in. Persons (accounts merged on an ID number or a bank account)
get a forest of their own, because the legal headcounts and levels count people, not accounts;
a merge that only a shared phone or device would make is measured beside it, not used.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ._forest import ForestMetrics, SponsorCheck, analyse_forest, subtree_sum
from ._inputs import _NO_PAY, _NO_TIME, STRONG_IDENTITIES, PyramidInputs
from ._money import bincount_units
from ._persons import PersonMerge, merge_accounts
from ._tour import Tour, preorder

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]

REWARD_PARTS = (
    "commission_own_sales",
    "commission_downline_sales",
    "commission_recruitment",
    "commission_unspecified",
    "bonus",
    "fees_received",
)


@dataclass
class LegalForest:
    """The forest the legal counts run on: persons when accounts were merged, else accounts."""

    node: I64
    """Per account, its node (person) in this forest."""
    parent: I64
    joined: I64
    level: I64
    headcount: I64
    """Per node: downline + 1 (the 2013 Opinions §7 count the organizer and their level)."""
    levels: I64
    tour: Tour | None = None
    root: I64 | None = None
    """Per node, the top of its tree (persons merged only)."""
    first_account: I64 | None = None
    """Per node, the account it opened first: a person's accounts are named by it."""

    def ensure_tour(self) -> Tour:
        if self.tour is None:
            self.tour = preorder(self.parent, self.headcount)
        return self.tour


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
    money: dict[str, dict[str, I64]]
    """Per currency, per name: int64 units of 1/10,000."""
    currency: str
    """The report currency (the first profile's): what the result tables show."""
    legal_persons: LegalForest | None
    """The person forest, when accounts were merged (else the account forest is built on demand)."""
    joined: I64
    network_root: I64 | None = None
    """Per account, the account that names its network (-1: in none). A network is a tree of the
    person forest: one person's accounts, and everyone below any of them, are one network
    (2013 Opinion §1 ¶2: numbers developed in several organizations led by one person add up)."""
    weak_headcount: I64 | None = None
    """Headcounts if accounts sharing only a phone or device were merged too (None: no change)."""
    weak_levels: I64 | None = None
    weak_kinds: tuple[str, ...] = ()
    departed: NDArray[np.bool_] | None = None
    """Members whose count §1 ¶3 reduced: they left, and later recruits joined unpaid-for."""
    raw_headcount: I64 | None = None
    raw_levels: I64 | None = None
    _zeros: I64 | None = None

    @property
    def legal(self) -> LegalForest:
        """The forest the legal counts run on (persons if merged, else accounts), built once."""
        if self.legal_persons is None:
            n = self.check.parent.shape[0]
            self.legal_persons = LegalForest(
                np.arange(n, dtype=np.int64),
                np.asarray(self.check.parent, dtype=np.int64),
                self.joined,
                np.asarray(self.forest.level, dtype=np.int64),
                np.asarray(self.person_headcount, dtype=np.int64),
                np.asarray(self.person_levels, dtype=np.int64),
            )
        return self.legal_persons

    def units(self, currency: str, name: str) -> I64:
        """A money array; absent ones are one shared read-only array of zeros."""
        values = self.money.get(currency, {}).get(name)
        if values is not None:
            return values
        if self._zeros is None:
            self._zeros = np.zeros(self.check.parent.shape[0], dtype=np.int64)
            self._zeros.flags.writeable = False
        return self._zeros


@dataclass
class NetworkFigures:
    """Per network figures (index = the network's root code; only ``roots`` are networks)."""

    roots: I64
    columns: dict[str, NDArray[Any]]
    index: I64 = field(default_factory=lambda: np.zeros(0, np.int64))
    """Per member, the index of their network in ``roots`` (-1: in none)."""
    money: dict[str, dict[str, I64]] = field(default_factory=dict)
    """Per currency, per name: network totals in units."""
    top: I64 = field(default_factory=lambda: np.zeros(0, np.int64))
    """Accounts of each network's top person (its roots when no accounts were merged)."""


def _zeros(n: int) -> I64:
    return np.zeros(n, dtype=np.int64)


def member_figures(
    inputs: PyramidInputs,
    currencies: tuple[str, ...],
    analyse: Callable[..., tuple[SponsorCheck, ForestMetrics]] = analyse_forest,
) -> MemberFigures:
    """``analyse`` computes the account forest (the kernel, or the engine's SQL: ``_forest_sql``)."""
    n = inputs.n
    report = currencies[0]
    parent = inputs.parent
    has_parent = parent >= 0
    recruits = np.zeros(n, dtype=np.bool_)
    recruits[parent[has_parent]] = True
    fees_paid = inputs.units(report, "fees_paid")  # zeros when no payments: read, never stored
    # A participant is anyone inside a recruitment structure or who paid to join one; their
    # purchases are "inside" sales, everyone else's are sales to the public.
    participant = has_parent | recruits | inputs.orphan | (fees_paid > 0)
    # Only arrays that can be non-zero are kept (``units`` gives zeros for the rest): at 10M
    # members every needless array is 80 MB and a pass in each sum below.
    money: dict[str, dict[str, I64]] = {}
    for currency in currencies:
        values = dict(inputs.money.get(currency, {}))
        parts = [values[name] for name in REWARD_PARTS if name in values]
        if parts:
            values["rewards"] = _sum_present(values, REWARD_PARTS, n)
        if inputs.sale_seller.size:
            own_out, own_in, bought_in = _sales_split(inputs, participant, currency)
            values.update(
                {"own_sales_outside": own_out, "own_sales_inside": own_in, "purchases_inside": bought_in}
            )
        if inputs.has_payments or inputs.has_orders:
            # Money paid counts orders bought as well as payments (FTC income figures).
            paid = _sum_present(values, ("paid_total", "orders_bought"), n)
            values["paid_total"] = paid
            earned = _sum_present(values, ("received_total", "own_sales_outside", "own_sales_inside"), n)
            values["net_income"] = earned - paid
        money[currency] = values
    first = money[report]
    sums = {
        name: first[source]
        for name, source in (
            ("fees_paid", "fees_paid"),
            ("sales_outside", "own_sales_outside"),
            ("sales_inside", "own_sales_inside"),
        )
        if source in first and first[source].any()
    }
    check, forest = analyse(parent, join_order=inputs.joined, orphan=inputs.orphan, values=sums)
    if "fees_paid" in sums:
        first["fees_in_downline"] = forest.sums["fees_paid"].astype(np.int64) - fees_paid
    for name, target in (("sales_outside", "team_sales_outside"), ("sales_inside", "team_sales_inside")):
        if name in sums:
            first[target] = forest.sums[name].astype(np.int64)
    for currency in currencies[1:]:
        fees = money[currency].get("fees_paid")
        if fees is not None and fees.any():
            money[currency]["fees_in_downline"] = subtree_sum(check.parent, fees, include_self=False).astype(
                np.int64
            )
    in_network = (check.parent >= 0) | (forest.direct_recruits > 0)
    # Plain accounts until persons are merged: the forest's own arrays, no copies (80 MB each at 10M).
    figures = MemberFigures(
        check,
        forest,
        participant,
        in_network,
        np.arange(n, dtype=np.int64),
        None,
        forest.legal_headcount,
        forest.legal_levels,
        money,
        report,
        None,
        inputs.joined,
    )
    _merge_persons(inputs, figures)
    _departed_leaders(inputs, figures)
    _network_roots(figures)
    return figures


def _network_roots(figures: MemberFigures) -> None:
    """Name every account's network; with merged persons, by the person forest's tops."""
    forest = figures.forest
    legal = figures.legal_persons
    if legal is None or legal.root is None or legal.first_account is None:
        figures.network_root = np.where(figures.in_network, forest.root, -1).astype(np.int64)
        return
    k = legal.parent.shape[0]
    has_child = np.zeros(k, dtype=np.bool_)
    has_child[legal.parent[legal.parent >= 0]] = True
    node_inside = (legal.parent >= 0) | has_child
    inside = node_inside[legal.node]
    figures.in_network = inside
    top_account = legal.first_account[legal.root]
    figures.network_root = np.where(inside, top_account[legal.node], -1).astype(np.int64)


def _sum_present(money: dict[str, I64], names: tuple[str, ...], n: int) -> I64:
    total = _zeros(n)
    for name in names:
        if name in money:
            total += money[name]
    return total


def _sales_split(
    inputs: PyramidInputs, participant: NDArray[np.bool_], currency: str
) -> tuple[I64, I64, I64]:
    """Each seller's sales to the public and to participants, and participants' purchases."""
    n = inputs.n
    if not inputs.sale_seller.size:
        return _zeros(n), _zeros(n), _zeros(n)
    seller, buyer, amount = inputs.sale_seller, inputs.sale_buyer, inputs.sale_amount[currency]
    buyer_inside = np.zeros(seller.shape[0], dtype=np.bool_)
    known = buyer >= 0
    buyer_inside[known] = participant[buyer[known]]
    outside = bincount_units(seller, np.where(buyer_inside, 0, amount), n)
    inside = bincount_units(seller, np.where(buyer_inside, amount, 0), n)
    seller_inside = participant[seller]
    bought = bincount_units(buyer[known], np.where(seller_inside, amount, 0)[known], n)
    return outside, inside, bought


def _person_forest(
    inputs: PyramidInputs, check: SponsorCheck, merge: PersonMerge
) -> tuple[I64, I64, I64, I64, I64, I64, I64, I64]:
    """(node per account, parent, joined, level, headcount, levels, root, first account) over persons.

    A person's sponsor is the sponsor of the account they opened first; their recruits are the
    persons recruited by any of their accounts.
    """
    n = inputs.n
    _, dense = np.unique(merge.person, return_inverse=True)
    dense = dense.astype(np.int64)
    count = int(dense.max()) + 1
    order = np.lexsort((np.arange(n), inputs.joined))
    first_account = np.empty(count, dtype=np.int64)
    first_account[dense[order[::-1]]] = order[::-1]
    sponsor = check.parent[first_account]
    person_parent = np.where(sponsor >= 0, dense[np.maximum(sponsor, 0)], -1)
    person_parent = np.where(person_parent == np.arange(count), -1, person_parent)
    joined = np.full(count, _NO_TIME, dtype=np.int64)
    np.minimum.at(joined, dense, inputs.joined)
    person_check, person_forest = analyse_forest(person_parent, join_order=joined)
    return (
        dense,
        person_check.parent.astype(np.int64),
        joined,
        person_forest.level.astype(np.int64),
        person_forest.legal_headcount.astype(np.int64),
        person_forest.legal_levels.astype(np.int64),
        person_forest.root.astype(np.int64),
        first_account,
    )


def _merge_persons(inputs: PyramidInputs, figures: MemberFigures) -> None:
    """Persons by ID number and bank account; the counts a phone or device merge would give."""
    if not inputs.identities:
        return
    strong = {k: v for k, v in inputs.identities.items() if k in STRONG_IDENTITIES}
    merged = merge_accounts(inputs.identities)  # every kind, for the links table and the weak counts
    figures.merge = merged
    strong_persons = inputs.n
    if strong:
        strong_merge = merge_accounts(strong)
        figures.person = strong_merge.person.astype(np.int64)
        strong_persons = strong_merge.n_persons
        if strong_persons < inputs.n:
            node, parent, joined, level, head, levels, root, first = _person_forest(
                inputs, figures.check, strong_merge
            )
            figures.legal_persons = LegalForest(
                node, parent, joined, level, head, levels, root=root, first_account=first
            )
            figures.person_headcount = head[node]
            figures.person_levels = levels[node]
    if merged.n_persons < strong_persons:
        node, _, _, _, head, levels, _, _ = _person_forest(inputs, figures.check, merged)
        weak_head, weak_levels = head[node], levels[node]
        same = np.array_equal(weak_head, figures.person_headcount) and np.array_equal(
            weak_levels, figures.person_levels
        )
        if not same:
            figures.weak_headcount, figures.weak_levels = weak_head, weak_levels
            figures.weak_kinds = tuple(k for k in inputs.identities if k not in STRONG_IDENTITIES)


def _departed_leaders(inputs: PyramidInputs, figures: MemberFigures) -> None:
    """Opinion §1 ¶3: after a leader formally leaves, later recruits count toward them only
    while the organization still pays them (up to their last payment after leaving).

    One vectorised range query per departed leader with a downline; departures are few.
    """
    if inputs.left is None:
        return
    legal = figures.legal
    nodes = legal.node
    k = legal.parent.shape[0]
    left = np.full(k, np.iinfo(np.int64).min, dtype=np.int64)
    np.maximum.at(left, nodes, inputs.left)  # a person left when their last account did
    paid = np.full(k, _NO_PAY, dtype=np.int64)
    if inputs.last_paid_after_left is not None:
        np.maximum.at(paid, nodes, inputs.last_paid_after_left)
    cutoff = np.maximum(left, paid)
    candidates = np.flatnonzero((left < _NO_TIME) & (left > np.iinfo(np.int64).min) & (legal.headcount > 1))
    if not candidates.size:
        return
    tour = legal.ensure_tour()
    headcount, levels = legal.headcount.copy(), legal.levels.copy()
    changed = np.zeros(k, dtype=np.bool_)
    for leader in candidates.tolist():
        start = int(tour.position[leader])
        below = tour.at[start + 1 : start + int(tour.size[leader])]
        late = legal.joined[below] > cutoff[leader]
        if not late.any():
            continue
        kept = below[~late]
        changed[leader] = True
        headcount[leader] = 1 + kept.size
        levels[leader] = 1 + (int((legal.level[kept] - legal.level[leader]).max()) if kept.size else 0)
    if changed.any():
        figures.raw_headcount, figures.raw_levels = figures.person_headcount, figures.person_levels
        figures.person_headcount = headcount[nodes]
        figures.person_levels = levels[nodes]
        figures.departed = changed[nodes]


def network_figures(inputs: PyramidInputs, members: MemberFigures) -> NetworkFigures:
    """Size, depth, money and income distribution of every tree with at least two members.

    Sums run over network indexes (0..networks-1) and only over the members whose value is not
    zero: most money columns are sparse, and a pass over every member per column is most of the
    cost at 10M members. Persons and levels come from the person forest when accounts merged.
    """
    n = inputs.n
    forest = members.forest
    inside = members.in_network
    named = members.network_root
    if named is None:
        named = np.where(inside, forest.root, -1).astype(np.int64)
    roots = np.flatnonzero(named == np.arange(n))
    k = roots.size
    index_of_root = np.full(n, -1, dtype=np.int64)
    index_of_root[roots] = np.arange(k)
    network = np.where(inside, index_of_root[np.maximum(named, 0)], -1)
    size = np.bincount(network[inside], minlength=k).astype(np.int64)
    legal = members.legal_persons
    if legal is not None and legal.root is not None:
        # the top of a network is a person: every account of theirs takes the top's share
        top = np.flatnonzero(inside & (legal.node == legal.node[np.maximum(named, 0)]))
    else:
        top = roots

    def count(flags: NDArray[np.bool_]) -> I64:
        return np.bincount(network[np.flatnonzero(flags & inside)], minlength=k).astype(np.int64)

    def totals(currency: str) -> dict[str, I64]:
        money = members.money[currency]

        def total(*names: str) -> I64:
            out = np.zeros(k, dtype=np.int64)
            for name in names:
                values = money.get(name)
                if values is None:
                    continue  # absent: zero for everyone
                codes = np.flatnonzero((values != 0) & inside)
                out += bincount_units(network[codes], values[codes], k)
            return out

        return {
            "fees_total": total("fees_paid"),
            "fees_received": total("fees_received"),
            "rewards_total": total("rewards"),
            "recruitment_rewards": total("commission_recruitment", "fees_received"),
            "team_pay": total("commission_downline_sales"),
            "sales_rewards": total("commission_own_sales", "commission_downline_sales"),
            "sales_outside": total("own_sales_outside"),
            "sales_inside": total("own_sales_inside"),
            "orders_bought": total("orders_bought"),
        }

    by_currency = {currency: totals(currency) for currency in members.money}
    report = by_currency[members.currency]
    rewards = members.units(members.currency, "rewards")
    raw_head = members.raw_headcount if members.raw_headcount is not None else members.person_headcount
    raw_levels = members.raw_levels if members.raw_levels is not None else members.person_levels
    columns: dict[str, NDArray[Any]] = {
        "members": size,
        "levels": raw_levels[roots].astype(np.int64)
        if members.merge is not None
        else forest.depth_below[roots].astype(np.int64) + 1,
        "persons": raw_head[roots].astype(np.int64) if members.merge is not None else size,
        **report,
        "share_no_income": (size - count(rewards > 0)) / size,
        "share_losing": count(members.units(members.currency, "net_income") < 0) / size,
        "top1_share": _top_share(network, rewards, size),
    }
    levels = inputs.levels
    for column, name in (
        ("paying_levels", "max_reward_level"),
        ("recruitment_levels", "max_recruitment_level"),
        ("team_sales_levels", "max_team_sales_level"),
    ):
        columns[column] = _group_max(network, levels.get(name), k)
    return NetworkFigures(roots, columns, network, by_currency, top)


def _group_max(network: I64, values: I64 | None, k: int) -> I64:
    out = np.zeros(k, dtype=np.int64)
    if values is None:
        return out
    paid = np.flatnonzero((values > 0) & (network >= 0))  # levels start at 1: only the paid count
    np.maximum.at(out, network[paid], values[paid])
    return out


def _top_share(network: I64, rewards: I64, size: I64) -> F64:
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
    top_sum = bincount_units(sorted_groups, np.where(top, rewards[codes][order], 0), k)
    all_sum = bincount_units(groups, rewards[codes], k)
    return np.divide(top_sum, all_sum, out=np.zeros(k), where=all_sum > 0)
