from __future__ import annotations

import re

import numpy as np
import pyarrow as pa
import pytest

from sentinella.synth._catalog import (
    CATEGORIES,
    LANGS,
    build_catalog,
    gtin13_check_digit,
    is_valid_gtin13,
)


@pytest.fixture(scope="module")
def catalog():  # type: ignore[no-untyped-def]
    return build_catalog(11, n_products=600)


def test_gtin_check_digit_matches_known_codes() -> None:
    assert gtin13_check_digit("400638133393") == 1  # 4006381333931, the classic EAN example
    assert gtin13_check_digit("590123412345") == 7  # 5901234123457
    assert is_valid_gtin13("4006381333931")
    assert not is_valid_gtin13("4006381333932")
    assert not is_valid_gtin13("400638133393")


def test_catalog_gtins_valid_and_unique(catalog) -> None:  # type: ignore[no-untyped-def]
    codes = catalog.gtin.tolist()
    assert all(is_valid_gtin13(code) for code in codes)
    assert len(set(codes)) == len(codes)
    assert len(set(catalog.model.tolist())) == len(catalog)


def test_catalog_covers_categories_with_bilingual_brands(catalog) -> None:  # type: ignore[no-untyped-def]
    assert set(catalog.category_idx.tolist()) == set(range(len(CATEGORIES)))
    for brand in catalog.brands:
        assert re.search("[A-Za-z]", brand.name)
        assert re.search("[\u4e00-\u9fff]", brand.name_zh)
    table = catalog.table()
    assert table.num_rows == len(catalog)
    assert (np.asarray(table["genuine_price"]) > 0).all()
    # Handbags and watches really are dearer than face masks.
    price = dict(zip(table["product_type"].to_pylist(), table["genuine_price"].to_pylist(), strict=False))
    assert price["automatic_watch"] > 10 * price["face_mask"]


def test_catalog_is_deterministic() -> None:
    a, b, c = build_catalog(3, 300), build_catalog(3, 300), build_catalog(4, 300)
    assert a.table().equals(b.table())
    assert not a.table().equals(c.table())


def _norm(text: str) -> str:
    return re.sub(r"[^0-9a-z\u4e00-\u9fff]", "", text.lower())


def test_titles_vary_but_keep_brand_and_model_tokens(catalog) -> None:  # type: ignore[no-untyped-def]
    rng = np.random.default_rng(5)
    n = 300
    for index in (0, 17, 123):
        product = catalog.product(index)
        titles = catalog.compose_titles(
            rng,
            np.full(n, index, dtype=np.int64),
            rng.integers(0, len(LANGS), n),
            pa.array([""] * n),
            pa.array([""] * n),
        ).to_pylist()
        # Different merchants rarely write the same title.
        assert len(set(titles)) > n * 0.5
        brand = product.brand
        brand_forms = {_norm(f) for f in (brand.name, brand.name_zh, brand.alt_zh, brand.short)}
        model = _norm(product.model)
        with_brand = sum(any(f in _norm(t) for f in brand_forms) for t in titles)
        with_model = sum(model in _norm(t) for t in titles)
        assert with_brand == n
        assert 0.75 * n < with_model < n  # sometimes the model number is left out
        assert all("  " not in t and t == t.strip() for t in titles)
        # All three languages appear.
        assert any(re.search("[\u4e00-\u9fff]", t) for t in titles)
