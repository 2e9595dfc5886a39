"""The near-duplicate kernels against plain numpy references."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from sentinella.provenance import query
from sentinella.provenance._hashes import from_hex, pack_bits, to_hex
from sentinella.provenance._index import HashIndex, components, near_pairs

words = hnp.arrays(np.uint64, st.tuples(st.integers(1, 60), st.just(4)), elements=st.integers(0, 2**64 - 1))


def _distance(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.bitwise_count(a ^ b).sum(axis=-1)


@settings(max_examples=40, deadline=None)
@given(rows=words, data=st.data())
def test_query_matches_numpy(rows: np.ndarray, data: st.DataObject) -> None:
    variants = data.draw(
        hnp.arrays(np.uint64, (data.draw(st.integers(1, 8)), 4), elements=st.integers(0, 2**64 - 1))
    )
    limit = data.draw(st.integers(0, 256))
    index, dist = query(rows, variants, limit)
    best = np.min(_distance(rows[:, None, :], variants[None, :, :]), axis=1)
    assert index.tolist() == np.flatnonzero(best <= limit).tolist()
    assert dist.tolist() == best[best <= limit].tolist()


def test_query_finds_a_flipped_bit_among_many() -> None:
    rng = np.random.default_rng(3)
    rows = rng.integers(0, 2**63, (200_000, 4), dtype=np.int64).view(np.uint64)
    probe = rows[123_456].copy()
    probe[2] ^= np.uint64(1 << 17)
    index, dist = query(rows, probe[None, :], 31, threads=2)
    assert index.tolist() == [123_456] and dist.tolist() == [1]


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 10_000), n=st.integers(2, 40))
def test_near_pairs_match_numpy(seed: int, n: int) -> None:
    rng = np.random.default_rng(seed)
    base = rng.integers(0, 2**63, (4, 8, 4), dtype=np.int64).view(np.uint64)
    pdq = base[rng.integers(0, 4, n)].copy()
    flips = rng.integers(0, 256, (n, 30))
    for k in range(n):  # noisy copies of four pictures
        for bit in flips[k, : rng.integers(0, 30)]:
            pdq[k, :, bit // 64] ^= np.uint64(1) << np.uint64(bit % 64)
    phash = rng.integers(0, 2**63, (n, 2, 1), dtype=np.int64).view(np.uint64)
    got = near_pairs(pdq, phash, match=20, near=40, phash_near=28)
    want = []
    for i in range(n):
        for j in range(i + 1, n):
            d = int(_distance(pdq[i, 0][None], pdq[j]).min())
            p = int(_distance(phash[i, 0][None], phash[j]).min())
            if d <= 20 or (d <= 40 and p <= 28):
                want.append((i, j, d))
    assert sorted((int(a), int(b), int(c)) for a, b, c, _ in got) == want


def _noisy_copies(rng: np.random.Generator, base: np.ndarray, n: int, most: int) -> np.ndarray:
    """n rows drawn from ``base`` with up to ``most`` random bits flipped in every variant."""
    out = base[rng.integers(0, len(base), n)].copy()
    bits = out.shape[-1] * 64
    for k in range(n):
        for bit in rng.integers(0, bits, rng.integers(0, most + 1)):
            out[k, ..., bit // 64] ^= np.uint64(1) << np.uint64(bit % 64)
    return out


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 10_000), n=st.integers(1, 300), limit=st.integers(0, 60))
def test_index_query_matches_numpy(seed: int, n: int, limit: int) -> None:
    rng = np.random.default_rng(seed)
    base = rng.integers(0, 2**63, (5, 4), dtype=np.int64).view(np.uint64)
    rows = np.concatenate([_noisy_copies(rng, base, n, 40), base])
    variants = _noisy_copies(rng, base, int(rng.integers(1, 9)), 30)
    index, dist = HashIndex(rows).query(variants, limit)
    best = np.min(_distance(rows[:, None, :], variants[None, :, :]), axis=1)
    assert index.tolist() == np.flatnonzero(best <= limit).tolist()
    assert dist.tolist() == best[best <= limit].tolist()


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 10_000), n=st.integers(2, 200), match=st.integers(0, 40))
def test_near_pairs_through_the_index_equal_all_pairs(seed: int, n: int, match: int) -> None:
    """The postings find exactly the pairs all pairs find (pigeonhole), PDQ and pHash rules alike."""
    rng = np.random.default_rng(seed)
    pdq = _noisy_copies(rng, rng.integers(0, 2**63, (6, 8, 4), dtype=np.int64).view(np.uint64), n, 70)
    phash = _noisy_copies(rng, rng.integers(0, 2**63, (6, 2, 1), dtype=np.int64).view(np.uint64), n, 14)
    kwargs = {"match": match, "near": 70, "phash_near": 10}
    want = near_pairs(pdq, phash, method="all_pairs", **kwargs)
    got = near_pairs(pdq, phash, method="index", **kwargs)
    assert sorted(map(tuple, got.tolist())) == sorted(map(tuple, want.tolist()))


def test_near_pairs_through_the_index_find_copies_among_random_hashes() -> None:
    rng = np.random.default_rng(11)
    n = 30_000
    pdq = rng.integers(0, 2**63, (n, 8, 4), dtype=np.int64).view(np.uint64)
    phash = rng.integers(0, 2**63, (n, 2, 1), dtype=np.int64).view(np.uint64)
    pdq[29_000] = pdq[17]  # an exact copy, and a mirrored one (its variant 4 is 17's picture)
    pdq[29_001, 4] = pdq[18, 0]
    pdq[29_001, 4, 3] ^= np.uint64(0xFFFFFF)
    got = near_pairs(pdq, phash, match=31, near=60, phash_near=10, threads=2)  # auto: the index
    assert sorted((int(a), int(b), int(d)) for a, b, d, _ in got) == [(17, 29_000, 0), (18, 29_001, 24)]


def test_components_link_chains() -> None:
    roots = components(6, np.array([4, 1, 2]), np.array([5, 2, 3]))
    assert roots.tolist() == [0, 1, 1, 1, 4, 4]


def test_hex_round_trip() -> None:
    bits = np.random.default_rng(1).integers(0, 2, 256)
    words_ = pack_bits(bits)
    assert to_hex(words_)[:2] == f"{int(''.join(map(str, bits[:8])), 2):02x}"
    assert (from_hex(to_hex(words_)) == words_).all()
