"""Matching on hand-written listings: across languages, GTIN first, and where it must not merge."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
from compare_helpers import match, together
from hypothesis import given, settings
from hypothesis import strategies as st

from sentinella.compare._kernels import FEATURES, candidate_pairs
from sentinella.compare._model import Scorer, fit_logistic


def test_one_product_in_three_languages_is_one_cluster() -> None:
    m = match(
        [
            "【正品】 凯罗 Kairo 氮化镓充电头 kr-7624a 65W",
            "Kairo Alimentatore GaN KR7624A 65 W marrone",
            "Original KAIRO GaN Charger KR 7624A 65W Brown",
            "顺丰包邮 Kairo 氮化镓充电头 65W 官方授权 KR-7624A",
        ],
        prices=[269, 290, 281, 254],
    )
    assert len(set(m.product.tolist())) == 1
    assert (m.confidence > 0.5).all()


def test_other_model_numbers_are_never_merged() -> None:
    m = match(
        [
            "Kairo GaN Charger KR-7624A 65W",
            "Kairo GaN Charger KR-7624B 65W",
            "凯罗 氮化镓充电头 KR7624B 65W",
            "Kairo Alimentatore GaN KR 7624A 65 W",
        ]
    )
    assert together(m, 0, 3) and together(m, 1, 2)
    assert not together(m, 0, 1)


def test_other_capacities_of_one_model_line_are_never_merged() -> None:
    m = match(
        [
            "Sonique Power Bank SQ-1277 10000mAh Black",
            "Sonique Power Bank SQ-1277 20000mAh Black",
            "索妮可 充电宝 SQ1277 20000毫安 黑色",
            "Sonique Batteria esterna SQ 1277 10000 mAh nero",
        ]
    )
    assert together(m, 0, 3) and together(m, 1, 2)
    assert not together(m, 0, 1)
    assert m.refused >= 1


def test_a_gtin_wins_over_titles() -> None:
    m = match(
        [
            "Lumière Hydra Serum 50ml",
            "精华液 50毫升 保湿",
            "Lumière Hydra Serum 50ml",
            "Lumière Hydra Serum 50ml",
        ],
        gtins=["6901234567892", "06901234567892", "6901234567908", None],
    )
    assert together(m, 0, 1)  # same GTIN (12 vs 13 digits with a leading zero), unlike titles
    assert not together(m, 0, 2)  # identical titles, different GTINs
    assert m.confidence[0] == 1.0


def test_a_listing_without_model_number_cannot_chain_two_models() -> None:
    # The weak listing resembles both; it may join one of them, never bridge them.
    m = match(
        [
            "Voltix Power Bank VX-7573L 10000mAh Red",
            "Voltix Power Bank Red 10000mAh",
            "Voltix Power Bank VX-7574L 10000mAh Red",
            "Voltix Power Bank VX-7573L 10000mAh Red New",
            "Voltix Power Bank VX-7574L 10000mAh Red Hot",
        ]
    )
    assert not together(m, 0, 2)
    assert together(m, 0, 3) and together(m, 2, 4)


def test_unrelated_listings_and_empty_titles_stay_alone() -> None:
    m = match(["Stellato ST5079 自动机械表 40mm", "Vitaroo Vitamina C VR-4517B 150 capsule", "", None])
    assert len(set(m.product.tolist())) == 4
    assert ((m.confidence >= 0) & (m.confidence <= 1)).all()


def test_no_listings_give_no_products() -> None:
    m = match([])
    assert len(m.product) == 0 and len(m.pairs) == 0


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.integers(0, 6), min_size=1, max_size=40),
    st.integers(1, 4),
    st.integers(0, 2**31),
)
def test_candidate_pairs_are_exactly_the_window_pairs_within_blocks(
    keys: list[int], window: int, seed: int
) -> None:
    """Reference: brute force over all pairs of entries of one block within ``window`` sorted places
    (no weak listings here, so the small-block completion adds nothing)."""
    rng = np.random.default_rng(seed)
    n = len(keys)
    owners = rng.permutation(n).astype(np.int64)
    rank = rng.permutation(n).astype(np.int64)
    k = np.array(keys, dtype=np.int64)
    got = {tuple(p) for p in candidate_pairs(k, owners, rank, np.zeros(n, bool), window=window).tolist()}
    expected: set[tuple[int, int]] = set()
    for key in set(keys):
        members = sorted(owners[k == key].tolist(), key=lambda o: rank[o])
        for i in range(len(members)):
            for j in range(i + 1, min(len(members), i + window + 1)):
                a, b = sorted((members[i], members[j]))
                expected.add((a, b))
    assert got == expected


def test_weak_listings_meet_every_member_of_a_small_block() -> None:
    keys = np.zeros(10, dtype=np.int64)
    owners = np.arange(10, dtype=np.int64)
    weak = np.zeros(10, dtype=bool)
    weak[0] = True
    pairs = {tuple(p) for p in candidate_pairs(keys, owners, owners, weak, window=2).tolist()}
    assert {(0, j) for j in range(1, 10)} <= pairs
    assert (3, 9) not in pairs  # strong listings only meet their window


def test_logistic_fit_recovers_the_sign_of_each_feature() -> None:
    rng = np.random.default_rng(0)
    x = np.zeros((4000, len(FEATURES)))
    x[:, FEATURES.index("idf_cosine")] = rng.random(4000)
    x[:, FEATURES.index("code_shared")] = rng.random(4000) < 0.3
    z = 6 * x[:, FEATURES.index("idf_cosine")] + 4 * x[:, FEATURES.index("code_shared")] - 4
    y = rng.random(4000) < 1 / (1 + np.exp(-z))
    coefficients, intercept = fit_logistic(x, y, ("idf_cosine", "code_shared"), l2=0.1)
    assert 4 < coefficients["idf_cosine"] < 8 and 2.5 < coefficients["code_shared"] < 5.5
    assert -5.5 < intercept < -2.5
    scorer = Scorer(coefficients, intercept, 0.5)
    assert scorer.score(x).shape == (4000,)


def test_titles_may_be_a_chunked_array() -> None:
    from sentinella.compare import match_listings

    titles = pa.chunked_array([["Kairo KR-7624A"], ["Kairo KR7624A 65W"]])
    m = match_listings(titles, pa.chunked_array([[None], [None]], pa.string()), np.array([1.0, np.nan]))
    assert together(m, 0, 1)
