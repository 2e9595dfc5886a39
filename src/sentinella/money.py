"""Converting amounts between currencies, for thresholds written in one currency.

Legal thresholds (¥2.5M of fees, orders of ¥1 or less) are in one currency while records may mix
several. Rates are deliberately a small editable table, not a live feed: a finding must be
reproducible, so the rates used are part of its evidence.
"""

from __future__ import annotations

import math
import re
import tomllib
from collections.abc import Mapping
from pathlib import Path

from sentinella.engine import literal
from sentinella.errors import ConfigError

# Units of each currency per 1 CNY is awkward to read; these are CNY per unit (approximate,
# mid-2024). Edit with a TOML file of `CODE = rate` lines and pass it where a command takes --rates.
DEFAULT_CNY_PER_UNIT: Mapping[str, float] = {
    "CNY": 1.0,
    "HKD": 0.92,
    "TWD": 0.22,
    "MOP": 0.89,
    "USD": 7.2,
    "EUR": 7.8,
    "GBP": 9.2,
    "JPY": 0.047,
    "KRW": 0.0053,
    "SGD": 5.3,
    "AUD": 4.8,
    "CAD": 5.3,
    "CHF": 8.1,
    "MYR": 1.55,
    "THB": 0.2,
}
_CURRENCY_CODE = re.compile(r"[A-Za-z]{3}")


def load_rates(path: Path | None) -> dict[str, float]:
    """The default table, overridden by a TOML file of ``CODE = CNY per unit`` lines.

    Raises :class:`~sentinella.errors.ConfigError` naming the file (and the key) when the file
    cannot be read, is not TOML, or a rate is not a positive finite number.
    """
    rates = dict(DEFAULT_CNY_PER_UNIT)
    if path is None:
        return rates
    try:
        with path.open("rb") as handle:
            data = tomllib.load(handle)
    except FileNotFoundError:
        raise ConfigError(f"rates file {path}: no such file") from None
    except IsADirectoryError:
        raise ConfigError(f"rates file {path}: is a folder, not a TOML file") from None
    except OSError as error:
        raise ConfigError(f"rates file {path}: cannot be read ({error.strerror or error})") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise ConfigError(f"rates file {path}: not valid TOML ({error})") from None
    for code, value in data.items():
        if not _CURRENCY_CODE.fullmatch(str(code)):
            raise ConfigError(f"rates file {path}: key {code!r} is not a currency code such as USD")
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ConfigError(
                f"rates file {path}: {code} = {value!r} is not a number (CNY per unit, e.g. {code} = 7.2)"
            )
        if not math.isfinite(value) or value <= 0:
            raise ConfigError(f"rates file {path}: {code} = {value!r} must be a positive number")
        rates[str(code).upper()] = float(value)
    return rates


def convert_sql(amount: str, currency: str, target: str, rates: Mapping[str, float]) -> str:
    """SQL converting ``amount`` in ``currency`` to ``target``; NULL for unknown currencies."""
    if target not in rates:
        raise ConfigError(f"no rate for {target}: add it to the rates table")
    per_target = rates[target]
    cases = " ".join(
        f"WHEN {literal(code)} THEN {literal(rate / per_target)}" for code, rate in sorted(rates.items())
    )
    return f"(CAST({amount} AS DOUBLE) * CASE {currency} {cases} END)"
