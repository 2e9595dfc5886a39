"""Errors the provenance analysis raises with a message a user can act on."""

from __future__ import annotations

from sentinella.errors import MissingTableError as MissingTableError  # re-exported: the one class
from sentinella.errors import SentinellaError


class ProvenanceError(SentinellaError, RuntimeError):
    """Provenance cannot run; the message says what to do."""


class CaseFolderError(ProvenanceError):
    """The case folder holding the image files is missing or is not a folder."""
