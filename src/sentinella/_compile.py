"""numba, when it is installed: one place that knows whether kernels are compiled.

numba is a pinned dependency, but every compiled loop in the package is also plain Python (or has
a numpy twin), so an environment without it gets the same answers, more slowly.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

numba: Any
try:
    import numba  # type: ignore[import-not-found, unused-ignore]
except ImportError:  # pragma: no cover - depends on the environment
    numba = None

HAVE_NUMBA = numba is not None


def compile_kernel(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Compile with an on-disk cache (only the first run in an environment pays for it), releasing
    the GIL so kernels can run on several threads; without numba, the function itself."""
    if numba is None:  # pragma: no cover - depends on the environment
        return fn
    return cast(Callable[..., Any], numba.njit(cache=True, nogil=True)(fn))
