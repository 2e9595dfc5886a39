"""Report tests build their stores with the pyramid tests' hand-checkable cases, and share one
small demo world (no photos) for the agreement, merchant and ring reports."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "pyramid"))

from sentinella.demo import DemoResult, run_demo


@pytest.fixture(scope="package")
def demo(tmp_path_factory: pytest.TempPathFactory) -> DemoResult:
    """``sentinella demo`` in process on 1,000 members: it plants one split person."""
    return run_demo(tmp_path_factory.mktemp("demo") / "out", members=1000, seed=5, media=False)
