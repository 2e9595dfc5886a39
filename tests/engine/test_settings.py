"""Engine settings are checked before a store is opened; what passes, DuckDB accepts."""

from __future__ import annotations

import duckdb
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sentinella.engine import DuckDBBackend, EngineSettings
from sentinella.errors import ConfigError, SentinellaError

SIZES = st.one_of(
    st.text(max_size=12),
    st.builds(
        lambda number, space, unit: f"{number}{space}{unit}",
        st.one_of(st.integers(-5, 10**6).map(str), st.floats(0, 1e4, allow_nan=False).map(repr)),
        st.sampled_from(["", " "]),
        st.sampled_from(["KB", "MB", "GB", "TB", "KiB", "MiB", "GiB", "gb", "%", "", "G", "bytes"]),
    ),
)


@settings(max_examples=150, deadline=None)
@given(SIZES)
def test_a_memory_limit_is_refused_clearly_or_accepted_by_duckdb(text: str) -> None:
    try:
        checked = EngineSettings(memory_limit=text, threads=1)
    except ConfigError as error:
        assert "--memory-limit" in str(error)
        return
    if not text:
        return  # empty: the default applies
    connection = duckdb.connect(":memory:")
    try:
        DuckDBBackend(connection, checked)  # runs SET memory_limit; must not fail
    finally:
        connection.close()


@pytest.mark.parametrize("text", ["8GB", "8 GB", "512MiB", "1.5gb", "60%", "100%"])
def test_usual_memory_limits_pass(text: str) -> None:
    assert EngineSettings(memory_limit=text).memory_limit == text


@pytest.mark.parametrize(
    ("text", "reason"),
    [("lots", "not a memory size"), ("8", "not a memory size"), ("-1GB", "not a memory size"),
     ("0GB", "too small"), ("8KB", "too small"), ("0%", "above 0%"), ("101%", "at most 100%")],
)  # fmt: skip
def test_bad_memory_limits_say_why(text: str, reason: str) -> None:
    with pytest.raises(ConfigError, match=reason):
        EngineSettings(memory_limit=text)


def test_threads_and_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ConfigError, match="--threads -1"):
        EngineSettings(threads=-1)
    monkeypatch.setenv("SENTINELLA_THREADS", "-3")
    with pytest.raises(ConfigError, match="SENTINELLA_THREADS -3"):
        EngineSettings().resolved()
    monkeypatch.setenv("SENTINELLA_THREADS", "2")
    monkeypatch.setenv("SENTINELLA_MEMORY_LIMIT", "lots")
    with pytest.raises(ConfigError, match="SENTINELLA_MEMORY_LIMIT 'lots'"):
        EngineSettings().resolved()
    monkeypatch.setenv("SENTINELLA_MEMORY_LIMIT", "1GB")
    resolved = EngineSettings().resolved()
    assert (resolved.memory_limit, resolved.threads) == ("1GB", 2)
    assert issubclass(ConfigError, SentinellaError)
