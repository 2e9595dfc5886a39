"""Jurisdiction profiles: the legal thresholds, as TOML files a user can copy and edit.

Loading validates the whole file before any work starts: every rule table needs its
``rule_id``, ``citation`` and the numbers its test reads, with the right types; a wrong or
missing key is a :class:`ProfileError` naming the file and the key. The file's SHA-256 is kept,
so every run records exactly which thresholds produced its findings.
"""

from __future__ import annotations

import hashlib
import tomllib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from ._errors import PyramidError

BUNDLED = ("cn", "us", "eu")
BASES = ("own_sales", "downline_sales", "recruitment")

_INT, _NUMBER, _SHARE = "a whole number", "a number", "a share between 0 and 1"
RULES: dict[str, dict[str, str]] = {
    "organizer": {"min_members": _INT, "min_levels": _INT},
    "repeat_offender": {"min_members": _INT, "min_levels": _INT, "administrative_window_days": _INT},
    "serious": {"min_members": _INT, "min_fees": _NUMBER, "min_repeat_members": _INT},
    "team_pay": {},
    "regulations_art7": {},
    "direct_selling_art24": {"max_pay_share_of_own_sales": _SHARE},
    "koscot": {},
    "retail_sales": {"min_outside_share": _SHARE},
    "income_disclosure": {},
    "ucpd_annex1_14": {"min_newcomer_share": _SHARE},
}
"""Every rule table a profile may hold, with the numbers its test reads."""
EVIDENCE: dict[str, str] = {"starter_days": _INT, "starter_min_share": _SHARE, "starter_min_members": _INT}
DEFAULT_EVIDENCE: dict[str, Any] = {"starter_days": 7, "starter_min_share": 0.5, "starter_min_members": 3}


class ProfileError(PyramidError):
    """A jurisdiction profile cannot be found, read or used."""


@dataclass(frozen=True)
class Profile:
    """One jurisdiction: its id, currency, one table per rule, evidence settings, bonus terms."""

    id: str
    name: str
    currency: str
    rules: dict[str, dict[str, Any]]
    source: str
    sha256: str = ""
    evidence: dict[str, Any] = field(default_factory=lambda: dict(DEFAULT_EVIDENCE))
    bonus_terms: dict[str, str] = field(default_factory=dict)
    """Words of seized ledgers' bonus names (直推, 见点 ...) and the basis each stands for."""

    def rule(self, key: str) -> dict[str, Any] | None:
        return self.rules.get(key)


def load_profile(name_or_path: str) -> Profile:
    """A bundled profile by id (``cn``, ``us``, ``eu``) or a TOML file, validated."""
    if name_or_path in BUNDLED:
        raw = resources.files("sentinella.pyramid").joinpath(f"profiles/{name_or_path}.toml").read_bytes()
        source = f"bundled:{name_or_path}"
    else:
        path = Path(name_or_path)
        if not path.is_file():
            raise ProfileError(f"no profile {name_or_path!r}: use {', '.join(BUNDLED)} or a TOML file path")
        try:
            raw = path.read_bytes()
        except OSError as error:
            raise ProfileError(f"{path}: cannot be read ({error.strerror})") from error
        source = str(path)
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        raise ProfileError(f"{source}: not valid UTF-8 TOML: {error}") from error
    return _validate(data, source, hashlib.sha256(raw).hexdigest())


def _validate(data: dict[str, Any], source: str, digest: str) -> Profile:
    for key in ("id", "currency"):
        if not isinstance(data.get(key), str) or not data[key].strip():
            raise ProfileError(f"{source}: top-level key {key!r} is missing or not text")
    currency = str(data["currency"]).upper()
    if len(currency) != 3 or not currency.isalpha():
        raise ProfileError(f"{source}: currency {data['currency']!r} is not an ISO 4217 code")
    rules: dict[str, dict[str, Any]] = {}
    evidence = dict(DEFAULT_EVIDENCE)
    terms: dict[str, str] = {}
    for key, value in data.items():
        if key in ("id", "name", "currency"):
            continue
        if not isinstance(value, dict):
            raise ProfileError(f"{source}: unknown top-level key {key!r}")
        if key == "evidence":
            for name, kind in EVIDENCE.items():
                if name in value:
                    evidence[name] = _checked(source, f"[evidence] {name}", value[name], kind)
            unknown = set(value) - set(EVIDENCE)
            if unknown:
                raise ProfileError(f"{source}: unknown key [evidence] {sorted(unknown)[0]}")
            continue
        if key == "bonus_terms":
            for term, basis in value.items():
                if basis not in BASES or not str(term).strip():
                    raise ProfileError(
                        f"{source}: [bonus_terms] {term!r} = {basis!r}: the basis must be one "
                        f"of {', '.join(BASES)}"
                    )
                terms[str(term)] = str(basis)
            continue
        if key not in RULES:
            raise ProfileError(f"{source}: unknown rule table [{key}] (known: {', '.join(RULES)})")
        rule = dict(value)
        for name in ("rule_id", "citation"):
            if not isinstance(rule.get(name), str) or not rule[name].strip():
                raise ProfileError(f"{source}: [{key}] {name} is missing or not text")
        for name, kind in RULES[key].items():
            if name not in rule:
                raise ProfileError(f"{source}: [{key}] {name} is missing ({kind})")
            rule[name] = _checked(source, f"[{key}] {name}", rule[name], kind)
        rules[key] = rule
    return Profile(
        str(data["id"]), str(data.get("name", data["id"])), currency, rules, source, digest, evidence, terms
    )


def _checked(source: str, where: str, value: object, kind: str) -> Any:
    if isinstance(value, bool):
        raise ProfileError(f"{source}: {where} must be {kind}, not {value!r}")
    if kind == _INT:
        if not isinstance(value, int) or value < 0:
            raise ProfileError(f"{source}: {where} must be {kind}, not {value!r}")
        return value
    if not isinstance(value, int | float) or value < 0:
        raise ProfileError(f"{source}: {where} must be {kind}, not {value!r}")
    if kind == _SHARE and value > 1:
        raise ProfileError(f"{source}: {where} must be {kind}, not {value!r}")
    return value
