"""Hostile shapes at 10^6: deep chains, wide stars and huge cycles neither recurse nor stall."""

from __future__ import annotations

import time

import numpy as np
import pytest

from sentinella.pyramid.kernels import Engine, forest_metrics, merge_accounts, validate_sponsors

pytestmark = pytest.mark.slow  # million-member forests

N = 1_000_000


def test_chain_of_a_million_levels(kernel_engine: Engine) -> None:
    parent = np.arange(-1, N - 1, dtype=np.int64)
    start = time.perf_counter()
    m = forest_metrics(parent, values={"one": np.ones(N)}, engine=kernel_engine)
    assert time.perf_counter() - start < 10
    assert m.level[-1] == N and m.level[0] == 1
    assert m.depth_below[0] == N - 1 and m.legal_levels[0] == N
    assert m.downline[0] == N - 1 and m.downline[-1] == 0
    assert (m.root == 0).all()
    assert (m.direct_recruits[:-1] == 1).all() and m.direct_recruits[-1] == 0
    assert np.array_equal(m.sums["one"], np.arange(N, 0, -1, dtype=np.float64))
    assert np.array_equal(m.level, np.arange(1, N + 1))


def test_chain_coded_bottom_up(kernel_engine: Engine) -> None:
    # the same chain with the codes reversed: every sponsor has a larger code than their recruit
    parent = np.arange(1, N + 1, dtype=np.int64)
    parent[-1] = -1
    start = time.perf_counter()
    m = forest_metrics(parent, engine=kernel_engine)
    assert time.perf_counter() - start < 10
    assert np.array_equal(m.level, np.arange(N, 0, -1))
    assert np.array_equal(m.depth_below, np.arange(N))
    assert (m.root == N - 1).all()


def test_star_of_a_million_recruits(kernel_engine: Engine) -> None:
    parent = np.zeros(N, dtype=np.int32)
    parent[0] = -1
    start = time.perf_counter()
    m = forest_metrics(parent, engine=kernel_engine)
    assert time.perf_counter() - start < 10
    assert m.direct_recruits[0] == N - 1 and m.downline[0] == N - 1
    assert m.legal_headcount[0] == N and m.legal_levels[0] == 2
    assert (m.level[1:] == 2).all() and (m.depth_below[1:] == 0).all()


def test_a_cycle_of_a_million_members_with_a_chain_running_into_it(kernel_engine: Engine) -> None:
    # members 0..N-1 form one ring (i sponsored by i-1); N..2N-1 a chain hanging off member 0
    ring = np.roll(np.arange(N), 1)
    chain = np.arange(N - 1, 2 * N - 1)
    chain[0] = 0
    parent = np.concatenate([ring, chain])
    joined = np.arange(2 * N)[::-1].copy()  # the last ring member joined first
    start = time.perf_counter()
    check = validate_sponsors(parent, join_order=joined, engine=kernel_engine)
    assert (check.cycle_id[:N] == 0).all() and (check.cycle_id[N:] == -1).all()
    assert (check.into_cycle[N:] == 0).all()
    assert np.flatnonzero(check.cut).tolist() == [N - 1]
    m = forest_metrics(check.parent, engine=kernel_engine)
    assert time.perf_counter() - start < 15
    assert m.level[N - 1] == 1 and m.level[0] == 2 and m.level[-1] == N + 2
    assert m.depth_below[N - 1] == N + 1


def test_merging_a_million_accounts(kernel_engine: Engine) -> None:
    rng = np.random.default_rng(3)
    phone = rng.integers(0, N // 2, N)
    device = rng.integers(-1, N, N)
    start = time.perf_counter()
    merged = merge_accounts({"phone": phone, "device": device}, engine=kernel_engine)
    assert time.perf_counter() - start < 10
    # every account is in the same person as the first account holding its phone
    first = np.full(N // 2, N)
    np.minimum.at(first, phone, np.arange(N))
    assert np.array_equal(merged.person[first[phone]], merged.person)
    assert (merged.person <= np.arange(N)).all()
