"""Prices far below the market: the median of many merchants, or the one other merchant's price."""

from __future__ import annotations

import pyarrow as pa

from sentinella.provenance import ProvenanceConfig
from sentinella.provenance._prices import price_findings_sql
from sentinella.store import Store

LISTINGS = [  # listing_id, merchant_id, title, price (CNY), brand
    # BX-1234: one other merchant; the copier's 300 against 1000 is far below
    ("L1", "S1", "Bexley bag BX-1234", 1000, "Bexley"),
    ("L2", "S2", "Bexley BX-1234 top quality", 300, "Bexley"),
    # CX-2222: one other merchant; second-hand says why it is cheap (look-alike)
    ("L3", "S1", "Bexley wallet CX-2222", 1250, "Bexley"),
    ("L4", "S3", "Bexley CX-2222 second-hand", 300, "Bexley"),
    # DX-3333: one other merchant; an honest price a little lower (look-alike)
    ("L5", "S1", "Bexley belt DX-3333", 1250, "Bexley"),
    ("L6", "S4", "Bexley DX-3333", 850, "Bexley"),
    # EX-4444: only one merchant: no reference at all
    ("L7", "S5", "Bexley scarf EX-4444", 100, "Bexley"),
    # FX-5555: three merchants, the median rule as before
    ("L8", "S1", "Bexley hat FX-5555", 400, "Bexley"),
    ("L9", "S3", "Bexley hat FX-5555", 420, "Bexley"),
    ("L10", "S4", "Bexley hat FX-5555", 100, "Bexley"),
]


def _found(config: ProvenanceConfig | None = None) -> dict[str, dict[str, object]]:
    with Store.open(":memory:") as store:
        columns = list(zip(*LISTINGS, strict=True))
        store.backend.write_table(
            "listings",
            pa.table(
                {
                    "listing_id": columns[0],
                    "merchant_id": columns[1],
                    "title": columns[2],
                    "price": pa.array(columns[3], pa.float64()),
                    "currency": ["CNY"] * len(LISTINGS),
                    "brand": columns[4],
                    "gtin": pa.nulls(len(LISTINGS), pa.string()),
                }
            ),
        )
        sql = price_findings_sql(store.backend, config or ProvenanceConfig())
        assert sql is not None
        return {str(r["listing_id"]): r for r in store.backend.query(sql).to_pylist()}


def test_one_other_merchant_is_a_reference_for_unexplained_titles() -> None:
    found = _found()
    assert set(found) == {"L2", "L10"}
    assert found["L2"]["reference"] == "one_merchant" and found["L2"]["market_cny"] == 1000
    assert found["L10"]["reference"] == "median" and found["L10"]["peers"] == 2


def test_without_the_one_merchant_reference_only_the_median_rule_holds() -> None:
    assert set(_found(ProvenanceConfig(price_min_peers=1))) == {"L2", "L10"}  # two merchants: median
    assert set(_found(ProvenanceConfig(price_min_peers=3))) == {"L2"}  # FX-5555 now has too few
