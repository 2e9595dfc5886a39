"""Product matching at the size of docs/targets.md, beside a plain DuckDB exact-title grouping.

    python benchmarks/compare.py                      # 1M listings
    python benchmarks/compare.py --listings 100000    # a quick run

Listings are drawn with the synthetic world's own catalog and title composer
(sentinella.synth._catalog): products of nine categories, titles in Chinese, English or Italian
with brand, name, model-number, capacity and colour in random forms and order, marketing words
around them, a GTIN on half of them, prices around the genuine price in CNY. They are written to a
store, then in the same process:
  peer:        CREATE TABLE AS SELECT ... GROUP BY lower(trim(title)) (exact-title products)
  sentinella:  run_compare (tokenise, block, score, guarded clustering, product_clusters,
               product_prices, compare_merchants)
Both are scored against the planted products (pairwise precision / recall / F1). Wall and
process CPU seconds are printed: on a machine shared with other work the CPU time says what the
run itself cost.
Target (docs/targets.md): 1M listings matched <= 10 min.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from sentinella.compare import run_compare
from sentinella.store import Store
from sentinella.synth._catalog import LANGS, build_catalog
from sentinella.synth._goods_text import MARKETING_WORDS

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests" / "compare"))
from compare_helpers import pairwise_f1


def listings(n: int, products: int, seed: int) -> tuple[pa.Table, np.ndarray]:
    rng = np.random.default_rng(seed)
    catalog = build_catalog(seed, n_products=products)
    weights = catalog.popularity / catalog.popularity.sum()
    product = rng.choice(len(catalog), n, p=weights).astype(np.int64)
    lang = rng.integers(0, len(LANGS), n).astype(np.int64)
    words = [w for per_lang in MARKETING_WORDS for w in per_lang]
    pool = pa.array([*words, ""], pa.string())
    prefix = pool.take(pa.array(rng.integers(0, len(pool), n)))
    suffix = pool.take(pa.array(np.where(rng.random(n) < 0.6, len(pool) - 1, rng.integers(0, len(pool), n))))
    titles = catalog.compose_titles(rng, product, lang, prefix, suffix)
    gtin = pc.if_else(pa.array(rng.random(n) < 0.5), catalog.gtins(product), pa.scalar(None, pa.string()))
    price = np.round(catalog.price_cny[product] * np.exp(rng.normal(0, 0.08, n)), 2)
    ids = pc.binary_join_element_wise(
        "L", pc.utf8_lpad(pc.cast(pa.array(np.arange(n)), pa.string()), 9, "0"), ""
    )
    merchants = pc.binary_join_element_wise(
        "S", pc.utf8_lpad(pc.cast(pa.array(rng.integers(0, max(1, n // 20), n)), pa.string()), 7, "0"), ""
    )
    table = pa.table(
        {
            "listing_id": ids,
            "merchant_id": merchants,
            "title": titles,
            "price": pa.array(price).cast(pa.decimal128(18, 4)),
            "currency": pa.array(np.full(n, "CNY")),
            "gtin": gtin,
        }
    )
    return table, product


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--listings", type=int, default=1_000_000)
    parser.add_argument("--products", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    clock = time.perf_counter()
    table, truth = listings(args.listings, args.products, args.seed)
    print(
        f"{args.listings:,} listings of {args.products:,} products drawn "
        f"in {time.perf_counter() - clock:.1f} s"
    )
    with tempfile.TemporaryDirectory() as folder:
        store = Store.open(Path(folder) / "bench.duckdb")
        store.backend.register_arrow("bench_listings", table)
        store.connection.execute(
            "INSERT INTO listings (listing_id, merchant_id, title, price, currency, gtin) "
            "SELECT listing_id, merchant_id, title, price, currency, gtin FROM bench_listings"
        )
        store.backend.unregister("bench_listings")
        load = os.getloadavg()
        print(
            f"load average before: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} "
            "(2 cores, shared with other work)"
        )

        clock, cpu = time.perf_counter(), time.process_time()
        store.connection.execute(
            "CREATE TABLE peer_products AS SELECT listing_id, "
            "min(listing_id) OVER (PARTITION BY lower(trim(title))) AS product_id FROM listings"
        )
        peer_seconds, peer_cpu = time.perf_counter() - clock, time.process_time() - cpu

        clock, cpu = time.perf_counter(), time.process_time()
        summary = run_compare(store.backend)
        ours_seconds, ours_cpu = time.perf_counter() - clock, time.process_time() - cpu

        def score(table_name: str) -> tuple[float, float, float]:
            got = store.backend.query(f"SELECT product_id FROM {table_name} ORDER BY listing_id").column(0)
            codes = pc.dictionary_encode(got.combine_chunks()).indices.to_numpy().astype(np.int64)
            return pairwise_f1(codes, truth)

        load = os.getloadavg()
        print(f"load average after:  {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
        p, r, f = score("peer_products")
        print(
            f"peer  DuckDB exact-title grouping: {peer_seconds:8.1f} s (CPU {peer_cpu:7.1f} s)   "
            f"pairwise P {p:.3f} R {r:.3f} F1 {f:.3f}"
        )
        p, r, f = score("product_clusters")
        print(
            f"sentinella run_compare:            {ours_seconds:8.1f} s (CPU {ours_cpu:7.1f} s)   "
            f"pairwise P {p:.3f} R {r:.3f} F1 {f:.3f}"
        )
        print(f"  ratio sentinella / peer: {ours_seconds / peer_seconds:.1f}x; steps: {summary.timings}")
        print(
            f"  {summary.products:,} products, {summary.candidate_pairs:,} candidate pairs, "
            f"{summary.refused_merges:,} merges refused; target 1M listings <= 600 s"
        )
        store.close()


if __name__ == "__main__":
    main()
