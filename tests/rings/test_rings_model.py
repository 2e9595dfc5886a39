"""The supervised model is the caller's explicit choice, never what happens to be installed."""

from __future__ import annotations

import sys
import types
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from sentinella.cli import app
from sentinella.rings import ModelError, check_model
from sentinella.rings._score import supervised_score


class _StubBooster:
    """Stands in for LightGBM: predicts 0.123 for every order, so its use is visible."""

    def __init__(self, **_: object) -> None:
        pass

    def fit(self, x: np.ndarray, y: np.ndarray) -> None:
        pass

    def predict_proba(self, x: np.ndarray) -> np.ndarray:
        return np.column_stack([np.full(len(x), 0.877), np.full(len(x), 0.123)])


@pytest.fixture
def stub_lightgbm(monkeypatch: pytest.MonkeyPatch) -> None:
    module = types.ModuleType("lightgbm")
    module.LGBMClassifier = _StubBooster  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "lightgbm", module)


def _data() -> tuple[dict[str, np.ndarray], np.ndarray, np.ndarray]:
    rng = np.random.default_rng(3)
    n = 400
    fake = rng.random(n) < 0.3
    features = {"shared": np.where(fake, 0.9, 0.1) + rng.random(n) * 0.1, "young": rng.random(n)}
    label = np.where(rng.random(n) < 0.5, fake.astype(np.int8), -1).astype(np.int8)
    return features, np.arange(n) // 10, label


def test_logistic_is_the_default_even_when_lightgbm_is_importable(stub_lightgbm: None) -> None:
    features, hood, label = _data()
    score = supervised_score(features, hood, label)
    assert not np.allclose(score, 0.123)
    assert np.array_equal(score, supervised_score(features, hood, label, model="logistic"))
    fake = features["shared"] > 0.5
    assert score[fake].mean() > 0.8 > 0.2 > score[~fake].mean()  # it learnt the planted signal


def test_lightgbm_only_when_asked(stub_lightgbm: None) -> None:
    features, hood, label = _data()
    assert np.allclose(supervised_score(features, hood, label, model="lightgbm"), 0.123)


def test_a_missing_or_unknown_model_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "lightgbm", None)  # import lightgbm raises ImportError
    with pytest.raises(ModelError, match=r'pip install "sentinella\[lightgbm\]"'):
        check_model("lightgbm")
    features, hood, label = _data()
    with pytest.raises(ModelError):
        supervised_score(features, hood, label, model="lightgbm")
    with pytest.raises(ModelError, match="unknown model 'xgboost'"):
        check_model("xgboost")


def test_cli_checks_the_model_before_opening_the_store(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["rings", "--db", str(tmp_path / "none.duckdb"), "--model", "xgboost"])
    assert result.exit_code == 2
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "unknown model 'xgboost'" in lines[0]
