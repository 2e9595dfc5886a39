"""Members, their identifiers, people with several accounts, and the social graph."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pyarrow as pa

from ..contract import TABLES
from . import _fmt as F
from ._chunk import HONEST, Chunk, Ties

IDENTIFIERS = ("phone", "id_number", "device_id", "bank_account")
_MASK_P = np.zeros(16)
_MASK_P[[1, 2, 4, 8, 5, 3, 12, 15]] = [0.3, 0.05, 0.3, 0.15, 0.08, 0.04, 0.05, 0.03]
_MASK_P /= _MASK_P.sum()
# the identifiers a bit mask shares, as truth writes them ("phone|device_id")
_SHARED_TEXT = tuple(
    "|".join(name for bit, name in zip((1, 2, 4, 8), IDENTIFIERS, strict=True) if m & bit) for m in range(16)
)


def member_id(numbers: np.ndarray) -> pa.Array:
    return F.ids("M", numbers, 9)


def init_members(chunk: Chunk) -> None:
    """Honest join times (growing platform) and a few missing identifiers, as real exports have."""
    rng = chunk.rng(1)
    n = chunk.n
    span = chunk.end_us - 7 * F.DAY_US - (chunk.start_us - 730 * F.DAY_US)
    chunk.joined[:] = chunk.start_us - 730 * F.DAY_US + (rng.random(n) ** 0.7 * span).astype(np.int64)
    miss = chunk.profile.identity_missing_share
    for arr in (chunk.phone, chunk.id_number, chunk.device, chunk.bank):
        arr[rng.random(n) < miss] = -1


def plant_persons(chunk: Chunk) -> None:
    """Ordinary people with 2-4 accounts sharing some identifiers (not hiding anything)."""
    rng = chunk.rng(2)
    share = chunk.profile.multi_account_share
    n_people = int(rng.binomial(chunk.free, share / 2.5)) if chunk.free else 0
    if n_people == 0:
        return
    extra = rng.integers(1, 4, n_people)
    need = int(n_people + extra.sum())
    if need > chunk.free // 2:
        return
    accounts = chunk.take(need, HONEST)
    primary = accounts[:n_people]
    owner = np.repeat(np.arange(n_people), extra)
    secondary = accounts[n_people:]
    mask = rng.choice(16, size=n_people, p=_MASK_P)
    share_mask = mask[owner]
    for bit, arr in zip((1, 2, 4, 8), (chunk.phone, chunk.id_number, chunk.device, chunk.bank), strict=True):
        arr[primary] = chunk.glob(primary)
        on = (share_mask & bit) > 0
        arr[secondary] = chunk.glob(secondary)
        arr[secondary[on]] = chunk.glob(primary[owner[on]])
    chunk.name_key[secondary] = chunk.glob(primary[owner])
    person_no = chunk.counters.person + np.arange(n_people)
    chunk.counters.person += n_people
    members = np.concatenate([primary, secondary])
    who = np.concatenate([np.arange(n_people), owner])
    chunk.add_truth(
        "persons",
        persons_table(
            person_no[who],
            chunk.glob(members),
            np.concatenate([np.ones(n_people, bool), np.zeros(len(secondary), bool)]),
            F.pick(_SHARED_TEXT, mask[who]),
            split=False,
            network=np.full(len(members), -1),
        ),
    )
    chunk.count("persons", n_people)
    chunk.count("person_accounts", len(members))


def persons_table(
    person: np.ndarray,
    member: np.ndarray,
    primary: np.ndarray,
    shared: pa.Array,
    *,
    split: bool,
    network: np.ndarray,
) -> pa.Table:
    return pa.table(
        {
            "person_id": F.ids("U", person, 9),
            "member_id": member_id(member),
            "primary_account": pa.array(primary),
            "shared": shared,
            "split_downline": pa.array(np.full(len(member), split)),
            "network_id": F.opt_ids("N", network, 6),
        }
    )


def friend_ties(chunk: Chunk) -> None:
    """Friendships cluster by neighbourhood (nearby member numbers), groups are chat rooms."""
    rng = chunk.rng(3)
    n = chunk.n
    if n < 3:
        return
    prof = chunk.profile
    k = rng.poisson(prof.friends_per_member / 2, n)
    a = np.repeat(np.arange(n), k)
    offset = np.maximum(1, (rng.pareto(1.2, len(a)) * 5).astype(np.int64)) % max(1, n - 1) + 1
    sign = np.where(rng.random(len(a)) < 0.5, 1, -1)
    b = (a + sign * offset) % n
    keep = a != b
    a, b = a[keep], b[keep]
    since = np.maximum(chunk.joined[a], chunk.joined[b]) + (rng.random(len(a)) * 60 * F.DAY_US).astype(
        np.int64
    )
    chunk.add_ties(
        Ties(chunk.glob(a), chunk.glob(b), np.full(len(a), -1), np.minimum(since, chunk.end_us - 1))
    )
    # chat groups: an admin and 3..60 members each
    n_groups = int(n * prof.group_share / 10)
    if n_groups:
        sizes = np.minimum(rng.zipf(1.8, n_groups) + 2, 60)
        admin = rng.integers(0, n, n_groups)
        gid = chunk.counters.group + np.arange(n_groups)
        chunk.counters.group += n_groups
        owner = np.repeat(np.arange(n_groups), sizes)
        mem = (admin[owner] + rng.integers(1, 400, len(owner))) % n
        keep = mem != admin[owner]
        owner, mem = owner[keep], mem[keep]
        since = np.maximum(chunk.joined[admin[owner]], chunk.joined[mem]) + (
            rng.random(len(mem)) * 30 * F.DAY_US
        ).astype(np.int64)
        chunk.add_ties(
            Ties(chunk.glob(admin[owner]), chunk.glob(mem), gid[owner], np.minimum(since, chunk.end_us - 1))
        )


def members_table(chunk: Chunk) -> pa.Table:
    n = chunk.n
    glob = chunk.glob(np.arange(n))
    sponsor = chunk.sponsor
    cols = {
        "member_id": member_id(glob),
        "joined_at": F.timestamps(chunk.joined - chunk.joined % F.US),
        "sponsor_id": F.opt_ids("M", sponsor, 9),
        "left_at": F.timestamps(chunk.left - chunk.left % F.US, null=chunk.left < 0),
        "name": F.names(chunk.name_key),
        "phone": _opt(F.phones, chunk.phone),
        "id_number": _opt(F.id_numbers, chunk.id_number),
        "device_id": _opt(F.devices, chunk.device),
        "bank_account": _opt(F.bank_accounts, chunk.bank),
    }
    return pa.Table.from_arrays(list(cols.values()), schema=TABLES["members"].arrow_schema())


def _opt(fmt: Callable[[np.ndarray], pa.Array], keys: np.ndarray) -> pa.Array:
    return F.nullify(fmt(np.maximum(keys, 0)), keys < 0)
