"""Errors the credit analysis raises with a message a user can act on."""

from __future__ import annotations

from sentinella.errors import MissingTableError, SentinellaError


class CreditError(SentinellaError, RuntimeError):
    """Credit cannot be computed or read; the message says what to do."""


__all__ = ["CreditError", "MissingTableError"]
