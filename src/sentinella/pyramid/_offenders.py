"""Prior sanctions for the 2013 Opinion §2(四) and §4(三): ``MEMBER:criminal[:DATE]`` or
``MEMBER:administrative:DATE``, given by the investigator and checked before any work starts."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from ._errors import PyramidError

KINDS = ("criminal", "administrative")


class OffenderError(PyramidError):
    """A ``--repeat-offender`` value that cannot be read."""


@dataclass(frozen=True)
class RepeatOffender:
    """A member sanctioned before for organizing or leading pyramid selling."""

    member_id: str
    kind: str
    """``criminal`` (a criminal penalty: no time limit) or ``administrative`` (within one year)."""
    date: dt.date | None
    """When the penalty was imposed; required for an administrative one."""

    @property
    def label(self) -> str:
        return f"{self.kind} penalty" + (f" of {self.date.isoformat()}" if self.date else "")


def parse_offender(text: str) -> RepeatOffender:
    """``M1:criminal``, ``M1:criminal:2023-01-05`` or ``M1:administrative:2024-05-01``.

    The member ID is everything before the last one or two colon-separated fields, so IDs that
    contain colons still work.
    """
    parts = text.rsplit(":", 2)
    date: dt.date | None = None
    if len(parts) == 3 and parts[2] and parts[1] in KINDS:
        member, kind, day = parts
        try:
            date = dt.date.fromisoformat(day)
        except ValueError as error:
            raise OffenderError(f"--repeat-offender {text!r}: {day!r} is not a date (YYYY-MM-DD)") from error
    else:
        member, _, kind = text.rpartition(":")
    if not member or kind not in KINDS:
        raise OffenderError(
            f"--repeat-offender {text!r}: write MEMBER:criminal, MEMBER:criminal:YYYY-MM-DD or "
            "MEMBER:administrative:YYYY-MM-DD"
        )
    if kind == "administrative" and date is None:
        raise OffenderError(
            f"--repeat-offender {text!r}: an administrative penalty counts only within one year (§2(四)), "
            "so give its date: MEMBER:administrative:YYYY-MM-DD"
        )
    return RepeatOffender(member, kind, date)
