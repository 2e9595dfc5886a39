"""Small array helpers shared by the pyramid kernels."""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

from . import _jit

Engine = Literal["auto", "numba", "numpy"]
"""``numba``: linear-time compiled walks (needs numba); ``numpy``: pointer jumping, O(n log depth)
array passes with no compiler; ``auto``: numba when it is installed."""


def use_numba(engine: Engine) -> bool:
    """Resolve the engine once per call so a missing numba is a clear error, not a slowdown."""
    if engine == "numpy":
        return False
    if engine == "numba":
        if not _jit.HAVE_NUMBA:
            raise RuntimeError("engine='numba' needs numba installed (pip install numba)")
        return True
    if engine == "auto":
        return _jit.HAVE_NUMBA
    raise ValueError(f"unknown engine {engine!r}; use 'auto', 'numba' or 'numpy'")


IndexArray = NDArray[np.signedinteger[Any]]
"""Member codes: int32 below 2^31 members (half the memory), int64 beyond."""


def index_dtype(n: int) -> np.dtype[np.signedinteger[Any]]:
    """int32 halves the memory of every index array, which is what lets 100M members fit."""
    return np.dtype(np.int32) if n < 2**31 - 1 else np.dtype(np.int64)


def as_parent(parent: ArrayLike) -> IndexArray:
    """Check a sponsor array once, so the kernels can trust every code they gather with."""
    arr = np.asarray(parent)
    if arr.ndim != 1:
        raise ValueError(f"parent must be one-dimensional, got shape {arr.shape}")
    if arr.size and not np.issubdtype(arr.dtype, np.integer):
        raise TypeError(f"parent must hold integer member codes, got {arr.dtype}")
    n = arr.shape[0]
    dtype = index_dtype(n)
    if n:
        lo, hi = int(arr.min()), int(arr.max())
        if lo < -1 or hi >= n:
            raise ValueError(f"parent codes must lie in [-1, {n - 1}] (-1 = no sponsor); found {lo}..{hi}")
    out: IndexArray = arr.astype(dtype, copy=False)
    return out


def as_member_array(values: ArrayLike, n: int, name: str) -> NDArray[Any]:
    """Per-member inputs must line up with the sponsor array, or every figure is misattributed."""
    arr = np.asarray(values)
    if arr.ndim == 0 or arr.shape[0] != n:
        raise ValueError(f"{name} must have one entry per member ({n}), got shape {arr.shape}")
    return arr
