"""One family of errors for the whole package, so a caller can catch them all at once.

Every error a user can act on (a missing table, a bad option, an unreadable file, a store that
does not exist) is a :class:`SentinellaError` whose message is one line saying what is wrong
and, where it helps, what to do. The command line prints that line and exits with status 2;
anything else that escapes is a bug and is reported as one.

Each capability keeps its own subclass (``PyramidError``, ``CreditError``, ``StoreError``,
``EngineError``, ...) where it is defined; some also derive from ``ValueError``,
``RuntimeError`` or ``LookupError`` because callers caught those before the family existed.
"""

from __future__ import annotations


class SentinellaError(Exception):
    """Something the user can fix; the message is one line that says what."""


class ConfigError(SentinellaError, ValueError):
    """An option or a configuration file (rates, settings, profiles) is not valid.

    Raised before any work starts; the message names the option or the file and key.
    """


class MissingTableError(SentinellaError, LookupError):
    """The store lacks a table an analysis needs; the message says which and how to get it."""


__all__ = ["ConfigError", "MissingTableError", "SentinellaError"]
