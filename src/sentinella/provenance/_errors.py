"""Errors the provenance analysis raises with a message a user can act on."""

from __future__ import annotations


class ProvenanceError(RuntimeError):
    """Provenance cannot run; the message says what to do."""


class MissingTableError(ProvenanceError):
    """The store lacks a table provenance needs (``media``)."""


class CaseFolderError(ProvenanceError):
    """The case folder holding the image files is missing or is not a folder."""
