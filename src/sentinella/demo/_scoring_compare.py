"""Comparison found versus planted: same-product listings clustered (pairwise, across languages).

A pair of listings is *planted* when the world listed one product twice (any merchants, any
languages), *found* when ``product_clusters`` puts both in one product, *wrong* when it puts two
different planted products together. Counted with one GROUP BY per side, not pair by pair.
"""

from __future__ import annotations

from pathlib import Path

from sentinella.engine import Backend

from ._scoring import Score, _one, _truth


def score_compare(backend: Backend, truth: Path) -> list[Score]:
    if not backend.table_exists("product_clusters") or not (truth / "listing_products.parquet").exists():
        return []
    listings = _truth(truth, "listing_products")
    pairs = "sum(n * (n - 1) / 2)"
    planted, found, together = _one(
        backend,
        f"""WITH j AS (SELECT c.product_id AS found, t.product_id AS planted
                       FROM product_clusters c JOIN {listings} t ON t.listing_id = c.listing_id)
            SELECT (SELECT {pairs} FROM (SELECT count(*) AS n FROM j GROUP BY planted)),
                   (SELECT {pairs} FROM (SELECT count(*) AS n FROM j GROUP BY planted, found)),
                   (SELECT {pairs} FROM (SELECT count(*) AS n FROM j GROUP BY found))""",
    )
    planted, found, together = int(planted or 0), int(found or 0), int(together or 0)
    return [
        Score(
            "compare",
            "same-product listing pairs clustered (any language)",
            planted,
            found,
            together - found,
            "wrong = pairs of different planted products put in one product",
        )
    ]
