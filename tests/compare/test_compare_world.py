"""End to end on a generated world: planted same-product listings found across languages."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow.compute as pc
import pytest
from compare_helpers import pairwise_f1

from sentinella.compare import RESULT_TABLES, compare_listing, run_compare
from sentinella.credit import run_credit
from sentinella.demo._scoring_compare import score_compare
from sentinella.store import Store, ingest_case
from sentinella.synth import generate_world


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> tuple[Store, Path]:
    case = tmp_path_factory.mktemp("compare") / "world"
    generate_world(case, members=6000, seed=7, media=False)
    store = Store.open(":memory:")
    ingest_case(store, case)
    run_credit(store.backend)
    return store, case


@pytest.mark.slow
def test_planted_products_are_clustered_across_languages(world: tuple[Store, Path]) -> None:
    store, case = world
    summary = run_compare(store.backend)
    assert summary.listings == store.row_count("listings") == store.row_count("product_clusters")
    truth = case / "truth" / "listing_products.parquet"
    joined = store.backend.query(
        f"SELECT c.product_id, t.product_id, t.lang FROM product_clusters c "
        f"JOIN read_parquet('{truth}') t USING (listing_id) ORDER BY listing_id"
    )
    found = pc.dictionary_encode(joined.column(0).combine_chunks()).indices.to_numpy().astype(np.int64)
    planted = pc.dictionary_encode(joined.column(1).combine_chunks()).indices.to_numpy().astype(np.int64)
    precision, recall, f1 = pairwise_f1(found, planted)
    assert f1 >= 0.9, (precision, recall, f1)
    # across languages: pairs of one planted product written in different languages
    lang = joined.column(2).to_numpy(zero_copy_only=False)
    same = planted[:, None] == planted[None, :]
    cross = same & (lang[:, None] != lang[None, :])
    assert cross.sum() > 100
    assert (found[:, None] == found[None, :])[cross].mean() >= 0.9
    # and the demo's row says the same
    (row,) = score_compare(store.backend, case / "truth")
    assert row.planted == int(np.triu(same, 1).sum()) and row.found / row.planted >= 0.9


@pytest.mark.slow
def test_market_prices_and_a_listing_comparison(world: tuple[Store, Path]) -> None:
    store, case = world
    run_compare(store.backend)
    for name in RESULT_TABLES:
        assert store.backend.has_rows(name)
    # The market price of a planted product is close to its genuine price despite counterfeits.
    truth = case / "truth" / "listing_products.parquet"
    ratio = store.connection.execute(
        f"""SELECT median(p.median_price / t.genuine_price) FROM product_prices p
            JOIN product_clusters c USING (product_id) JOIN read_parquet('{truth}') t USING (listing_id)
            WHERE p.merchants >= 5"""
    ).fetchone()
    assert ratio is not None and 0.9 < float(ratio[0]) < 1.1
    listing = store.connection.execute(
        "SELECT listing_id FROM product_clusters JOIN product_prices USING (product_id) "
        "WHERE merchants >= 5 ORDER BY listing_id LIMIT 1"
    ).fetchone()
    assert listing is not None
    result = compare_listing(store.backend, str(listing[0]))
    assert sum(row["this_listing"] for row in result.offers) <= 1 and len(result.offers) >= 5
    values = [(row["below_market"], row["value_cny"]) for row in result.offers]
    assert values == sorted(values)  # below-market offers last, then by value
    for row in result.offers:
        assert row["value_cny"] == pytest.approx(row["price_cny"] / row["success_chance"], rel=1e-2)
    assert all(alt["product_id"] != result.product_id for alt in result.alternatives)
    assert "chance the order ends well" in result.explanation
