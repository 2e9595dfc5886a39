"""Errors the risk score raises with a message a user can act on."""

from __future__ import annotations

from sentinella.errors import SentinellaError


class RiskError(SentinellaError, RuntimeError):
    """Risk cannot be computed or read; the message says what to do."""
