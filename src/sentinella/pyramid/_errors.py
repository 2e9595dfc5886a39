"""Errors pyramid forensics reports to the user (one line each)."""

from __future__ import annotations

from sentinella.errors import SentinellaError


class PyramidError(SentinellaError, ValueError):
    """Something the user can fix: a missing table, a bad profile, an unknown network."""
