"""Every package's ``__all__`` is its whole public surface: each name exists, the list is sorted,
and nothing public is exposed outside it (httpx's habit)."""

from __future__ import annotations

import importlib
import pkgutil
import types

import pytest

import sentinella

PACKAGES = sorted(
    name
    for _, name, is_package in pkgutil.walk_packages(sentinella.__path__, "sentinella.")
    if is_package and not any(part.startswith("_") for part in name.split("."))
)


def _isort_key(name: str) -> tuple[int, str]:
    """The order ruff's RUF022 keeps: CONSTANTS, then Classes, then functions, each A-Z."""
    kind = 0 if name.isupper() else 1 if name[:1].isupper() else 2
    return kind, name


@pytest.mark.parametrize("name", PACKAGES)
def test_all_is_the_whole_public_surface(name: str) -> None:
    module = importlib.import_module(name)
    exported = getattr(module, "__all__", None)
    assert exported is not None, f"{name} has no __all__"
    assert list(exported) == sorted(exported, key=_isort_key), f"{name}.__all__ is not sorted"
    assert len(set(exported)) == len(exported), f"{name}.__all__ repeats a name"
    missing = [n for n in exported if not hasattr(module, n)]
    assert not missing, f"{name}.__all__ names what it does not define: {missing}"
    public = {
        n
        for n, value in vars(module).items()
        if not n.startswith("_")
        and not isinstance(value, types.ModuleType)  # subpackages and modules imported as such
        and n != "annotations"  # from __future__ import annotations
    }
    extra = sorted(public - set(exported))
    assert not extra, f"{name} exposes names outside __all__: {extra}"


def test_every_package_is_checked() -> None:
    assert {"sentinella.store", "sentinella.synth", "sentinella.pyramid", "sentinella.engine"} <= set(
        PACKAGES
    )
