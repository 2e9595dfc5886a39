"""The texts the legal tests apply, quoted from ``docs/legal.md`` for the reports.

The page is the one source; reports ship a copy (``legal_texts.json``, package data) because an
installed package has no ``docs/`` folder. ``extract`` builds that copy and a test checks the two
agree, so a quote in a report is always the page's words.
"""

from __future__ import annotations

import json
import re
from functools import cache
from importlib import resources
from typing import Any

_HEADING = re.compile(r"^### (?P<title>.+?)(?: — rule `(?P<rule>[a-z0-9-]+)`)?\s*$")
SOURCE = "docs/legal.md"


def extract(markdown: str) -> dict[str, dict[str, Any]]:
    """Per section of the page's third level: its heading, the text it quotes (blocks of
    quotation and prose, before **Measured:**) and what is measured. Keyed by rule id, or by
    the heading for a section without one (the art. 224-1 gate)."""
    sections: dict[str, dict[str, Any]] = {}
    current: dict[str, Any] | None = None
    paragraph: list[str] = []
    target = "text"

    def flush() -> None:
        if current is not None and paragraph:
            quote = all(line.startswith(">") for line in paragraph)
            lines = [line[1:].strip() if quote else line.strip() for line in paragraph]
            text = "\n".join(lines) if quote else " ".join(lines)
            current[target].append({"kind": "quote" if quote else "text", "text": text})
        paragraph.clear()

    for line in markdown.splitlines():
        if line.startswith("#"):
            flush()
            match = _HEADING.match(line)
            if match is None:
                current = None
                continue
            current = {
                "heading": match.group("title"),
                "rule_id": match.group("rule"),
                "text": [],
                "measured": [],
            }
            sections[match.group("rule") or match.group("title")] = current
            target = "text"
            continue
        if not line.strip():
            flush()
            continue
        if line.startswith("**Measured:**"):
            flush()
            target = "measured"
        paragraph.append(line)
    flush()
    return sections


@cache
def legal_texts() -> dict[str, dict[str, Any]]:
    """The shipped copy of the page's sections (see ``extract``)."""
    raw = resources.files("sentinella.report").joinpath("legal_texts.json").read_text(encoding="utf-8")
    texts: dict[str, dict[str, Any]] = json.loads(raw)
    return texts


def main() -> None:  # pragma: no cover - run by hand after docs/legal.md changes
    """Rewrite the shipped copy: ``python -m sentinella.report._legal_texts docs/legal.md``."""
    import sys
    from pathlib import Path

    source = Path(sys.argv[1] if len(sys.argv) > 1 else SOURCE)
    target = Path(__file__).with_name("legal_texts.json")
    text = json.dumps(extract(source.read_text(encoding="utf-8")), ensure_ascii=False, indent=1)
    target.write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":  # pragma: no cover
    main()
