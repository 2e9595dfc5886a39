"""Evidence reports: HTML that opens offline and prints to PDF.

``pyramid_report``, ``merchant_report`` and ``ring_report`` read the store's result tables and
return a ``Report`` (self-contained HTML plus the CSV files it links to); ``write_report``
writes it as HTML or, through WeasyPrint, PDF; ``render`` gives the HTML alone as a string, for
pages that embed it.
"""

from __future__ import annotations

from ._core import Attachment, Report, ReportError
from ._merchant import merchant_report
from ._output import html_to_pdf, render, write_report
from ._pyramid import pyramid_report
from ._ring import ring_report

__all__ = [
    "Attachment",
    "Report",
    "ReportError",
    "html_to_pdf",
    "merchant_report",
    "pyramid_report",
    "render",
    "ring_report",
    "write_report",
]
