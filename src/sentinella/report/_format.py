"""How figures read in a report: money with its currency and two decimals, counts with
separators, long level lists grouped into ranges."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

_CENT = Decimal("0.01")
# amounts as the analyses write them into sentences: "22440.0000 CNY"
_AMOUNT_IN_TEXT = re.compile(r"(?<![\d.,])(-?\d+\.\d{1,4}) ([A-Z]{3})\b")


def money(value: object, currency: str = "") -> str:
    """``CNY 1,866,181.49``: rounded half up to cents, thousands separated; '—' for nothing."""
    if value is None or value == "":
        return "—"
    try:
        amount = Decimal(str(value)).quantize(_CENT, rounding=ROUND_HALF_UP)
    except InvalidOperation:
        return str(value)
    text = f"{amount:,.2f}"
    return f"{currency} {text}" if currency else text


def count(value: object) -> str:
    """``12,345``; '—' for nothing."""
    if value is None:
        return "—"
    try:
        return f"{int(str(value)):,}"
    except ValueError:
        return str(value)


def share(value: object) -> str:
    """A fraction as a percentage with one decimal."""
    if value is None:
        return "—"
    return f"{float(str(value)) * 100:.1f}%"


def amounts_in_text(text: object) -> str:
    """Sentences written by the analyses carry raw amounts ("22440.0000 CNY"); give them the
    report's money format ("CNY 22,440.00")."""
    if text is None:
        return ""
    return _AMOUNT_IN_TEXT.sub(lambda m: money(m.group(1), m.group(2)), str(text))


def figure(value: object, name: str, currency: str) -> str:
    """A finding's figure (from its JSON, decimals read as Decimal) named ``name``: a share as a
    percentage, a count with separators, money with its currency where the name says money."""
    if isinstance(value, bool) or value is None:
        return "yes" if value is True else "no" if value is False else "—"
    if isinstance(value, int | float | Decimal) and ("share" in name or "ratio" in name):
        return share(value)
    if isinstance(value, int):
        return count(value)
    if isinstance(value, float | Decimal):
        if any(word in name for word in _MONEY_WORDS):
            return money(value, currency)
        return f"{value:,.4f}".rstrip("0").rstrip(".")
    return str(value)


_MONEY_WORDS: tuple[str, ...] = ("fee", "pay", "paid", "income", "reward", "sales", "amount", "revenue")
_MONEY_WORDS += ("funds", "compensation", "purchases", "funded", "price")


def level_ranges(levels: Sequence[int], most: int) -> list[tuple[int, int]]:
    """Consecutive levels grouped so that there are at most ``most`` groups (first, last)."""
    if not levels:
        return []
    low, high = min(levels), max(levels)
    span = high - low + 1
    if span <= most:
        return [(level, level) for level in range(low, high + 1)]
    width = -(-span // most)
    return [(start, min(start + width - 1, high)) for start in range(low, high + 1, width)]


def group_levels(
    rows: Iterable[Mapping[str, Any]], ranges: Sequence[tuple[int, int]], sums: Sequence[str]
) -> list[dict[str, Any]]:
    """Level rows added up over each range; ``sums`` are the columns added."""
    out = [{"first": a, "last": b, **{name: 0 for name in sums}} for a, b in ranges]
    starts = [a for a, _ in ranges]
    for row in rows:
        level = int(row["level"])
        position = max(i for i, start in enumerate(starts) if start <= level)
        for name in sums:
            out[position][name] += row[name] or 0
    return out
