"""Cases: a queue analysts work through, kept in the store with its audit trail.

Design: docs/capabilities.md, "Risk, rules and cases".

A case is about one subject (a member or a merchant), opened by hand or from risk scores above
a threshold; it has a status (open, investigating, actioned, dismissed), an assignee, notes,
evidence (rows of any store table, by key) and an audit trail (``audit_log``: who, when, what,
before and after) of every change. Nothing is ever deleted: cases are closed. Outcomes export
as labels for the supervised analyses (``export_labels``).

Tables: ``cases``, ``case_notes``, ``case_evidence`` and the shared ``audit_log``.
"""

from __future__ import annotations

from ._cases import (
    ACTIVE,
    CASE_TABLES,
    STATUSES,
    SUBJECT_KINDS,
    Case,
    add_note,
    attach_evidence,
    case_detail,
    ensure_tables,
    get_case,
    list_cases,
    open_case,
    open_from_risk,
    update_case,
)
from ._errors import CaseError, CaseNotFoundError
from ._labels import BY, export_labels

__all__ = [
    "ACTIVE",
    "BY",
    "CASE_TABLES",
    "STATUSES",
    "SUBJECT_KINDS",
    "Case",
    "CaseError",
    "CaseNotFoundError",
    "add_note",
    "attach_evidence",
    "case_detail",
    "ensure_tables",
    "export_labels",
    "get_case",
    "list_cases",
    "open_case",
    "open_from_risk",
    "update_case",
]
