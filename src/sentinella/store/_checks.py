"""Per-column parsing and checks, expressed as SQL over the raw values of a staged file.

Each check is three SQL expressions over the raw column: the typed value, a boolean that is
true when the value breaks the contract, and the sentence a person reads about it. The boolean
runs on every row; the sentence only on the few bad rows, which keeps validation close to the
cost of a bare read.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sentinella.contract import ISO_4217, Column, ColumnKind

MAX_ID_CHARS = 256
DEFAULT_MAX_TEXT_BYTES = 1 << 20
EARLIEST_YEAR = 1970
LATEST_YEAR = 2100
_SHOWN_CHARS = 60
_CURRENCY_HINTS = {"RMB": "CNY", "YUAN": "CNY", "EURO": "EUR", "US$": "USD", "NTD": "TWD"}


def sql_string(text: str) -> str:
    """A SQL string literal."""
    return "'" + text.replace("'", "''") + "'"


def quote_identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _in_list(values: Iterable[str]) -> str:
    return "(" + ", ".join(sql_string(v) for v in sorted(values)) + ")"


@dataclass(frozen=True)
class ColumnCheck:
    """SQL for one contract column; ``raw`` expressions refer to the staged column."""

    column: Column
    typed: str
    problem: str
    reason: str


@dataclass(frozen=True)
class CheckOptions:
    """Knobs of validation that depend on the file or the store, not on the contract."""

    decimal_comma: bool = False
    identity_salt: str | None = None
    max_text_bytes: int = DEFAULT_MAX_TEXT_BYTES


def _shown(raw_text: str) -> str:
    """The value as quoted in a message: cut short, so a 10 MB field makes a short sentence."""
    return (
        f"'''' || left({raw_text}, {_SHOWN_CHARS}) || "
        f"CASE WHEN length({raw_text}) > {_SHOWN_CHARS} THEN '…' ELSE '' END || ''''"
    )


def _case(*branches: tuple[str, str]) -> str:
    body = " ".join(f"WHEN {condition} THEN {message}" for condition, message in branches)
    return f"CASE {body} END"


def _any(*conditions: str) -> str:
    kept = [c for c in conditions if c and c != "FALSE"]
    if not kept:
        return "FALSE"
    return "(" + " OR ".join(f"coalesce({c}, FALSE)" for c in kept) + ")"


def column_check(
    column: Column,
    raw: str | None,
    *,
    source_is_text: bool = True,
    options: CheckOptions = CheckOptions(),
) -> ColumnCheck:
    """Build the check of ``column`` over the SQL expression ``raw`` (None: column absent)."""
    if raw is None:
        missing = "TRUE" if column.required else "FALSE"
        return ColumnCheck(
            column,
            typed=f"CAST(NULL AS {column.sql_type})",
            problem=missing,
            reason=sql_string("is required but the column is missing"),
        )
    text = raw if source_is_text else f"CAST({raw} AS VARCHAR)"
    trimmed = f"NULLIF(trim({text}), '')"
    builder = _BUILDERS[column.kind]
    return builder(column, raw, text, trimmed, source_is_text, options)


def _required(column: Column, value: str) -> tuple[str, str]:
    if not column.required:
        return ("FALSE", "NULL")
    return (f"{value} IS NULL", sql_string("is required but empty"))


def _build_id(
    column: Column, raw: str, text: str, trimmed: str, _is_text: bool, _options: CheckOptions
) -> ColumnCheck:
    value = trimmed
    required = _required(column, value)
    too_long = (f"length({value}) > {MAX_ID_CHARS}", f"'is longer than {MAX_ID_CHARS} characters'")
    nul = (f"contains({value}, chr(0))", sql_string("contains a NUL byte (binary data in an ID?)"))
    return ColumnCheck(
        column,
        typed=value,
        problem=_any(required[0], too_long[0], nul[0]),
        reason=_case(required, too_long, nul),
    )


def _build_text(
    column: Column, raw: str, text: str, trimmed: str, _is_text: bool, options: CheckOptions
) -> ColumnCheck:
    value = trimmed if column.identity else f"NULLIF({text}, '')"
    limit = options.max_text_bytes
    required = _required(column, value)
    too_big = (
        f"strlen({value}) > {limit}",
        f"'is ' || round(strlen({value}) / 1048576.0, 1) || ' MB, over the "
        f"{limit / 1048576:g} MB limit for a text field'",
    )
    nul = (f"contains({value}, chr(0))", sql_string("contains a NUL byte (binary data in text?)"))
    typed = value
    if column.identity and options.identity_salt is not None:
        typed = f"sha256({sql_string(options.identity_salt)} || {value})"
    return ColumnCheck(
        column,
        typed=typed,
        problem=_any(required[0], too_big[0], nul[0]),
        reason=_case(required, too_big, nul),
    )


def _build_timestamp(
    column: Column, raw: str, text: str, trimmed: str, is_text: bool, _options: CheckOptions
) -> ColumnCheck:
    typed = f"TRY_CAST({trimmed if is_text else raw} AS TIMESTAMPTZ)"
    required = _required(column, trimmed)
    unparsed = (
        f"{trimmed} IS NOT NULL AND {typed} IS NULL",
        f"{_shown(trimmed)} || ' is not a date/time (expected ISO 8601, e.g. 2024-05-01T09:30:00+08:00)'",
    )
    out_of_range = (
        f"{typed} < TIMESTAMPTZ '{EARLIEST_YEAR}-01-01 00:00:00+00' "
        f"OR {typed} >= TIMESTAMPTZ '{LATEST_YEAR}-01-01 00:00:00+00'",
        f"{_shown(trimmed)} || ' is outside the plausible range {EARLIEST_YEAR}–{LATEST_YEAR}'",
    )
    return ColumnCheck(
        column,
        typed=typed,
        problem=_any(required[0], unparsed[0], out_of_range[0]),
        reason=_case(required, unparsed, out_of_range),
    )


def _build_money(
    column: Column, raw: str, text: str, trimmed: str, is_text: bool, options: CheckOptions
) -> ColumnCheck:
    number = f"replace({trimmed}, ',', '.')" if is_text and options.decimal_comma else trimmed
    typed = f"TRY_CAST({number} AS {column.sql_type})" if is_text else f"TRY_CAST({raw} AS {column.sql_type})"
    required = _required(column, trimmed)
    unparsed = (
        f"{trimmed} IS NOT NULL AND {typed} IS NULL",
        f"{_shown(trimmed)} || ' is not an amount (a plain decimal number such as 129.90)'",
    )
    branches = [required, unparsed]
    if column.minimum is not None:
        branches.append(
            (
                f"{typed} < {column.minimum}",
                f"{_shown(trimmed)} || ' is negative'"
                if column.minimum == 0
                else f"{_shown(trimmed)} || ' is below {column.minimum}'",
            )
        )
    return ColumnCheck(
        column,
        typed=typed,
        problem=_any(*(b[0] for b in branches)),
        reason=_case(*branches),
    )


def _build_currency(
    column: Column, raw: str, text: str, trimmed: str, _is_text: bool, _options: CheckOptions
) -> ColumnCheck:
    typed = f"upper({trimmed})"
    required = _required(column, trimmed)
    hints = " ".join(
        f"WHEN {sql_string(wrong)} THEN ' (use {right})'" for wrong, right in _CURRENCY_HINTS.items()
    )
    unknown = (
        f"{typed} NOT IN {_in_list(ISO_4217)}",
        f"{_shown(trimmed)} || ' is not an ISO 4217 currency code' || CASE {typed} {hints} ELSE '' END",
    )
    return ColumnCheck(
        column,
        typed=typed,
        problem=_any(required[0], unknown[0]),
        reason=_case(required, unknown),
    )


def _build_enum(
    column: Column, raw: str, text: str, trimmed: str, _is_text: bool, _options: CheckOptions
) -> ColumnCheck:
    typed = f"lower({trimmed})"
    required = _required(column, trimmed)
    allowed = ", ".join(column.allowed)
    unknown = (
        f"{typed} NOT IN {_in_list(column.allowed)}",
        f"{_shown(trimmed)} || {sql_string(f' is not a known {column.name} (expected one of {allowed})')}",
    )
    return ColumnCheck(
        column,
        typed=typed,
        problem=_any(required[0], unknown[0]),
        reason=_case(required, unknown),
    )


def _build_integer(
    column: Column, raw: str, text: str, trimmed: str, is_text: bool, _options: CheckOptions
) -> ColumnCheck:
    # Through DECIMAL so '4.0' is 4 but '4.5' is refused rather than rounded.
    as_number = f"TRY_CAST({trimmed} AS DECIMAL(38,6))" if is_text else f"TRY_CAST({raw} AS DECIMAL(38,6))"
    whole = f"({as_number} = round({as_number}) AND abs({as_number}) < 2147483648)"
    typed = f"CASE WHEN {whole} THEN CAST({as_number} AS INTEGER) END"
    required = _required(column, trimmed)
    unparsed = (
        f"{trimmed} IS NOT NULL AND NOT coalesce({whole}, FALSE)",
        f"{_shown(trimmed)} || ' is not a whole number'",
    )
    branches = [required, unparsed]
    low, high = column.minimum, column.maximum
    if low is not None and high is not None:
        branches.append(
            (
                f"{typed} < {low} OR {typed} > {high}",
                f"{_shown(trimmed)} || ' is outside {low}–{high}'",
            )
        )
    elif low is not None:
        branches.append((f"{typed} < {low}", f"{_shown(trimmed)} || ' is below {low}'"))
    return ColumnCheck(
        column,
        typed=typed,
        problem=_any(*(b[0] for b in branches)),
        reason=_case(*branches),
    )


_BUILDERS = {
    ColumnKind.ID: _build_id,
    ColumnKind.TEXT: _build_text,
    ColumnKind.TIMESTAMP: _build_timestamp,
    ColumnKind.MONEY: _build_money,
    ColumnKind.CURRENCY: _build_currency,
    ColumnKind.ENUM: _build_enum,
    ColumnKind.INTEGER: _build_integer,
}
