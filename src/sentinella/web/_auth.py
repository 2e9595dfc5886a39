"""Console sessions: an API key given once at login, then a signed, HttpOnly cookie.

The cookie holds the key's ID, its role and an expiry, signed with HMAC-SHA256 under a secret
made when the console is mounted (a restart logs everyone out). It never holds the key's
secret. Every request checks again that the key is live, so revoking a key ends its sessions at
once. Forms that change anything carry a token derived from the session (``csrf``); the cookie
is also ``SameSite=Strict``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from dataclasses import dataclass

from fastapi import Request

from sentinella.api import verify_key
from sentinella.api._http import service_of

from ._errors import ConsoleAuthError

COOKIE = "sentinella_session"
LIFETIME = 8 * 3600  # seconds a session lasts
# roles that see the analyst pages and change cases: an admin can make itself an analyst's key
# anyway, so refusing it here would only send it round through ``keys create``
ANALYST_ROLES = ("analyst", "admin")


def _same(a: str, b: str) -> bool:
    """Constant-time comparison of any two texts (compare_digest refuses non-ASCII str)."""
    return hmac.compare_digest(a.encode("utf-8", "surrogatepass"), b.encode("utf-8", "surrogatepass"))


@dataclass(frozen=True)
class User:
    """Who is looking: a key's ID and role, or the public (no key)."""

    key_id: str | None
    role: str
    session: str | None = None

    @property
    def analyst(self) -> bool:
        """May see subjects and work cases (role analyst or admin)."""
        return self.role in ANALYST_ROLES

    @property
    def actor(self) -> str:
        return f"key:{self.key_id}" if self.key_id else "public"


PUBLIC = User(None, "public")


class Sessions:
    """Signs and checks session cookies and the forms' CSRF tokens."""

    def __init__(self, secret: bytes | None = None, lifetime: int = LIFETIME) -> None:
        self._secret = secret or secrets.token_bytes(32)
        self.lifetime = lifetime

    def _sign(self, payload: str) -> str:
        return hmac.new(self._secret, payload.encode("utf-8"), hashlib.sha256).hexdigest()

    def issue(self, key_id: str, role: str, now: float | None = None) -> str:
        body = json.dumps(
            {"k": key_id, "r": role, "e": int((now or time.time()) + self.lifetime)}, separators=(",", ":")
        )
        payload = base64.urlsafe_b64encode(body.encode("utf-8")).decode("ascii")
        return f"{payload}.{self._sign(payload)}"

    def read(self, cookie: str, now: float | None = None) -> tuple[str, str] | None:
        """(key ID, role) of a well-signed, unexpired cookie; None otherwise."""
        payload, _, signature = cookie.partition(".")
        if not payload or len(cookie) > 1000 or not _same(self._sign(payload), signature):
            return None
        try:
            body = json.loads(base64.urlsafe_b64decode(payload.encode("ascii")))
            key_id, role, expires = str(body["k"]), str(body["r"]), int(body["e"])
        except (ValueError, KeyError, TypeError):
            return None
        if expires < (now or time.time()):
            return None
        return key_id, role

    def csrf(self, session: str) -> str:
        return self._sign("csrf:" + session)


def sessions_of(request: Request) -> Sessions:
    found: Sessions = request.app.state.console_sessions
    return found


def _live(request: Request, key_id: str, role: str) -> bool:
    service = service_of(request)
    row = service.one("SELECT role FROM api_keys WHERE key_id = ? AND revoked_at IS NULL", [key_id])
    return row is not None and row["role"] == role


def current_user(request: Request) -> User:
    """The session's user, a bearer key's (for scripts reading the JSON twins), or the public."""
    header = request.headers.get("authorization")
    if header:
        scheme, _, token = header.partition(" ")
        found = (
            verify_key(service_of(request).cursor(), token.strip()) if scheme.lower() == "bearer" else None
        )
        if found is None:
            raise ConsoleAuthError(401, "unknown or revoked API key")
        return User(found["key_id"], found["role"])
    cookie = request.cookies.get(COOKIE)
    if not cookie:
        return PUBLIC
    read = sessions_of(request).read(cookie)
    if read is None or not _live(request, *read):
        return PUBLIC
    return User(read[0], read[1], cookie)


def check_csrf(request: Request, user: User, token: str | None) -> None:
    """A change needs a session and the token of that session (header or form field)."""
    presented = token or request.headers.get("x-csrf-token")
    if user.session is None:
        if request.headers.get("authorization") and user.key_id:
            return  # a bearer key is not sent by a browser on its own: no cross-site risk
        raise ConsoleAuthError(401, "log in first")
    if not presented or not _same(presented, sessions_of(request).csrf(user.session)):
        raise ConsoleAuthError(403, "the form's security token is missing or stale: reload the page")
