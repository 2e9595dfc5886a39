"""Errors the risk score raises with a message a user can act on."""

from __future__ import annotations


class RiskError(RuntimeError):
    """Risk cannot be computed or read; the message says what to do."""
