"""Per-column parsing and checks, expressed as SQL over the raw values of a staged file.

Each column gets a typed expression (the value to store), a *shown* expression (the trimmed
text a message quotes, NULL when empty), and rules: conditions with the sentence a person reads.
Conditions refer to the typed and shown values by name, so a projection computes each parse
once; the sentences are only evaluated for the few bad rows. That keeps validation close to the
cost of a bare read.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

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
class CheckOptions:
    """Knobs of validation that depend on the file or the store, not on the contract.

    ``observed`` holds, per enumerated column, the distinct normalised values a file contains:
    with it, the per-row test becomes "is one of the few bad values" instead of a membership
    test against the whole allowed list, which is what costs time on millions of rows.
    """

    decimal_comma: bool = False
    identity_salt: str | None = None
    max_text_bytes: int = DEFAULT_MAX_TEXT_BYTES
    observed: Mapping[str, frozenset[str]] = field(default_factory=dict)


@dataclass(frozen=True)
class ColumnCheck:
    """SQL for one contract column.

    ``typed`` and ``shown`` are expressions over the raw column. ``problem`` and ``reason`` are
    expressions over the typed and shown values: inline copies of them by default, or the
    names given to :func:`column_check` when a projection has already computed them.
    """

    column: Column
    typed: str
    shown: str
    problem: str
    reason: str


Branch = tuple[str, str]  # (condition, message)
_TYPED_KINDS = frozenset({ColumnKind.TIMESTAMP, ColumnKind.MONEY, ColumnKind.INTEGER})
RuleBuilder = Callable[[str, str], list[Branch]]


def _shown(value: str) -> str:
    """The value as quoted in a message: cut short, so a 10 MB field makes a short sentence."""
    text = f"CAST({value} AS VARCHAR)"
    return (
        f"'''' || left({text}, {_SHOWN_CHARS}) || "
        f"CASE WHEN length({text}) > {_SHOWN_CHARS} THEN '…' ELSE '' END || ''''"
    )


def _case(branches: list[Branch]) -> str:
    if not branches:
        return "NULL"
    body = " ".join(f"WHEN {condition} THEN {message}" for condition, message in branches)
    return f"CASE {body} END"


def _any(branches: list[Branch]) -> str:
    if not branches:
        return "FALSE"
    return "(" + " OR ".join(f"coalesce({condition}, FALSE)" for condition, _ in branches) + ")"


def column_check(
    column: Column,
    raw: str | None,
    *,
    source_is_text: bool = True,
    options: CheckOptions | None = None,
    refs: tuple[str, str] | None = None,
) -> ColumnCheck:
    """The check of ``column`` over the SQL expression ``raw`` (None: the column is absent).

    ``refs`` names the typed and shown values in an enclosing projection.
    """
    options = options or CheckOptions()
    if raw is None:
        branches = [("TRUE", sql_string("is required but the column is missing"))] if column.required else []
        return ColumnCheck(
            column,
            typed=f"CAST(NULL AS {column.sql_type})",
            shown="CAST(NULL AS VARCHAR)",
            problem=_any(branches),
            reason=_case(branches),
        )
    text = raw if source_is_text else f"CAST({raw} AS VARCHAR)"
    # A typed Parquet column needs no text form per row; messages cast the few bad values.
    typed_source = not source_is_text and column.kind in _TYPED_KINDS
    shown = raw if typed_source else f"NULLIF(trim({text}), '')"
    typed, rules = _BUILDERS[column.kind](column, raw, text, shown, source_is_text, options)
    v, t = refs if refs is not None else (f"({typed})", f"({shown})")
    branches = rules(v, t)
    if column.required:
        branches.insert(0, (f"{t} IS NULL", sql_string("is required but empty")))
    return ColumnCheck(column, typed=typed, shown=shown, problem=_any(branches), reason=_case(branches))


def _build_id(
    column: Column, raw: str, text: str, shown: str, _is_text: bool, _options: CheckOptions
) -> tuple[str, RuleBuilder]:
    def rules(v: str, t: str) -> list[Branch]:
        return [
            # strlen (bytes) costs nothing; length (characters) only runs on the rare long values.
            (
                f"strlen({v}) > {MAX_ID_CHARS} AND length({v}) > {MAX_ID_CHARS}",
                f"'is longer than {MAX_ID_CHARS} characters'",
            ),
            (f"contains({v}, chr(0))", sql_string("contains a NUL byte (binary data in an ID?)")),
        ]

    return shown, rules


def _build_text(
    column: Column, raw: str, text: str, shown: str, _is_text: bool, options: CheckOptions
) -> tuple[str, RuleBuilder]:
    # Identity values are compared across accounts, so stray spaces must not split a person.
    value = shown if column.identity else f"NULLIF({text}, '')"
    typed = value
    if column.identity and options.identity_salt is not None:
        typed = f"sha256({sql_string(options.identity_salt)} || {value})"
    limit = options.max_text_bytes

    def rules(v: str, t: str) -> list[Branch]:
        # Checked on the text as given (t), since v may already be a hash.
        return [
            (
                f"strlen({t}) > {limit}",
                f"'is ' || round(strlen({t}) / 1048576.0, 1) || ' MB, over the "
                f"{limit / 1048576:g} MB limit for a text field'",
            ),
            (f"contains({t}, chr(0))", sql_string("contains a NUL byte (binary data in text?)")),
        ]

    return typed, rules


def _build_timestamp(
    column: Column, raw: str, text: str, shown: str, is_text: bool, _options: CheckOptions
) -> tuple[str, RuleBuilder]:
    typed = f"TRY_CAST({shown if is_text else raw} AS TIMESTAMPTZ)"

    def rules(v: str, t: str) -> list[Branch]:
        return [
            (
                f"{t} IS NOT NULL AND {v} IS NULL",
                f"{_shown(t)} || ' is not a date/time (expected ISO 8601, e.g. 2024-05-01T09:30:00+08:00)'",
            ),
            (
                f"{v} < TIMESTAMPTZ '{EARLIEST_YEAR}-01-01 00:00:00+00' "
                f"OR {v} >= TIMESTAMPTZ '{LATEST_YEAR}-01-01 00:00:00+00'",
                f"{_shown(t)} || ' is outside the plausible range {EARLIEST_YEAR}–{LATEST_YEAR}'",
            ),
        ]

    return typed, rules


def _build_money(
    column: Column, raw: str, text: str, shown: str, is_text: bool, options: CheckOptions
) -> tuple[str, RuleBuilder]:
    number = f"replace({shown}, ',', '.')" if is_text and options.decimal_comma else shown
    typed = f"TRY_CAST({number if is_text else raw} AS {column.sql_type})"

    def rules(v: str, t: str) -> list[Branch]:
        branches = [
            (
                f"{t} IS NOT NULL AND {v} IS NULL",
                f"{_shown(t)} || ' is not an amount (a plain decimal number such as 129.90)'",
            )
        ]
        if column.minimum is not None:
            word = "is negative" if column.minimum == 0 else f"is below {column.minimum}"
            branches.append((f"{v} < {column.minimum}", f"{_shown(t)} || ' {word}'"))
        return branches

    return typed, rules


def _unknown_value(column: Column, allowed: Iterable[str], v: str, options: CheckOptions) -> str:
    """The per-row test for a value outside an allowed list (see ``CheckOptions.observed``)."""
    allowed_set = frozenset(allowed)
    observed = options.observed.get(column.name)
    if observed is None:
        return f"{v} NOT IN {_in_list(allowed_set)}"
    bad = observed - allowed_set
    return f"{v} IN {_in_list(bad)}" if bad else "FALSE"


def _build_currency(
    column: Column, raw: str, text: str, shown: str, _is_text: bool, options: CheckOptions
) -> tuple[str, RuleBuilder]:
    hints = " ".join(
        f"WHEN {sql_string(wrong)} THEN ' (use {right})'" for wrong, right in _CURRENCY_HINTS.items()
    )

    def rules(v: str, t: str) -> list[Branch]:
        condition = _unknown_value(column, ISO_4217, v, options)
        if condition == "FALSE":
            return []
        message = f"{_shown(t)} || ' is not an ISO 4217 currency code' || CASE {v} {hints} ELSE '' END"
        return [(condition, message)]

    return f"upper({shown})", rules


def _build_enum(
    column: Column, raw: str, text: str, shown: str, _is_text: bool, options: CheckOptions
) -> tuple[str, RuleBuilder]:
    expected = ", ".join(column.allowed)

    def rules(v: str, t: str) -> list[Branch]:
        condition = _unknown_value(column, column.allowed, v, options)
        if condition == "FALSE":
            return []
        message = (
            f"{_shown(t)} || {sql_string(f' is not a known {column.name} (expected one of {expected})')}"
        )
        return [(condition, message)]

    return f"lower({shown})", rules


def _build_integer(
    column: Column, raw: str, text: str, shown: str, is_text: bool, _options: CheckOptions
) -> tuple[str, RuleBuilder]:
    # Through DECIMAL so '4.0' is 4 but '4.5' is refused rather than rounded.
    number = f"TRY_CAST({shown if is_text else raw} AS DECIMAL(38,6))"
    whole = f"{number} = round({number}) AND abs({number}) < 2147483648"
    typed = f"CASE WHEN {whole} THEN CAST({number} AS INTEGER) END"
    low, high = column.minimum, column.maximum

    def rules(v: str, t: str) -> list[Branch]:
        branches = [(f"{t} IS NOT NULL AND {v} IS NULL", f"{_shown(t)} || ' is not a whole number'")]
        if low is not None and high is not None:
            branches.append((f"{v} < {low} OR {v} > {high}", f"{_shown(t)} || ' is outside {low}–{high}'"))
        elif low is not None:
            branches.append((f"{v} < {low}", f"{_shown(t)} || ' is below {low}'"))
        return branches

    return typed, rules


_BUILDERS = {
    ColumnKind.ID: _build_id,
    ColumnKind.TEXT: _build_text,
    ColumnKind.TIMESTAMP: _build_timestamp,
    ColumnKind.MONEY: _build_money,
    ColumnKind.CURRENCY: _build_currency,
    ColumnKind.ENUM: _build_enum,
    ColumnKind.INTEGER: _build_integer,
}
