"""Errors the rules raise with a message a user can act on."""

from __future__ import annotations

from sentinella.errors import SentinellaError


class RuleError(SentinellaError, RuntimeError):
    """A rule file is wrong (the message names file, rule and field) or cannot run."""
