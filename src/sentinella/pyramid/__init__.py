"""Pyramid-selling forensics: recruitment forest, metrics, legal tests.

Design: docs/capabilities.md, "Pyramid forensics".

``run_pyramid`` reads the store, writes the ``pyramid_*`` result tables and returns a summary;
``render_report`` turns one network into an evidence report. The array kernels live in
:mod:`sentinella.pyramid.kernels`.
"""

from __future__ import annotations

from ._analysis import RESULT_TABLES, PyramidSummary, run_pyramid
from ._errors import PyramidError
from ._inputs import MissingRateError, MissingTableError
from ._offenders import OffenderError, RepeatOffender, parse_offender
from ._profiles import BUNDLED, Profile, ProfileError, load_profile
from ._report import ReportError, render_report

__all__ = [
    "BUNDLED",
    "RESULT_TABLES",
    "MissingRateError",
    "MissingTableError",
    "OffenderError",
    "Profile",
    "ProfileError",
    "PyramidError",
    "PyramidSummary",
    "RepeatOffender",
    "ReportError",
    "load_profile",
    "parse_offender",
    "render_report",
    "run_pyramid",
]
