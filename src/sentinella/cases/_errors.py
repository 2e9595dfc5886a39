"""Errors the case queue raises with a message a user can act on."""

from __future__ import annotations

from sentinella.errors import SentinellaError


class CaseError(SentinellaError, RuntimeError):
    """A case cannot be opened, changed or read; the message names the field and what is wrong."""


class CaseNotFoundError(CaseError):
    """No case has that ID."""
