"""Errors the credit analysis raises with a message a user can act on."""

from __future__ import annotations


class CreditError(RuntimeError):
    """Credit cannot be computed or read; the message says what to do."""


class MissingTableError(CreditError):
    """The store lacks a table credit needs."""
