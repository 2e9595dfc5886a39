"""The pair scorer: a logistic regression over :data:`FEATURES`, shipped as JSON coefficients.

``weights.json`` (package data) holds two sets, with and without the embedding feature, and the
threshold each was chosen with. They were fitted once by :func:`fit_logistic` on pairs from
generated worlds and the train splits of three public product-matching benchmarks
(``benchmarks/matching.py --fit-defaults``; only the coefficients are shipped), so
``sentinella compare`` needs no labelled pairs and no training step. GTINs override the score:
equal GTINs are the same product (1.0), different GTINs are not (0.0).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np
import numpy.typing as npt

from ._kernels import FEATURES

TEXT_FEATURES = tuple(f for f in FEATURES if not f.startswith("gtin"))


@dataclass(frozen=True)
class Scorer:
    """Coefficients per feature name, an intercept and the match threshold."""

    coefficients: dict[str, float]
    intercept: float
    threshold: float
    source: str = ""

    def vector(self) -> npt.NDArray[np.float64]:
        return np.array([self.coefficients.get(name, 0.0) for name in FEATURES], dtype=np.float64)

    def score(self, features: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        """Match probability per pair; GTINs decide when both listings carry one."""
        z = features @ self.vector() + self.intercept
        p = 1.0 / (1.0 + np.exp(-np.clip(z, -40.0, 40.0)))
        gtin_same = features[:, FEATURES.index("gtin_same")] > 0
        gtin_conflict = features[:, FEATURES.index("gtin_conflict")] > 0
        return np.where(gtin_same, 1.0, np.where(gtin_conflict, 0.0, p))

    def to_json(self) -> dict[str, object]:
        return {
            "coefficients": self.coefficients,
            "intercept": self.intercept,
            "threshold": self.threshold,
            "source": self.source,
        }


def default_scorer(*, embeddings: bool = False) -> Scorer:
    """The shipped scorer (``with_embeddings`` when the embedding model is in use)."""
    text = resources.files("sentinella.compare").joinpath("weights.json").read_text(encoding="utf-8")
    data = json.loads(text)["with_embeddings" if embeddings else "text_only"]
    return Scorer(
        coefficients={str(k): float(v) for k, v in data["coefficients"].items()},
        intercept=float(data["intercept"]),
        threshold=float(data["threshold"]),
        source=str(data.get("source", "")),
    )


def fit_logistic(
    features: npt.NDArray[np.float64],
    labels: npt.NDArray[np.bool_],
    names: tuple[str, ...] = TEXT_FEATURES,
    *,
    l2: float = 1.0,
    iterations: int = 50,
    weights: npt.NDArray[np.float64] | None = None,
) -> tuple[dict[str, float], float]:
    """L2-regularised logistic regression by Newton's method (IRLS) on the named columns.

    Small and exact: a dozen features, tens of thousands of pairs, no dependency beyond numpy.
    """
    columns = [FEATURES.index(name) for name in names]
    x = np.column_stack([features[:, columns], np.ones(len(features))])
    y = labels.astype(np.float64)
    sample = np.ones(len(y)) if weights is None else np.asarray(weights, dtype=np.float64)
    w = np.zeros(x.shape[1])
    penalty = np.full(x.shape[1], l2)
    penalty[-1] = 0.0
    for _ in range(iterations):
        z = np.clip(x @ w, -40.0, 40.0)
        p = 1.0 / (1.0 + np.exp(-z))
        gradient = x.T @ (sample * (p - y)) + penalty * w
        hessian = (x * (sample * p * (1.0 - p))[:, None]).T @ x + np.diag(penalty + 1e-9)
        step = np.linalg.solve(hessian, gradient)
        w -= step
        if float(np.abs(step).max()) < 1e-8:
            break
    return {name: round(float(v), 6) for name, v in zip(names, w[:-1], strict=True)}, round(float(w[-1]), 6)


def best_threshold(scores: npt.NDArray[np.float64], labels: npt.NDArray[np.bool_]) -> float:
    """The threshold with the highest F1 on (validation) pairs."""
    best_f1, best_t = -1.0, 0.5
    for t in np.unique(np.round(scores, 4)):
        predicted = scores >= t
        tp = float(np.sum(predicted & labels))
        f1 = 2 * tp / (float(predicted.sum()) + float(labels.sum())) if labels.any() else 0.0
        if f1 > best_f1:
            best_f1, best_t = f1, float(t)
    return best_t


def write_weights(path: Path, text_only: Scorer, with_embeddings: Scorer) -> None:
    path.write_text(
        json.dumps({"text_only": text_only.to_json(), "with_embeddings": with_embeddings.to_json()}, indent=2)
        + "\n",
        encoding="utf-8",
    )
