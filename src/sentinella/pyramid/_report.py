"""The evidence report of one network, for callers of ``sentinella.pyramid``.

The report itself is made by ``sentinella.report`` (picture, who recruited whom, money per
level, the legal tests with their texts); this keeps the pyramid API and its error family.
"""

from __future__ import annotations

from sentinella.engine import Backend

from ._errors import PyramidError


class ReportError(PyramidError):
    """The report cannot be made (no results yet, unknown network)."""


def render_report(backend: Backend, network_id: str, *, store_path: str = "") -> str:
    """HTML for one network; raises ReportError when the analysis has not run or the ID is unknown."""
    from sentinella import report

    try:
        return report.pyramid_report(backend, network_id, store_path=store_path).html
    except report.ReportError as error:
        raise ReportError(str(error)) from error
