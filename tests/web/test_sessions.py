"""Session cookies and the login's return address: hostile input never passes or crashes."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from sentinella.web._auth import Sessions
from sentinella.web._routes import _next

SESSIONS = Sessions(b"k" * 32, lifetime=3600)


def test_an_issued_cookie_reads_back_until_it_expires() -> None:
    cookie = SESSIONS.issue("abc123", "analyst", now=1_000_000)
    assert SESSIONS.read(cookie, now=1_000_000 + 3599) == ("abc123", "analyst")
    assert SESSIONS.read(cookie, now=1_000_000 + 3601) is None
    assert Sessions(b"x" * 32).read(cookie, now=1_000_000) is None  # another server's secret


@given(st.text(max_size=300))
def test_any_text_is_refused_without_error(text: str) -> None:
    assert SESSIONS.read(text) is None


@given(st.integers(min_value=0), st.sampled_from("0123456789abcdef"))
def test_changing_any_character_of_a_cookie_refuses_it(position: int, replacement: str) -> None:
    cookie = SESSIONS.issue("abc123", "analyst")
    i = position % len(cookie)
    forged = cookie[:i] + (replacement if cookie[i] != replacement else "Z") + cookie[i + 1 :]
    assert SESSIONS.read(forged) is None


def test_the_forms_token_belongs_to_its_session() -> None:
    one, two = SESSIONS.issue("a", "analyst"), SESSIONS.issue("b", "analyst")
    assert SESSIONS.csrf(one) == SESSIONS.csrf(one) != SESSIONS.csrf(two)


@given(st.text(max_size=200))
def test_login_returns_only_inside_the_console(target: str) -> None:
    back = _next(target)
    assert back.startswith("/console/") and not back.startswith("//") and "\\" not in back
    assert back == target or back == "/console/"


@given(st.text(max_size=100))
def test_any_forms_token_is_compared_without_error(token: str) -> None:
    from sentinella.web._auth import _same

    assert _same(token, SESSIONS.csrf("s")) is (token == SESSIONS.csrf("s"))
