"""Person merging: accounts that share a phone, id number, device or bank account are one person.

Headcounts in the legal tests count people, not accounts, so a leader who registers the same
downline twice must not double it. Connected components are found by min-label hooking plus
pointer jumping over whole arrays (no union-find loop in Python, no scipy needed).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from . import _jit
from ._arrays import Engine, IndexArray, as_member_array, index_dtype, use_numba


@dataclass(frozen=True, slots=True)
class PersonMerge:
    """Accounts grouped into persons, with the identifiers that grouped them."""

    person: IndexArray
    """Per account, the person it belongs to, named by the person's smallest account code."""
    link_mask: NDArray[np.int64]
    """Per account, bit i set when it shares identifier ``kinds[i]`` with another account."""
    kinds: tuple[str, ...]

    def linked_by(self, kind: str) -> NDArray[np.bool_]:
        """Accounts that share this kind of identifier with another account."""
        bit = np.int64(1) << np.int64(self.kinds.index(kind))
        out: NDArray[np.bool_] = (self.link_mask & bit) != 0
        return out

    @property
    def n_persons(self) -> int:
        """A person is named by its smallest account, so persons are the self-named accounts."""
        n = self.person.shape[0]
        return int(np.count_nonzero(self.person == np.arange(n, dtype=self.person.dtype)))


def merge_accounts(identifiers: Mapping[str, ArrayLike], *, engine: Engine = "auto") -> PersonMerge:
    """Union accounts sharing any identifier value into persons.

    ``identifiers`` maps a kind (``"phone"``, ``"id_number"``, ...) to one integer code per
    account, -1 where missing. Codes should be dense (dictionary codes 0..k-1) because a table
    indexed by code is allocated per kind. Bits of ``link_mask`` follow the mapping's order.
    With numba, one union-find pass per kind; without, hooking and pointer jumping in numpy.
    """
    kinds = tuple(identifiers)
    if not kinds:
        raise ValueError("give at least one identifier kind: without one, accounts cannot be counted")
    if len(kinds) > 63:
        raise ValueError("at most 63 identifier kinds fit the link mask")
    arrays = [np.asarray(identifiers[k]) for k in kinds]
    n = arrays[0].shape[0]
    for kind, codes in zip(kinds, arrays, strict=True):
        as_member_array(codes, n, kind)
        if codes.ndim != 1 or (codes.size and not np.issubdtype(codes.dtype, np.integer)):
            raise TypeError(f"{kind} must be one-dimensional integer codes")
    idt = index_dtype(n)
    if use_numba(engine):
        return _merge_numba(kinds, arrays, n, idt)
    mask = np.zeros(n, dtype=np.int64)
    heads: list[IndexArray] = []
    tails: list[IndexArray] = []
    for bit, codes in enumerate(arrays):
        has = np.flatnonzero(codes >= 0).astype(idt)
        if not has.size:
            continue
        c = codes[has]
        count = np.bincount(c)
        shared = np.take(count, c) > 1
        mask[has[shared]] |= np.int64(1) << np.int64(bit)
        first = np.full(count.shape[0], n, dtype=idt)
        np.minimum.at(first, c, has)
        heads.append(has[shared])
        tails.append(np.take(first, c[shared]))
    person = np.arange(n, dtype=idt)
    if heads:
        # only accounts that share something can merge: solve on them alone (usually a few %)
        linked = np.flatnonzero(mask).astype(idt)
        position = np.empty(n, dtype=idt)  # only read at linked accounts, so never initialised
        position[linked] = np.arange(linked.shape[0], dtype=idt)
        u = np.take(position, np.concatenate(heads))
        v = np.take(position, np.concatenate(tails))
        del position
        local = _components(linked.shape[0], u, v, idt)
        person[linked] = np.take(linked, local)
    return PersonMerge(person=person, link_mask=mask, kinds=kinds)


def _merge_numba(
    kinds: tuple[str, ...], arrays: list[NDArray[Any]], n: int, idt: np.dtype[np.signedinteger[Any]]
) -> PersonMerge:
    mask = np.zeros(n, dtype=np.int64)
    person = np.arange(n, dtype=idt)
    for bit, codes in enumerate(arrays):
        if not codes.size or int(codes.max()) < 0:
            continue
        first = np.full(int(codes.max()) + 1, -1, dtype=idt)
        _jit.union_codes(codes, first, person, mask, np.int64(1) << np.int64(bit))
    _jit.resolve(person)
    return PersonMerge(person=person, link_mask=mask, kinds=kinds)


def identity_links(
    identifiers: Mapping[str, ArrayLike],
) -> tuple[IndexArray, IndexArray, IndexArray]:
    """Evidence for a merge: (account, linked account, kind index) triples.

    Each account sharing a value is linked to the smallest account holding that value, which is
    enough to show why any two accounts were merged without listing every pair.
    """
    kinds = tuple(identifiers)
    n = np.asarray(identifiers[kinds[0]]).shape[0] if kinds else 0
    idt = index_dtype(n)
    out_a: list[IndexArray] = []
    out_b: list[IndexArray] = []
    out_k: list[IndexArray] = []
    for bit, kind in enumerate(kinds):
        codes = as_member_array(identifiers[kind], n, kind)
        has = np.flatnonzero(codes >= 0).astype(idt)
        if not has.size:
            continue
        c = codes[has]
        first = np.full(int(c.max()) + 1, n, dtype=idt)
        np.minimum.at(first, c, has)
        other = np.take(first, c)
        keep = other != has
        out_a.append(has[keep])
        out_b.append(other[keep])
        out_k.append(np.full(int(np.count_nonzero(keep)), bit, dtype=idt))
    if not out_a:
        empty = np.zeros(0, dtype=idt)
        return empty, empty.copy(), empty.copy()
    return np.concatenate(out_a), np.concatenate(out_b), np.concatenate(out_k)


def _components(n: int, u: IndexArray, v: IndexArray, idt: np.dtype[np.signedinteger[Any]]) -> IndexArray:
    """Connected components by min-label hooking and pointer jumping (Shiloach-Vishkin style).

    Each round hooks the larger of an edge's two labels onto the smaller, then flattens label
    chains completely. Labels only decrease and stay inside their component, so at the fixpoint
    every component carries its smallest account code.
    """
    label = np.arange(n, dtype=idt)
    while True:
        lu = np.take(label, u)
        lv = np.take(label, v)
        diff = lu != lv
        if not diff.any():
            return label
        lu, lv = lu[diff], lv[diff]
        hi = np.maximum(lu, lv)
        lo = np.minimum(lu, lv)
        np.minimum.at(label, hi, lo)
        while True:
            jumped = np.take(label, label)
            if np.array_equal(jumped, label):
                break
            label = jumped
        u, v = u[diff], v[diff]
