"""Writing a report: HTML as it is, PDF through WeasyPrint, the CSV files beside either."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sentinella.engine import Backend

from ._core import Report, ReportError

KINDS = ("merchant", "pyramid", "ring")


def html_to_pdf(html: str) -> bytes:
    """The report as PDF. WeasyPrint needs Pango (Debian: libpango-1.0-0, libpangoft2-1.0-0,
    libharfbuzz-subset0); Chinese text needs a CJK font such as fonts-wqy-zenhei."""
    try:
        from weasyprint import HTML
    except (ImportError, OSError) as error:  # OSError: the Pango libraries are missing
        raise ReportError(
            f"PDF needs WeasyPrint and its libraries ({error}); install sentinella[report] and, on Debian, "
            "libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-wqy-zenhei, or write .html"
        ) from error
    pdf: bytes = HTML(string=html).write_pdf()
    return pdf


def write_report(report: Report, out: Path) -> list[Path]:
    """Write ``out`` (.html or .pdf) and the report's CSV files beside it; returns the paths."""
    suffix = out.suffix.lower()
    if suffix not in (".html", ".htm", ".pdf"):
        raise ReportError(f"--out {out}: give a file ending in .html or .pdf")
    if out.is_dir():
        raise ReportError(f"--out {out}: is a folder; give a file name ending in .html or .pdf")
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        if suffix == ".pdf":
            out.write_bytes(html_to_pdf(report.html))
        else:
            out.write_text(report.html, encoding="utf-8")
        written = [out]
        for attachment in report.attachments:
            path = out.parent / attachment.name
            attachment.write(path)
            written.append(path)
    except OSError as error:
        raise ReportError(f"cannot write {error.filename or out}: {error.strerror}") from error
    return written


def render(backend: Backend, kind: str, subject: str, **options: Any) -> str:
    """One report's HTML as a string (``kind``: merchant, pyramid or ring)."""
    return build(backend, kind, subject, **options).html


def build(backend: Backend, kind: str, subject: str, **options: Any) -> Report:
    if kind == "pyramid":
        from ._pyramid import pyramid_report

        return pyramid_report(backend, subject, **options)
    if kind == "merchant":
        from ._merchant import merchant_report

        return merchant_report(backend, subject, **options)
    if kind == "ring":
        from ._ring import ring_report

        return ring_report(backend, subject, **options)
    raise ReportError(f"no report kind {kind!r}: use one of {', '.join(KINDS)}")
