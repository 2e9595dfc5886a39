"""Credit settings from TOML: the bundled ``taobao.toml`` and user copies of it, checked first.

A file is checked whole before any work starts: an unknown table or key, a value of the wrong
type or out of range, or a time zone that does not exist stops the run with a ``CreditError``
naming the file and the key. A file may hold only the keys it changes; the rest keep the
bundled values.
"""

from __future__ import annotations

import dataclasses
import tomllib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sentinella.money import DEFAULT_CNY_PER_UNIT

from ._config import CreditConfig
from ._errors import CreditError

BUNDLED = "taobao.toml"


@dataclass(frozen=True)
class _Key:
    field: str  # the CreditConfig field it sets
    kind: str  # int | number | text | minima
    minimum: float = 0.0


# (table, key) -> field; the top-level keys have table "".
KEYS: dict[tuple[str, str], _Key] = {
    ("", "timezone"): _Key("timezone", "text"),
    ("", "currency"): _Key("currency", "text"),
    ("rating_period", "days"): _Key("rating_window_days", "int"),
    ("same_item", "days"): _Key("duplicate_days", "int"),
    ("monthly_cap", "points"): _Key("monthly_cap", "int"),
    ("small_orders", "max_amount"): _Key("tiny_amount", "number"),
    ("rating_change", "days"): _Key("revision_days", "int"),
    ("dsr", "months"): _Key("dsr_months", "int"),
    ("dsr", "per_pair_month"): _Key("dsr_per_pair_month", "int"),
    ("levels", "minima"): _Key("level_minima", "minima"),
    ("defect_rate", "days"): _Key("defect_days", "int", 1),
    ("smoothing", "prior_strength"): _Key("prior_strength", "number"),
    ("robust", "iterations"): _Key("robust_iterations", "int", 1),
    ("robust", "tolerance"): _Key("robust_tolerance", "number"),
    ("robust", "prior_raters"): _Key("robust_prior_raters", "number"),
    ("robust", "noise"): _Key("robust_noise", "number", 1e-9),
    ("robust", "min_variance"): _Key("robust_min_variance", "number", 1e-9),
    ("robust", "scale"): _Key("robust_scale", "number", 1e-9),
    ("robust", "prior_votes"): _Key("robust_prior_votes", "number"),
    ("robust", "prior_quantile"): _Key("robust_prior_quantile", "number"),
}
TABLES = frozenset(table for table, _ in KEYS if table) | {"rates"}


def _name(table: str, key: str) -> str:
    return f"[{table}] {key}" if table else key


def _value(source: str, table: str, key: str, spec: _Key, value: Any) -> Any:
    where = f"{source}: {_name(table, key)}"
    if spec.kind == "text":
        if not isinstance(value, str) or not value.strip():
            raise CreditError(f"{where}: expected text, got {value!r}")
        return value.strip()
    if spec.kind == "minima":
        if not isinstance(value, list) or not all(
            isinstance(v, int) and not isinstance(v, bool) for v in value
        ):
            raise CreditError(f"{where}: expected a list of whole numbers, got {value!r}")
        return tuple(int(v) for v in value)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise CreditError(f"{where}: expected a number, got {value!r}")
    if spec.kind == "int" and not isinstance(value, int):
        raise CreditError(f"{where}: expected a whole number, got {value!r}")
    if value < spec.minimum:
        raise CreditError(f"{where}: must be ≥ {spec.minimum:g}, got {value!r}")
    if spec.field == "robust_prior_quantile" and value > 1:
        raise CreditError(f"{where}: must be between 0 and 1, got {value!r}")
    return int(value) if spec.kind == "int" else float(value)


def parse_config(text: str, source: str) -> CreditConfig:
    """A configuration from TOML text: the bundled values overridden by the text's keys."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise CreditError(f"{source}: not valid TOML: {error}") from error
    values: dict[str, Any] = {}
    rates = dict(DEFAULT_CNY_PER_UNIT)
    for name, item in data.items():
        if isinstance(item, dict):
            if name not in TABLES:
                raise CreditError(f"{source}: unknown table [{name}] (known: {', '.join(sorted(TABLES))})")
            for key, value in item.items():
                if name == "rates":
                    code = str(key).upper()
                    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
                        raise CreditError(f"{source}: [rates] {key}: expected a rate > 0, got {value!r}")
                    rates[code] = float(value)
                elif key == "citation":
                    if not isinstance(value, str):
                        raise CreditError(f"{source}: [{name}] citation: expected text, got {value!r}")
                elif (name, key) in KEYS:
                    spec = KEYS[(name, key)]
                    values[spec.field] = _value(source, name, key, spec, value)
                else:
                    known = ", ".join(["citation", *sorted(k for t, k in KEYS if t == name)])
                    raise CreditError(f"{source}: unknown key [{name}] {key} (known: {known})")
        elif ("", name) in KEYS:
            spec = KEYS[("", name)]
            values[spec.field] = _value(source, "", name, spec, item)
        else:
            raise CreditError(f"{source}: unknown key {name}")
    if "timezone" in values:
        try:
            ZoneInfo(values["timezone"])
        except (ZoneInfoNotFoundError, ValueError) as error:
            raise CreditError(f"{source}: timezone: no time zone {values['timezone']!r}") from error
    try:
        config = dataclasses.replace(CreditConfig(), rates=rates, **values)
    except CreditError as error:
        raise CreditError(f"{source}: {error}") from error
    return config


def bundled_text() -> str:
    """The bundled taobao.toml as text, to copy and edit."""
    return resources.files("sentinella.credit").joinpath(BUNDLED).read_text("utf-8")


def load_config(path: Path | str | None = None) -> CreditConfig:
    """The bundled Taobao rules, or a TOML file of them (the keys it omits keep their default)."""
    if path is None:
        return parse_config(bundled_text(), f"bundled:{BUNDLED}")
    file = Path(path)
    if not file.is_file():
        raise CreditError(f"{file}: no such credit configuration file")
    try:
        text = file.read_text("utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise CreditError(f"{file}: cannot be read as UTF-8 text: {error}") from error
    return parse_config(text, str(file))
