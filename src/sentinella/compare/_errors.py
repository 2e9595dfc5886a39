"""Errors the comparison raises with a message a user can act on."""

from __future__ import annotations

from sentinella.errors import MissingTableError as MissingTableError  # re-exported: the one class
from sentinella.errors import SentinellaError


class CompareError(SentinellaError, RuntimeError):
    """Products cannot be matched or compared; the message says what to do."""


class UnknownListingError(CompareError):
    """A listing asked for is not in the store (or not in the comparison results)."""


class EmbeddingsUnavailableError(CompareError):
    """Embeddings were asked for but the optional model is not installed."""
