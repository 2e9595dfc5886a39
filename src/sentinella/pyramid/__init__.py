"""Pyramid-selling forensics: recruitment forest, metrics, legal tests.

Design: docs/capabilities.md, "Pyramid forensics".

``run_pyramid`` reads the store, writes the ``pyramid_*`` result tables and returns a summary;
``render_report`` turns one network into an evidence report (made by ``sentinella.report``);
``list_networks`` (largest first, with the legal tests each met) and ``member_view`` (upline
path, downline by level, findings) read the results back for the terminal, the API and the
console. The array kernels live in :mod:`sentinella.pyramid.kernels`.
"""

from __future__ import annotations

from ._analysis import RESULT_TABLES, PyramidSummary, run_pyramid
from ._errors import PyramidError
from ._inputs import MissingRateError, MissingTableError
from ._lookup import (
    NETWORK_SORTS,
    DownlineLevel,
    MemberView,
    NetworkRow,
    PyramidLookupError,
    TestResult,
    UplineStep,
    list_networks,
    member_view,
)
from ._offenders import OffenderError, RepeatOffender, parse_offender
from ._profiles import BUNDLED, Profile, ProfileError, load_profile
from ._report import ReportError, render_report

__all__ = [
    "BUNDLED",
    "NETWORK_SORTS",
    "RESULT_TABLES",
    "DownlineLevel",
    "MemberView",
    "MissingRateError",
    "MissingTableError",
    "NetworkRow",
    "OffenderError",
    "Profile",
    "ProfileError",
    "PyramidError",
    "PyramidLookupError",
    "PyramidSummary",
    "RepeatOffender",
    "ReportError",
    "TestResult",
    "UplineStep",
    "list_networks",
    "load_profile",
    "member_view",
    "parse_offender",
    "render_report",
    "run_pyramid",
]
