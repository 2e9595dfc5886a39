"""The picture of a network as static inline SVG: one row per level (or range of levels), people
drawn one by one where a level is narrow and as one box with a count where it is wide, organizers
(members meeting the §1 numbers) marked, and the money each row paid in and took out beside it.

Static SVG, not a script: it opens offline, prints, and goes into a PDF unchanged.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from html import escape

from ._format import count, money

WIDTH = 860
ROW = 70
LABEL = 70
MONEY = 230
BOX_H = 34
MOST_DRAWN = 8
"""A level with more people than this is one box with its count."""


@dataclass
class Person:
    person: str
    accounts: int
    organizer: bool
    sponsor: str | None


@dataclass
class Row:
    first: int
    last: int
    people: int
    accounts: int
    organizers: int
    paid_in: object
    taken_out: object
    persons: list[Person] = field(default_factory=list)
    """Filled when the row is one level of at most ``MOST_DRAWN`` people."""


def _text(x: float, y: float, text: str, *, size: int = 12, anchor: str = "middle", weight: str = "") -> str:
    bold = f' font-weight="{weight}"' if weight else ""
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" text-anchor="{anchor}"{bold}>{escape(text)}</text>'
    )


def network_svg(rows: Sequence[Row], currency: str, title: str) -> str:
    """The picture; ``rows`` top level first."""
    height = 40 + ROW * len(rows) + 20
    middle_left, middle_right = LABEL, WIDTH - MONEY
    middle = middle_right - middle_left
    peak = max((r.people for r in rows), default=1) or 1
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" width="100%" '
        f'role="img" aria-label="{escape(title)}" font-family="DejaVu Sans, WenQuanYi Zen Hei, sans-serif">',
        "<title>" + escape(title) + "</title>",
        '<defs><marker id="up" viewBox="0 0 10 10" refX="5" refY="5" markerWidth="6" markerHeight="6" '
        'orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#b07d12"/></marker></defs>',
        _text(LABEL / 2, 22, "level", size=11, weight="bold"),
        _text(middle_left + middle / 2, 22, "people (red: meets the §1 numbers)", size=11, weight="bold"),
        _text(
            middle_right + MONEY / 2, 22, f"fees paid · rewards received ({currency})", size=11, weight="bold"
        ),
    ]
    centres: dict[str, tuple[float, float]] = {}
    for i, row in enumerate(rows):
        top = 36 + ROW * i
        label = f"{row.first}" if row.first == row.last else f"{row.first}–{row.last}"
        parts.append(_text(LABEL / 2, top + BOX_H / 2 + 4, label, size=13, weight="bold"))
        if row.persons:
            slot = middle / len(row.persons)
            box_w = min(slot - 8, 150)
            for j, person in enumerate(row.persons):
                cx = middle_left + slot * (j + 0.5)
                centres[person.person] = (cx, top)
                stroke = "#a40000" if person.organizer else "#4d4d4d"
                fill = "#fde3df" if person.organizer else "#eef2f7"
                parts.append(
                    f'<rect x="{cx - box_w / 2:.1f}" y="{top}" width="{box_w:.1f}" height="{BOX_H}" rx="4" '
                    f'fill="{fill}" stroke="{stroke}" stroke-width="{2 if person.organizer else 1}"/>'
                )
                name = person.person if len(person.person) <= 14 else "…" + person.person[-12:]
                parts.append(_text(cx, top + 14, name, size=10))
                if person.accounts > 1:
                    parts.append(_text(cx, top + 27, f"{person.accounts} accounts", size=9))
                if person.sponsor is not None and person.sponsor in centres:
                    px, ptop = centres[person.sponsor]
                    parts.insert(
                        4,
                        f'<line x1="{px:.1f}" y1="{ptop + BOX_H}" x2="{cx:.1f}" y2="{top}" '
                        'stroke="#9aa5b1" stroke-width="1"/>',
                    )
        else:
            width = max(120.0, middle * (row.people / peak) ** 0.5)
            x = middle_left + (middle - width) / 2
            stroke = "#a40000" if row.organizers else "#4d4d4d"
            parts.append(
                f'<rect x="{x:.1f}" y="{top}" width="{width:.1f}" height="{BOX_H}" rx="4" fill="#dfe8f3" '
                f'stroke="{stroke}" stroke-width="{2 if row.organizers else 1}"/>'
            )
            accounts = f" ({count(row.accounts)} accounts)" if row.accounts != row.people else ""
            parts.append(
                _text(middle_left + middle / 2, top + 15, f"{count(row.people)} people{accounts}", size=11)
            )
            if row.organizers:
                parts.append(
                    _text(
                        middle_left + middle / 2,
                        top + 28,
                        f"{count(row.organizers)} meet the §1 numbers",
                        size=10,
                    )
                )
            if i > 0:
                parts.insert(
                    4,
                    f'<line x1="{middle_left + middle / 2:.1f}" y1="{top - ROW + BOX_H}" '
                    f'x2="{middle_left + middle / 2:.1f}" y2="{top}" stroke="#9aa5b1" stroke-width="1.5"/>',
                )
        parts.append(
            _text(middle_right + 12, top + 14, "fees " + money(row.paid_in), size=10, anchor="start")
        )
        parts.append(
            _text(middle_right + 12, top + 28, "rewards " + money(row.taken_out), size=10, anchor="start")
        )
        if i > 0:  # money flows up: from this row to the one above
            x = WIDTH - 14
            parts.append(
                f'<line x1="{x}" y1="{top + 4}" x2="{x}" y2="{top - ROW + BOX_H - 2}" stroke="#b07d12" '
                'stroke-width="2" marker-end="url(#up)"/>'
            )
    parts.append("</svg>")
    return "\n".join(parts)
