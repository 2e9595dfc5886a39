"""Every forest test runs on both engines: they must give the same, hand-checked answers."""

from __future__ import annotations

import pytest

from sentinella.pyramid import _jit


@pytest.fixture(
    params=[
        "numpy",
        pytest.param("numba", marks=pytest.mark.skipif(not _jit.HAVE_NUMBA, reason="numba not installed")),
    ]
)
def kernel_engine(request: pytest.FixtureRequest) -> str:
    """The kernel engine under test."""
    value: str = request.param
    return value
