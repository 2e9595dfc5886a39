"""Per-column parsing and checks, expressed as SQL over the raw values of a staged file.

Each column gets a typed expression (the value to store), a *shown* expression (the trimmed
text a message quotes, NULL when empty), an optional *aux* expression (a by-product of parsing
that rules need, such as the zone suffix of a time), rules (conditions with the sentence a
person reads) and counters (conditions counted over the file, for the summary). Conditions
refer to the typed, shown and aux values by name, so a projection computes each parse once;
the sentences are only evaluated for the few bad rows. That keeps validation close to the cost
of a bare read.

The common export forms take a cheap path (one short regular expression, or none); only values
that miss it go through the full grammar, so the exact reading costs clean files little.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from sentinella.contract import (
    CURRENCY_SYMBOLS,
    EARLIEST_TIME,
    ISO_4217,
    MONEY_PRECISION,
    MONEY_SCALE,
    Column,
    ColumnKind,
)

MAX_ID_CHARS = 256
DEFAULT_MAX_TEXT_BYTES = 1 << 20
FUTURE_SLACK = dt.timedelta(days=1)
MAX_OFFSET_MINUTES = 14 * 60
_SHOWN_CHARS = 60
_CURRENCY_HINTS = {"RMB": "CNY", "YUAN": "CNY", "EURO": "EUR", "US$": "USD", "NTD": "TWD"}
# Trimmed from IDs besides spaces: characters a copy-paste or an export leaves invisibly.
INVISIBLE = (
    "\t\n\r\x0b\x0c\x85\u00a0\u00ad\u1680\u180e"
    + "".join(chr(c) for c in range(0x2000, 0x200E))  # en quad .. zero-width joiner
    + "\u2028\u2029\u202f\u205f\u2060\u3000\ufeff"
)
_INTEGER_TYPES = frozenset(
    {"TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT", "UINTEGER", "UBIGINT"}
)
_FLOAT_TYPES = frozenset({"FLOAT", "DOUBLE"})
_TEXT_TYPES = frozenset({"VARCHAR"})
_JSON_ID_TYPES = ("VARCHAR", "BIGINT", "UBIGINT", "NULL")


def sql_string(text: str) -> str:
    """A SQL string literal."""
    return "'" + text.replace("'", "''") + "'"


def quote_identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def trimmed_sql(text: str) -> str:
    """``text`` without its surrounding spaces, NULL when empty: what a message quotes and most
    parses start from. A value with no space at either end (nearly all) is taken as it is, which
    spares DuckDB copying every string; ``trim`` removes only spaces, so the result is the same.
    """
    return (
        f"CASE WHEN NOT (starts_with({text}, ' ') OR ends_with({text}, ' ')) AND {text} <> '' "
        f"THEN {text} ELSE NULLIF(trim({text}), '') END"
    )


def _in_list(values: Iterable[str]) -> str:
    return "(" + ", ".join(sql_string(v) for v in sorted(values)) + ")"


def _default_latest() -> dt.datetime:
    return dt.datetime.now(dt.UTC) + FUTURE_SLACK


@dataclass(frozen=True)
class CheckOptions:
    """Knobs of validation that depend on the file, the run or the store, not on the contract.

    ``observed`` holds, per enumerated column, the distinct normalised values a file contains:
    with it, the per-row test becomes "is one of the few bad values" instead of a membership
    test against the whole allowed list, which is what costs time on millions of rows.
    ``timezone`` is the IANA zone times without an offset are read in (None: UTC); ``latest``
    is the latest plausible time (the run's start plus a day).
    """

    decimal_comma: bool = False
    identity_salt: str | None = None
    max_text_bytes: int = DEFAULT_MAX_TEXT_BYTES
    observed: Mapping[str, frozenset[str]] = field(default_factory=dict)
    timezone: str | None = None
    latest: dt.datetime = field(default_factory=_default_latest)


@dataclass(frozen=True)
class ColumnCheck:
    """SQL for one contract column.

    ``typed``, ``shown`` and ``aux`` are expressions over the raw column. ``problem`` and
    ``reason`` are expressions over the typed, shown and aux values: inline copies of them by
    default, or the names given to :func:`column_check` when a projection has already computed
    them. ``counters`` are (label, condition) pairs counted over the file. ``rejects_row``: a
    problem rejects the whole row (a key or required column); otherwise only the field is
    cleared and the row is kept.
    """

    column: Column
    typed: str
    shown: str
    problem: str
    reason: str
    aux: str | None = None
    counters: tuple[tuple[str, str], ...] = ()
    rejects_row: bool = True


Branch = tuple[str, str]  # (condition, message)


@dataclass(frozen=True)
class _Source:
    """The raw column as a builder sees it."""

    raw: str  # the raw expression
    text: str  # the raw value as text
    shown: str  # trimmed text, NULL when empty (or the typed raw value for typed sources)
    type: str  # DuckDB type of the raw column, e.g. VARCHAR, DOUBLE, TIMESTAMP WITH TIME ZONE
    json_type: str | None  # for JSON lines: json_type() of the value

    @property
    def is_text(self) -> bool:
        return self.type in _TEXT_TYPES


@dataclass(frozen=True)
class _Built:
    typed: str
    # (typed, shown, aux, raw, currency) -> branches
    rules: Callable[[str, str, str, str, str | None], list[Branch]]
    aux: str | None = None
    counters: Callable[[str, str, str, str], list[tuple[str, str]]] | None = None
    shown: str | None = None  # replaces the source's shown text (IDs: the cleaned ID)


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


def _base_type(sql_type: str) -> str:
    base = sql_type.upper().split("(")[0].strip()
    return "TIMESTAMP WITH TIME ZONE" if base == "TIMESTAMPTZ" else base


def column_check(
    column: Column,
    raw: str | None,
    *,
    source_type: str = "VARCHAR",
    json_type: str | None = None,
    currency: tuple[str, str] | None = None,
    rejects_row: bool | None = None,
    options: CheckOptions | None = None,
    refs: tuple[str, str, str, str] | None = None,
) -> ColumnCheck:
    """The check of ``column`` over the SQL expression ``raw`` (None: the column is absent).

    ``source_type`` is the DuckDB type of ``raw``; ``json_type`` an expression giving the JSON
    type of a value read from JSON lines; ``currency`` the row's currency code (for money written
    with a symbol) as an expression over the raw row and as a name in the projection.
    ``rejects_row`` defaults to the column being required. ``refs`` names the typed, shown, aux
    and raw values in an enclosing projection.
    """
    options = options or CheckOptions()
    rejects = column.required if rejects_row is None else rejects_row
    if raw is None:
        branches = [("TRUE", sql_string("is required but the column is missing"))] if column.required else []
        return ColumnCheck(
            column,
            typed=f"CAST(NULL AS {column.sql_type})",
            shown="CAST(NULL AS VARCHAR)",
            problem=_any(branches),
            reason=_case(branches),
            rejects_row=rejects,
        )
    base = _base_type(source_type)
    is_text = base in _TEXT_TYPES
    text = raw if is_text else f"CAST({raw} AS VARCHAR)"
    # A typed Parquet column needs no text form per row; messages cast the few bad values.
    shown = trimmed_sql(text) if is_text or column.kind is ColumnKind.TEXT else raw
    source = _Source(raw=raw, text=text, shown=shown, type=base, json_type=json_type)
    built = _BUILDERS[column.kind](column, source, options, None if currency is None else currency[0])
    shown = built.shown or shown
    if refs is not None:
        v, t, a, r = refs
    else:
        v, t, a, r = f"({built.typed})", f"({shown})", f"({built.aux})", f"({raw})"
    branches = built.rules(v, t, a, r, None if currency is None else currency[1] if refs else currency[0])
    if column.required:
        branches.insert(0, (f"{t} IS NULL", sql_string("is required but empty")))
    counters = tuple(built.counters(v, t, a, r)) if built.counters else ()
    return ColumnCheck(
        column,
        typed=built.typed,
        shown=shown,
        problem=_any(branches),
        reason=_case(branches),
        aux=built.aux,
        counters=counters,
        rejects_row=rejects,
    )


# -- IDs --------------------------------------------------------------------------------------


def _build_id(column: Column, src: _Source, options: CheckOptions, _currency: str | None) -> _Built:
    shown: str | None = None
    if src.is_text:
        raw = src.text
        # Printable ASCII with no space at either end (nearly every ID) is taken as it is;
        # anything else is trimmed of spaces and invisible characters and normalised (NFC).
        plain = f"strlen({raw}) = length({raw}) AND ascii({raw}) > 32 AND ascii({raw}[-1]) > 32"
        cleaned = f"NULLIF(nfc_normalize(trim({raw}, {sql_string(' ' + INVISIBLE)})), '')"
        typed = shown = f"CASE WHEN {plain} THEN {raw} ELSE {cleaned} END"
    elif src.type in _INTEGER_TYPES:
        typed = f"CAST({src.raw} AS VARCHAR)"
    else:
        typed = "CAST(NULL AS VARCHAR)"
    json_type = src.json_type

    def rules(v: str, t: str, a: str, r: str, c: str | None) -> list[Branch]:
        if not src.is_text and src.type not in _INTEGER_TYPES:
            return [
                (
                    f"{r} IS NOT NULL",
                    f"{_shown(t)} || {sql_string(f' is a {src.type} value; IDs are text or whole numbers')}",
                )
            ]
        branches: list[Branch] = []
        if json_type is not None:
            kinds = ", ".join(sql_string(k) for k in _JSON_ID_TYPES)
            branches.append(
                (
                    f"{a} NOT IN ({kinds})",
                    f"{_shown(t)} || ' is a JSON ' || CASE {a} WHEN 'OBJECT' THEN 'object' "
                    "WHEN 'ARRAY' THEN 'array' WHEN 'BOOLEAN' THEN 'boolean' "
                    "ELSE 'number with a fraction or exponent' END "
                    "|| '; IDs are strings or whole numbers'",
                )
            )
        if src.is_text:
            branches.append(
                (
                    f"{v} IS NULL AND {r} IS NOT NULL AND {r} <> ''",
                    sql_string("is only spaces or invisible characters, not an ID"),
                )
            )
        branches += [
            # strlen (bytes) costs nothing; length (characters) only runs on the rare long values.
            (
                f"strlen({v}) > {MAX_ID_CHARS} AND length({v}) > {MAX_ID_CHARS}",
                f"'is longer than {MAX_ID_CHARS} characters'",
            ),
            (f"contains({v}, chr(0))", sql_string("contains a NUL byte (binary data in an ID?)")),
        ]
        return branches

    def counters(v: str, t: str, a: str, r: str) -> list[tuple[str, str]]:
        return [("ids_cleaned", f"{v} <> {r}")] if src.is_text else []

    return _Built(typed, rules, aux=json_type, counters=counters, shown=shown)


# -- text -------------------------------------------------------------------------------------


def _build_text(column: Column, src: _Source, options: CheckOptions, _currency: str | None) -> _Built:
    # Identity values are compared across accounts, so stray spaces must not split a person.
    value = src.shown if column.identity else f"NULLIF({src.text}, '')"
    typed = value
    if column.identity and options.identity_salt is not None:
        typed = f"sha256({sql_string(options.identity_salt)} || {value})"
    limit = options.max_text_bytes

    def rules(v: str, t: str, a: str, r: str, c: str | None) -> list[Branch]:
        # Checked on the text as given (t), since v may already be a hash.
        return [
            (
                f"strlen({t}) > {limit}",
                f"'is ' || round(strlen({t}) / 1048576.0, 1) || ' MB, over the "
                f"{limit / 1048576:g} MB limit for a text field'",
            ),
            (f"contains({t}, chr(0))", sql_string("contains a NUL byte (binary data in text?)")),
        ]

    return _Built(typed, rules)


# -- times ------------------------------------------------------------------------------------

# The zone part at the end of a time: an offset, Z, UTC/GMT or a zone name. A date alone
# ('2024-05-01') ends in '-01', hence the length guard.
_ZONE_SUFFIX = r"([+-][0-9:]+|[A-Za-z][A-Za-z_/+-]*)$"
_UTC_SUFFIXES = ("Z", "z", "UTC", "GMT", "+00", "+00:00", "+0000", "-00", "-00:00")
_SPECIAL_TIMES = ("epoch", "infinity", "-infinity", "+infinity", "now", "today", "tomorrow", "yesterday")


def _offset_minutes(suffix: str) -> str:
    """Minutes of a ±HH[[:]MM] suffix (NULL when malformed), for the ±14:00 check."""
    digits = f"replace(substr({suffix}, 2), ':', '')"
    return (
        f"CASE WHEN regexp_full_match({suffix}, '[+-][0-9]{{2}}(:?[0-5][0-9])?') THEN "
        f"CAST(substr({digits}, 1, 2) AS INTEGER) * 60 + coalesce(TRY_CAST(NULLIF(substr({digits}, 3), '') "
        "AS INTEGER), 0) END"
    )


def _build_timestamp(column: Column, src: _Source, options: CheckOptions, _currency: str | None) -> _Built:
    zone = sql_string(options.timezone or "UTC")
    latest = options.latest.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S")
    earliest = EARLIEST_TIME.isoformat()
    aux: str | None = None
    if src.is_text:
        # UTC written as +00 or Z (the commonest export forms) skips the regular expression.
        aux = (
            f"CASE WHEN ends_with({src.shown}, '+00') OR ends_with({src.shown}, 'Z') THEN 'Z' "
            f"WHEN strlen({src.shown}) > 10 THEN regexp_extract({src.shown}, '{_ZONE_SUFFIX}', 1) "
            "ELSE '' END"
        )
        with_zone = f"TRY_CAST({src.shown} AS TIMESTAMPTZ)"
        if options.timezone is None:
            # The store's session zone is UTC, so a naive text cast reads it as UTC.
            typed = with_zone
        else:
            typed = (
                f"CASE WHEN {aux} = '' THEN timezone({zone}, TRY_CAST({src.shown} AS TIMESTAMP)) "
                f"ELSE {with_zone} END"
            )
    elif src.type in ("TIMESTAMP", "DATE") or src.type.startswith("TIMESTAMP_"):
        typed = f"timezone({zone}, CAST({src.raw} AS TIMESTAMP))"
    elif src.type == "TIMESTAMP WITH TIME ZONE":
        typed = src.raw
    else:
        typed = "CAST(NULL AS TIMESTAMPTZ)"
    unsupported = typed.startswith("CAST(NULL")
    naive_source = not src.is_text and not unsupported and src.type != "TIMESTAMP WITH TIME ZONE"

    def rules(v: str, t: str, a: str, r: str, c: str | None) -> list[Branch]:
        if unsupported:
            return [
                (f"{r} IS NOT NULL", f"{_shown(t)} || {sql_string(f' is a {src.type} value, not a time')}")
            ]
        words = ", ".join(sql_string(w) for w in _SPECIAL_TIMES)
        # DuckDB reads 'epoch' and 'infinity' as times; the range checks catch them, and the
        # sentence says what they are.
        special = (
            f"CASE WHEN lower({t}) IN ({words}) THEN ' is not a date/time (special words such as "
            "''epoch'' are not dates)' ELSE "
        )
        branches: list[Branch] = [
            (
                f"{t} IS NOT NULL AND {v} IS NULL",
                f"{_shown(t)} || ' is not a date/time (expected ISO 8601, e.g. 2024-05-01T09:30:00+08:00)'",
            )
        ]
        if src.is_text:
            utc = ", ".join(sql_string(s) for s in _UTC_SUFFIXES)
            minutes = _offset_minutes(a)
            branches.append(
                (
                    f"{a} <> '' AND {a} NOT IN ({utc}) AND NOT contains({a}, '/') AND "
                    f"coalesce({minutes}, 9999) > {MAX_OFFSET_MINUTES}",
                    f"{_shown(t)} || CASE WHEN regexp_full_match({a}, '[A-Za-z].*') THEN "
                    f"' names its zone by an abbreviation (' || {a} || '), which is ambiguous: "
                    "write the offset, e.g. +08:00' ELSE ' has an offset beyond ±14:00' END",
                )
            )
        else:
            special = "CASE WHEN FALSE THEN '' ELSE "
        branches += [
            (
                f"{v} < TIMESTAMPTZ '{earliest}'",
                f"{_shown(t)} || {special}' is before {EARLIEST_TIME:%Y-%m-%d}, too early for a "
                "platform record' END",
            ),
            (
                f"{v} > TIMESTAMPTZ '{latest}+00'",
                f"{_shown(t)} || {special}' is in the future (after {latest[:10]}, a day past this "
                "import)' END",
            ),
        ]
        return branches

    def counters(v: str, t: str, a: str, r: str) -> list[tuple[str, str]]:
        # Only the values kept: those inside the plausible range.
        kept = f"{v} BETWEEN TIMESTAMPTZ '{earliest}' AND TIMESTAMPTZ '{latest}+00'"
        if src.is_text:
            return [("naive_times", f"{a} = '' AND {kept}")]
        if naive_source:
            return [("naive_times", kept)]
        return []

    return _Built(typed, rules, aux=aux, counters=counters)


# -- money ------------------------------------------------------------------------------------

_MONEY_TYPE = f"DECIMAL({MONEY_PRECISION},{MONEY_SCALE})"
_MONEY_DIGITS = MONEY_PRECISION - MONEY_SCALE


def _symbol_pattern() -> str:
    symbols = sorted(CURRENCY_SYMBOLS, key=len, reverse=True)
    escaped = "|".join("".join("\\" + c if c in "$.^*+?()[]{}|\\" else c for c in s) for s in symbols)
    return f"^([+-]?)({escaped}) ?"


def _let(value: str, name: str, body: str) -> str:
    """``body`` with ``name`` bound to ``value``, computed once (a one-element list lambda): keeps
    the SQL of a many-step parse small, so it binds fast and evaluates each step once."""
    return f"list_transform([{value}], lambda {name}: {body})[1]"


def _money_number(b: str, decimal_comma: bool) -> str:
    """Canonical number text (digits, an optional sign and '.') of an amount body ``b``, or NULL."""
    ambiguous_dot = f"regexp_full_match({b}, '[+-]?[1-9][0-9]{{0,2}}\\.[0-9]{{3}}')"
    ambiguous_comma = f"regexp_full_match({b}, '[+-]?[1-9][0-9]{{0,2}},[0-9]{{3}}')"
    dot_case = f"CASE WHEN {ambiguous_dot} THEN NULL ELSE {b} END" if decimal_comma else b
    return (
        f"CASE WHEN regexp_full_match({b}, '[+-]?[0-9]+') THEN {b} "
        f"WHEN regexp_full_match({b}, '[+-]?[0-9]+\\.[0-9]+') THEN {dot_case} "
        f"WHEN regexp_full_match({b}, '[+-]?[0-9]+,[0-9]+') THEN "
        f"CASE WHEN {ambiguous_comma} THEN NULL ELSE replace({b}, ',', '.') END "
        f"WHEN regexp_full_match({b}, '[+-]?[0-9]{{1,3}}(,[0-9]{{3}})+(\\.[0-9]+)?') "
        f"THEN replace({b}, ',', '') "
        f"WHEN regexp_full_match({b}, '[+-]?[0-9]{{1,3}}(\\.[0-9]{{3}})+(,[0-9]+)?') "
        f"THEN replace(replace({b}, '.', ''), ',', '.') END"
    )


def _symbol(shown: str) -> str:
    return f"regexp_extract({shown}, {sql_string(_symbol_pattern())}, 2)"


def _body(shown: str) -> str:
    return f"regexp_replace({shown}, {sql_string(_symbol_pattern())}, '\\1')"


def _decimals(number: str) -> str:
    return f"CASE WHEN contains({number}, '.') THEN strlen({number}) - strpos({number}, '.') ELSE 0 END"


def _symbol_agrees(symbol: str, currency: str | None) -> str:
    if currency is None:
        return f"{symbol} = ''"
    cases = " ".join(
        f"WHEN {sql_string(s)} THEN {currency} IN {_in_list(codes)}" for s, codes in CURRENCY_SYMBOLS.items()
    )
    return f"({symbol} = '' OR coalesce(CASE {symbol} {cases} END, FALSE))"


def money_text_sql(shown: str, decimal_comma: bool, currency: str | None) -> str:
    """The exact reading of an amount written as text, or NULL (see :func:`_money_reason`)."""
    if decimal_comma:
        fast = f"regexp_full_match({shown}, '[0-9]{{1,{_MONEY_DIGITS}}}(,[0-9]{{1,2}})?')"
        fast_value = f"CAST(replace({shown}, ',', '.') AS {_MONEY_TYPE})"
    else:
        fast = f"regexp_full_match({shown}, '[0-9]{{1,{_MONEY_DIGITS}}}(\\.[0-9]{{1,{MONEY_SCALE}}})?')"
        fast_value = f"CAST({shown} AS {_MONEY_TYPE})"
    read = f"CASE WHEN {_decimals('_n')} <= {MONEY_SCALE} THEN TRY_CAST(_n AS {_MONEY_TYPE}) END"
    parsed = _let(_body(shown), "_b", _let(_money_number("_b", decimal_comma), "_n", read))
    slow = f"CASE WHEN {_symbol_agrees(_symbol(shown), currency)} THEN {parsed} END"
    return f"CASE WHEN {fast} THEN {fast_value} ELSE {slow} END"


def _money_reason(t: str, decimal_comma: bool, currency: str | None) -> str:
    """Why a text amount was refused, most specific first (only runs on bad rows)."""
    mark = sql_string("'.'" if not decimal_comma else "','")
    own = f"{currency}" if currency is not None else "NULL"
    symbol = _symbol(t)
    why = (
        "CASE "
        "WHEN regexp_full_match(_b, '[+-]?[0-9.,]*[0-9][eE][+-]?[0-9]+') "
        "THEN ' is in exponent notation; write the amount out (e.g. 1000.00)' "
        "WHEN contains(_b, '_') THEN ' uses ''_'' between digits; write the amount without it' "
        f"WHEN {symbol} <> '' AND NOT {_symbol_agrees(symbol, currency)} THEN ' is written with ' || "
        f"{symbol} || ', which does not match the row''s currency (' || coalesce({own}, 'none') || ')' "
        "WHEN regexp_full_match(_b, '[+-]?[1-9][0-9]{0,2}[.,][0-9]{3}') AND _n IS NULL "
        "THEN ' is ambiguous: ''' || CASE WHEN contains(_b, ',') THEN ',' ELSE '.' END || ''' could be "
        f"a thousands separator or the decimal mark (this file''s decimal mark is ' || {mark} || "
        "'); write it without a thousands separator, or with two decimals' "
        f"WHEN _n IS NOT NULL AND {_decimals('_n')} > {MONEY_SCALE} THEN ' has ' || "
        f"{_decimals('_n')} || ' decimal places; amounts are kept to {MONEY_SCALE}, not rounded' "
        f"WHEN _n IS NOT NULL THEN ' is too large for an amount (at most {_MONEY_DIGITS} digits before "
        "the decimal mark)' "
        "ELSE ' is not an amount (a decimal number such as 129.90, 1,299.00 or ¥1,980.00)' END"
    )
    return f"{_shown(t)} || " + _let(_body(t), "_b", _let(_money_number("_b", decimal_comma), "_n", why))


def _build_money(column: Column, src: _Source, options: CheckOptions, currency: str | None) -> _Built:
    numeric = src.type in _INTEGER_TYPES or src.type in _FLOAT_TYPES or src.type == "DECIMAL"
    if src.is_text:
        typed = money_text_sql(src.shown, options.decimal_comma, currency)
    elif numeric:
        typed = f"TRY_CAST({src.raw} AS {_MONEY_TYPE})"
    else:
        typed = f"CAST(NULL AS {_MONEY_TYPE})"

    def rules(v: str, t: str, a: str, r: str, c: str | None) -> list[Branch]:
        if src.is_text:
            branches = [(f"{t} IS NOT NULL AND {v} IS NULL", _money_reason(t, options.decimal_comma, c))]
        elif numeric:
            # A float or wider decimal is taken only when the stored amount is exactly its value.
            branches = [
                (
                    f"{r} IS NOT NULL AND ({v} IS NULL OR {v} <> {r})",
                    f"{_shown(t)} || ' has more than {MONEY_SCALE} decimal places or is too large "
                    f"(a {src.type} column); amounts are kept to {MONEY_SCALE}, not rounded'",
                )
            ]
        else:
            branches = [
                (
                    f"{r} IS NOT NULL",
                    f"{_shown(t)} || {sql_string(f' is a {src.type} value, not an amount')}",
                )
            ]
        if column.minimum is not None:
            word = "is negative" if column.minimum == 0 else f"is below {column.minimum}"
            branches.append((f"{v} < {column.minimum}", f"{_shown(t)} || ' {word}'"))
        return branches

    return _Built(typed, rules)


# -- codes and enumerations -------------------------------------------------------------------


def _unknown_value(column: Column, allowed: Iterable[str], v: str, options: CheckOptions) -> str:
    """The per-row test for a value outside an allowed list (see ``CheckOptions.observed``)."""
    allowed_set = frozenset(allowed)
    observed = options.observed.get(column.name)
    if observed is None:
        return f"{v} NOT IN {_in_list(allowed_set)}"
    bad = observed - allowed_set
    return f"{v} IN {_in_list(bad)}" if bad else "FALSE"


def currency_sql(shown: str) -> str:
    """The typed currency code: what money columns compare their symbol with."""
    return f"upper({shown})"


def _build_currency(column: Column, src: _Source, options: CheckOptions, _currency: str | None) -> _Built:
    hints = " ".join(
        f"WHEN {sql_string(wrong)} THEN ' (use {right})'" for wrong, right in _CURRENCY_HINTS.items()
    )

    def rules(v: str, t: str, a: str, r: str, c: str | None) -> list[Branch]:
        condition = _unknown_value(column, ISO_4217, v, options)
        if condition == "FALSE":
            return []
        message = f"{_shown(t)} || ' is not an ISO 4217 currency code' || CASE {v} {hints} ELSE '' END"
        return [(condition, message)]

    return _Built(currency_sql(_text_shown(src)), rules)


def _text_shown(src: _Source) -> str:
    return src.shown if src.is_text else trimmed_sql(src.text)


def _build_enum(column: Column, src: _Source, options: CheckOptions, _currency: str | None) -> _Built:
    expected = ", ".join(column.allowed)

    def rules(v: str, t: str, a: str, r: str, c: str | None) -> list[Branch]:
        condition = _unknown_value(column, column.allowed, v, options)
        if condition == "FALSE":
            return []
        message = (
            f"{_shown(t)} || {sql_string(f' is not a known {column.name} (expected one of {expected})')}"
        )
        return [(condition, message)]

    return _Built(f"lower({_text_shown(src)})", rules)


# -- integers ---------------------------------------------------------------------------------


def _build_integer(column: Column, src: _Source, options: CheckOptions, _currency: str | None) -> _Built:
    if src.is_text:
        # Digits only: '2.0', '2.5' and '4.9999999' are refused, never rounded.
        digits = f"regexp_full_match({src.shown}, '[+-]?[0-9]{{1,10}}')"
        typed = f"CASE WHEN {digits} THEN TRY_CAST({src.shown} AS INTEGER) END"
    elif src.type in _INTEGER_TYPES:
        typed = f"TRY_CAST({src.raw} AS INTEGER)"
    elif src.type in _FLOAT_TYPES or src.type == "DECIMAL":
        # A float Parquet column holding whole numbers is what pandas writes for integers
        # with gaps; a fraction is refused.
        typed = f"CASE WHEN {src.raw} = trunc({src.raw}) THEN TRY_CAST({src.raw} AS INTEGER) END"
    else:
        typed = "CAST(NULL AS INTEGER)"
    low, high = column.minimum, column.maximum

    def rules(v: str, t: str, a: str, r: str, c: str | None) -> list[Branch]:
        branches = [
            (
                f"{r} IS NOT NULL AND {t} IS NOT NULL AND {v} IS NULL",
                f"{_shown(t)} || ' is not a whole number (write digits only, e.g. 3)'",
            )
        ]
        if low is not None and high is not None:
            branches.append((f"{v} < {low} OR {v} > {high}", f"{_shown(t)} || ' is outside {low}–{high}'"))
        elif low is not None:
            branches.append((f"{v} < {low}", f"{_shown(t)} || ' is below {low}'"))
        return branches

    return _Built(typed, rules)


_BUILDERS: dict[ColumnKind, Callable[[Column, _Source, CheckOptions, str | None], _Built]] = {
    ColumnKind.ID: _build_id,
    ColumnKind.TEXT: _build_text,
    ColumnKind.TIMESTAMP: _build_timestamp,
    ColumnKind.MONEY: _build_money,
    ColumnKind.CURRENCY: _build_currency,
    ColumnKind.ENUM: _build_enum,
    ColumnKind.INTEGER: _build_integer,
}
