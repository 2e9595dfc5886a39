"""Jurisdiction profiles: the legal thresholds, as TOML files a user can copy and edit."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from ._errors import PyramidError

BUNDLED = ("cn", "us", "eu")


class ProfileError(PyramidError):
    """A jurisdiction profile cannot be found or read."""


@dataclass(frozen=True)
class Profile:
    """One jurisdiction: its id, currency and one table per rule (rule_id, citation, numbers)."""

    id: str
    name: str
    currency: str
    rules: dict[str, dict[str, Any]]
    source: str

    def rule(self, key: str) -> dict[str, Any] | None:
        return self.rules.get(key)


def load_profile(name_or_path: str) -> Profile:
    """A bundled profile by id (``cn``, ``us``, ``eu``) or a TOML file."""
    if name_or_path in BUNDLED:
        text = (
            resources.files("sentinella.pyramid").joinpath(f"profiles/{name_or_path}.toml").read_text("utf-8")
        )
        source = f"bundled:{name_or_path}"
    else:
        path = Path(name_or_path)
        if not path.is_file():
            raise ProfileError(f"no profile {name_or_path!r}: use {', '.join(BUNDLED)} or a TOML file path")
        try:
            text, source = path.read_text("utf-8"), str(path)
        except (OSError, UnicodeDecodeError) as error:
            raise ProfileError(f"{path}: cannot be read as a UTF-8 TOML file ({error})") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ProfileError(f"{source}: not valid TOML: {error}") from error
    rules = {key: value for key, value in data.items() if isinstance(value, dict)}
    for key, rule in rules.items():
        if "rule_id" not in rule or "citation" not in rule:
            raise ProfileError(f"{source}: rule [{key}] needs rule_id and citation")
    try:
        return Profile(
            str(data["id"]),
            str(data.get("name", data["id"])),
            str(data.get("currency", "CNY")),
            rules,
            source,
        )
    except KeyError as error:
        raise ProfileError(f"{source}: missing top-level key {error}") from error
