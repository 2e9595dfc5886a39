"""Risk weights as data: shipped as ``weights.toml``, overridable with a file of the same shape."""

from __future__ import annotations

import math
import tomllib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from ._errors import RiskError
from ._sources import SIGNALS

DEFAULT_WEIGHTS = "weights.toml"


@dataclass(frozen=True)
class RiskConfig:
    """A weight in [0, 1) per signal and the score at which a case opens."""

    weights: dict[str, float]
    case_threshold: float
    source: str  # where the weights came from, for the summary


def _number(value: Any, where: str, low: float, high: float, *, high_open: bool) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or math.isnan(float(value)):
        raise RiskError(f"{where} must be a number, found {value!r}")
    number = float(value)
    above = number >= high if high_open else number > high
    if number < low or above:
        bound = f"[{low:g}, {high:g}{')' if high_open else ']'}"
        raise RiskError(f"{where} must lie in {bound}, found {number:g}")
    return number


def parse_config(text: str, origin: str) -> RiskConfig:
    """Validate a weights file: every key known, every weight in [0, 1), nothing silently ignored."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise RiskError(f"{origin}: not valid TOML: {error}") from error
    unknown_sections = sorted(set(data) - {"weights", "thresholds"})
    if unknown_sections:
        raise RiskError(f"{origin}: unknown section {unknown_sections[0]!r} (sections: thresholds, weights)")
    raw = data.get("weights", {})
    if not isinstance(raw, dict):
        raise RiskError(f"{origin}: weights must be a table of signal = weight")
    weights: dict[str, float] = {}
    for name, value in raw.items():
        if name not in SIGNALS:
            known = ", ".join(sorted(SIGNALS))
            raise RiskError(f"{origin}: weights.{name} is not a signal (signals: {known})")
        weights[name] = _number(value, f"{origin}: weights.{name}", 0.0, 1.0, high_open=True)
    thresholds = data.get("thresholds", {})
    if not isinstance(thresholds, dict) or set(thresholds) - {"case"}:
        raise RiskError(f"{origin}: thresholds holds only case = SCORE")
    case = _number(thresholds.get("case", 0.5), f"{origin}: thresholds.case", 0.0, 1.0, high_open=False)
    return RiskConfig(weights=weights, case_threshold=case, source=origin)


def load_config(path: Path | None = None) -> RiskConfig:
    """The shipped weights, or a user's file; a user's file replaces them whole.

    Signals a user's file leaves out weigh 0 (switched off), so what the file says is all
    that counts.
    """
    if path is None:
        text = resources.files("sentinella.risk").joinpath(DEFAULT_WEIGHTS).read_text(encoding="utf-8")
        return parse_config(text, f"sentinella/risk/{DEFAULT_WEIGHTS}")
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise RiskError(f"{path}: cannot read weights: {error}") from error
    return parse_config(text, str(path))
