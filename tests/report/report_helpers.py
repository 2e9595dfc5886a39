"""What the report tests read out of a rendered page."""

from __future__ import annotations

import re
from html.parser import HTMLParser

EXTERNAL = re.compile(r"""(?:src|href|action|xlink:href)\s*=\s*["']?\s*(?:[a-z][a-z0-9+.-]*:)?//""", re.I)
CSS_URL = re.compile(r"url\(\s*['\"]?\s*(?:[a-z][a-z0-9+.-]*:)?//", re.I)


def figures(html: str) -> dict[str, int]:
    """The numbers a page marks with ``data-figure="name"``, as a reader sees them."""
    found = re.findall(r'data-figure="([a-z_]+)">([\d,]+)<', html)
    return {name: int(value.replace(",", "")) for name, value in found}


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self._skip += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style"):
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def visible_text(html: str) -> str:
    """The page's text without its markup, scripts and styles."""
    parser = _Text()
    parser.feed(html)
    return " ".join(parser.parts)


def table_rows(html: str, table_id: str) -> int:
    """Body rows of the table with this id."""
    match = re.search(rf'<table id="{table_id}">(.*?)</table>', html, re.S)
    assert match, table_id
    return len(re.findall(r"<tr[ >]", match.group(1))) - 1  # less the header row
