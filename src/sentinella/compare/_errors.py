"""Errors the comparison raises with a message a user can act on."""

from __future__ import annotations


class CompareError(RuntimeError):
    """Products cannot be matched or compared; the message says what to do."""


class MissingTableError(CompareError):
    """The store lacks a table the comparison needs."""


class UnknownListingError(CompareError):
    """A listing asked for is not in the store (or not in the comparison results)."""


class EmbeddingsUnavailableError(CompareError):
    """Embeddings were asked for but the optional model is not installed."""
