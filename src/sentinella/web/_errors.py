"""The console's errors: each carries the HTTP status its page or JSON twin answers with."""

from __future__ import annotations

from sentinella.errors import SentinellaError


class ConsoleError(SentinellaError):
    """A console page cannot be shown; the message says why in one line."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


class ConsoleAuthError(ConsoleError):
    """Not logged in, a stale form, or a role that may not see or do this."""
