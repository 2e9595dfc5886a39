"""Person merging on a hand-checked set of accounts."""

from __future__ import annotations

import numpy as np
import pytest

from sentinella.pyramid.kernels import Engine, identity_links, merge_accounts

# accounts 0-1 share a phone, 1-2 an id number, 3-4 a device; 5 has a phone nobody else has
IDS = {
    "phone": [0, 0, -1, 1, -1, 2],
    "id_number": [-1, 5, 5, -1, -1, -1],
    "device": [-1, -1, -1, 7, 7, -1],
    "bank": [-1, -1, -1, -1, -1, -1],
}


def test_accounts_sharing_any_identifier_are_one_person(kernel_engine: Engine) -> None:
    merged = merge_accounts(IDS, engine=kernel_engine)
    assert merged.person.tolist() == [0, 0, 0, 3, 3, 5]
    assert merged.kinds == ("phone", "id_number", "device", "bank")
    assert merged.link_mask.tolist() == [0b001, 0b011, 0b010, 0b100, 0b100, 0]
    assert merged.linked_by("id_number").tolist() == [False, True, True, False, False, False]
    assert merged.n_persons == 3


def test_links_name_the_identifier_behind_each_merge() -> None:
    a, b, kind = identity_links(IDS)
    triples = sorted(zip(a.tolist(), b.tolist(), kind.tolist(), strict=True))
    assert triples == [(1, 0, 0), (2, 1, 1), (4, 3, 2)]


def test_a_long_chain_of_shared_identifiers_collapses_to_one_person(kernel_engine: Engine) -> None:
    n = 200_000
    # account i shares a phone with i+1 when i is even, a device when i is odd: one long path
    phone = np.arange(n) // 2
    device = (np.arange(n) + 1) // 2
    merged = merge_accounts({"phone": phone, "device": device}, engine=kernel_engine)
    assert (merged.person == 0).all()
    assert merged.n_persons == 1


def test_no_identifiers_means_every_account_is_its_own_person(kernel_engine: Engine) -> None:
    merged = merge_accounts({"phone": [-1, -1, -1]}, engine=kernel_engine)
    assert merged.person.tolist() == [0, 1, 2]
    assert merged.link_mask.tolist() == [0, 0, 0]
    a, _, _ = identity_links({"phone": [-1, -1]})
    assert a.size == 0


def test_merging_needs_at_least_one_identifier_kind() -> None:
    with pytest.raises(ValueError, match="at least one identifier"):
        merge_accounts({})
