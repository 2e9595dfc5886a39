"""Sentinella: a trust-and-safety engine for social commerce."""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__"]
