"""Regression floors on the public product-matching benchmarks, when they sit beside the repo.

The data are never copied into the repository; without ``../shared/benchmarks/product-matching``
this test is skipped (the generated-world test in test_compare_world.py always runs).
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from support import REPO

DATA = REPO.parent / "shared" / "benchmarks" / "product-matching"
# Shipped defaults on each test split, a few points under what they reach (see benchmarks/matching.py).
FLOORS = {"Abt-Buy": 70.0, "Amazon-Google": 50.0, "Walmart-Amazon": 55.0}


@pytest.mark.slow
@pytest.mark.skipif(not DATA.exists(), reason="benchmark data not beside the repository")
@pytest.mark.parametrize("name", sorted(FLOORS))
def test_shipped_defaults_stay_above_their_floor(name: str) -> None:
    import numpy as np
    import pyarrow as pa

    from sentinella.compare import default_scorer
    from sentinella.compare._kernels import pair_features
    from sentinella.compare._match import gtin_codes
    from sentinella.compare._text import tokenise

    spec = importlib.util.spec_from_file_location("matching", REPO / "benchmarks" / "matching.py")
    assert spec is not None and spec.loader is not None
    matching = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(matching)
    ds = matching.Dataset(Path(DATA / name))
    tokens = tokenise(pa.array(ds.titles, pa.string()))
    gtin = gtin_codes(pa.array([None] * len(ds.titles), pa.string()))
    pairs, labels = ds.splits["test"]
    scorer = default_scorer()
    features = pair_features(pairs, tokens, gtin, np.array(ds.prices))
    _, _, f1 = matching.prf(scorer.score(features) >= scorer.threshold, labels)
    assert f1 >= FLOORS[name]
