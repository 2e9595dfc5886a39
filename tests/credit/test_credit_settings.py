"""`credit --config FILE`: every threshold from TOML, each citing its rule, checked before work starts."""

from __future__ import annotations

import dataclasses
import datetime as dt
import tomllib
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from credit_helpers import T0, Case, reasons
from sentinella.cli import app
from sentinella.credit import CreditConfig, CreditError, load_config
from sentinella.credit._settings import KEYS, bundled_text, parse_config

DAY = dt.timedelta(days=1)


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "rules.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_bundled_rules_are_the_defaults_and_every_table_cites_its_paragraph() -> None:
    assert load_config() == CreditConfig()
    data = tomllib.loads(bundled_text())
    tables = {name for name, value in data.items() if isinstance(value, dict)}
    assert tables == {table for table, _ in KEYS if table}
    for name in tables:
        assert data[name]["citation"].strip(), name
    # every field of CreditConfig but the rate table is a key of the file
    fields = {f.name for f in dataclasses.fields(CreditConfig)} - {"rates"}
    assert fields == {spec.field for spec in KEYS.values()}
    for name in (
        "rating_period",
        "same_item",
        "monthly_cap",
        "small_orders",
        "rating_change",
        "dsr",
        "levels",
    ):
        assert any(mark in data[name]["citation"] for mark in ("计分规则", "评价", "信用等级")), name


def test_a_file_with_some_keys_changes_only_those(tmp_path: Path) -> None:
    path = _write(tmp_path, "[same_item]\ndays = 7\n[monthly_cap]\npoints = 2\n[rates]\nUSD = 7.0\n")
    config = load_config(path)
    assert (config.duplicate_days, config.monthly_cap, config.rates["USD"]) == (7, 2, 7.0)
    assert config.rating_window_days == 15 and config.level_minima == CreditConfig().level_minima
    case = Case()
    day0 = case.rated(5, listing_id="L", placed_at=T0)
    day10 = case.rated(5, listing_id="L", placed_at=T0 + 10 * DAY)
    others = [case.rated(5, placed_at=T0 + 11 * DAY) for _ in range(2)]
    got = reasons(case.run(config=config))
    assert (got[day0], got[day10]) == (None, None)  # 10 days apart: outside a 7-day window
    assert [got[r] for r in others].count("capped") == 2  # the band of 2 is full after day0 and day10


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[same_item]\ndayz = 14\n", "unknown key [same_item] dayz"),
        ("[sameitem]\ndays = 14\n", "unknown table [sameitem]"),
        ("colour = 'red'\n", "unknown key colour"),
        ("[same_item]\ndays = '14'\n", "[same_item] days: expected a number"),
        ("[same_item]\ndays = 14.5\n", "[same_item] days: expected a whole number"),
        ("[monthly_cap]\npoints = true\n", "[monthly_cap] points: expected a number"),
        ("[monthly_cap]\npoints = -1\n", "[monthly_cap] points: must be ≥ 0"),
        ("[levels]\nminima = [1, 2, 3]\n", "level table needs 20 increasing lower bounds"),
        ("[levels]\nminima = ['4']\n", "[levels] minima: expected a list of whole numbers"),
        ("timezone = 'Mars/Olympus'\n", "timezone: no time zone 'Mars/Olympus'"),
        ("currency = 'XXX'\n", "no rate for XXX"),
        ("[rates]\nUSD = 0\n", "[rates] USD: expected a rate > 0"),
        ("[dsr]\nmonths = \n", "not valid TOML"),
    ],
)
def test_a_bad_file_is_refused_naming_file_and_key(tmp_path: Path, text: str, message: str) -> None:
    path = _write(tmp_path, text)
    with pytest.raises(CreditError) as error:
        load_config(path)
    assert str(error.value).startswith(f"{path}: ")
    assert message in str(error.value)


def test_a_missing_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(CreditError, match="no such credit configuration file"):
        load_config(tmp_path / "nope.toml")


def test_parse_config_names_its_source() -> None:
    with pytest.raises(CreditError, match=r"^inline: unknown key \[dsr\] first"):
        parse_config("[dsr]\nfirst = 3\n", "inline")


def test_the_cli_refuses_a_bad_config_before_opening_the_store(tmp_path: Path) -> None:
    path = _write(tmp_path, "[same_item]\ndays = 'two weeks'\n")
    db = tmp_path / "never.duckdb"
    done = CliRunner().invoke(app, ["credit", "--db", str(db), "--config", str(path)])
    assert done.exit_code == 2
    assert f"{path}: [same_item] days: expected a number" in done.stderr
    assert "Traceback" not in done.stderr and not db.exists()
    shown = CliRunner().invoke(app, ["credit", "--show-config"])
    assert shown.exit_code == 0
    assert load_config(_write(tmp_path, shown.stdout)) == CreditConfig()


_names = st.sampled_from(sorted({t for t, _ in KEYS if t} | {"rates", "nope"}))
_keys = st.sampled_from(sorted({k for _, k in KEYS} | {"citation", "USD", "dayz"}))
_values = st.one_of(
    st.integers(-5, 10**7).map(str),
    st.floats(-10, 1e6, allow_nan=False).map(repr),
    st.booleans().map(lambda b: "true" if b else "false"),
    st.text(alphabet="abcXYZ/_ 中", max_size=8).map(lambda t: '"' + t + '"'),
    st.lists(st.integers(0, 10**8), max_size=22).map(lambda v: "[" + ", ".join(map(str, v)) + "]"),
)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(_names, _keys, _values), max_size=6))
def test_any_file_gives_a_config_or_one_credit_error(entries: list[tuple[str, str, str]]) -> None:
    tables: dict[str, dict[str, str]] = {}
    for table, key, value in entries:
        tables.setdefault(table, {})[key] = value
    text = "".join(
        f"[{table}]\n" + "".join(f"{key} = {value}\n" for key, value in keys.items())
        for table, keys in tables.items()
    )
    try:
        config = parse_config(text, "fuzz.toml")
    except CreditError as error:
        assert str(error).startswith("fuzz.toml: ")
    else:
        assert isinstance(config, CreditConfig)
