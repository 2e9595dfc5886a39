"""HTTP plumbing: RFC 9457 problems, body size limit, keys and roles, public rate limit, audit."""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from fastapi import Depends, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from sentinella import audit

from ._errors import Problem
from ._keys import verify_key
from ._service import Service

PROBLEM_JSON = "application/problem+json"
log = logging.getLogger("sentinella.api")


def problem_response(
    status: int,
    title: str,
    detail: str,
    *,
    instance: str | None = None,
    field: str | None = None,
    extra: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    body: dict[str, Any] = {"type": "about:blank", "title": title, "status": status, "detail": detail}
    if instance is not None:
        body["instance"] = instance
    if field is not None:
        body["field"] = field
    body.update(extra or {})
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def _field(loc: tuple[Any, ...] | list[Any]) -> str:
    parts = [str(p) for p in loc]
    if parts and parts[0] in ("body", "query", "path", "header"):
        parts = parts[1:] or parts
    return ".".join(parts)


async def on_problem(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, Problem)
    return problem_response(
        error.status,
        error.title,
        error.detail,
        instance=request.url.path,
        field=error.field,
        headers=error.headers,
        extra=error.extra,
    )


async def on_validation(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, RequestValidationError)
    issues = [
        {"field": _field(e.get("loc", ())), "message": str(e.get("msg", "invalid"))} for e in error.errors()
    ]
    first = issues[0] if issues else {"field": "", "message": "invalid request"}
    return problem_response(
        422,
        "Invalid request",
        f"{first['field']}: {first['message']}",
        instance=request.url.path,
        field=first["field"],
        extra={"errors": issues},
    )


async def on_http(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, StarletteHTTPException)
    titles = {404: "Not found", 405: "Method not allowed"}
    detail = error.detail if isinstance(error.detail, str) else "request failed"
    if error.status_code == 404 and detail == "Not Found":
        detail = f"no route {request.url.path}"
    return problem_response(
        error.status_code,
        titles.get(error.status_code, "Request failed"),
        detail,
        instance=request.url.path,
        headers=dict(error.headers or {}),
    )


async def on_crash(request: Request, error: Exception) -> JSONResponse:
    log.error("unhandled error on %s %s: %r", request.method, request.url.path, error)
    return problem_response(
        500, "Internal error", "the server failed to answer; the error was logged", instance=request.url.path
    )


class BodyLimit:
    """Refuse request bodies over ``limit`` bytes (413) before any handler reads them; paths
    under ``large_prefix`` (ingest batches) may send up to ``large_limit``."""

    def __init__(
        self, app: ASGIApp, limit: int, large_prefix: str = "", large_limit: int | None = None
    ) -> None:
        self.app, self.limit = app, limit
        self.large_prefix, self.large_limit = large_prefix, large_limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD"):
            await self.app(scope, receive, send)
            return
        limit = self.limit
        if self.large_prefix and self.large_limit and scope["path"].startswith(self.large_prefix):
            limit = self.large_limit
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > limit):
            await self._refuse(scope, receive, send, limit)
            return
        chunks: list[bytes] = []
        size, more = 0, True
        while more:
            message = await receive()
            if message["type"] != "http.request":
                break
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                await self._refuse(scope, receive, send, limit)
                return
            chunks.append(chunk)
            more = bool(message.get("more_body", False))
        body, sent = b"".join(chunks), False

        async def replay() -> Message:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send, limit: int) -> None:
        response = problem_response(
            413, "Request too large", f"request body over {limit:,} bytes", instance=scope.get("path")
        )
        await response(scope, receive, send)


@dataclass(frozen=True)
class Caller:
    key_id: str | None
    role: str

    @property
    def actor(self) -> str:
        return f"key:{self.key_id}" if self.key_id else "public"


def service_of(request: Request) -> Service:
    service: Service = request.app.state.service
    return service


def _presented(request: Request) -> str | None:
    header = request.headers.get("authorization")
    if header:
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Problem(401, "Unauthorized", "Authorization must be 'Bearer <key>'", field="Authorization")
        return token.strip()
    return request.headers.get("x-api-key")


def require(role: str, *also: str) -> Callable[[Request], Caller]:
    """A dependency: the request carries a live key of ``role`` (or one of ``also``); the call is
    audited. The web console reuses it for its own pages."""
    roles = (role, *also)
    needed = " or ".join(roles)

    def check(request: Request) -> Caller:
        service = service_of(request)
        presented = _presented(request)
        if not presented:
            raise Problem(
                401, "Unauthorized", f"this route needs an API key of role {needed}", field="Authorization"
            )
        found = verify_key(service.cursor(), presented)
        if found is None:
            raise Problem(401, "Unauthorized", "unknown or revoked API key", field="Authorization")
        if found["role"] not in roles:
            raise Problem(
                403,
                "Forbidden",
                f"this route needs role {needed}; the key has role {found['role']}",
                field="Authorization",
            )
        caller = Caller(found["key_id"], str(found["role"]))
        query = str(request.url.query)
        with service.writing() as connection:
            audit.record(
                connection,
                actor=caller.actor,
                action=f"api.{request.method.lower()}",
                target_kind="route",
                target_id=request.url.path,
                detail=query or None,
            )
        return caller

    return check


class RateLimiter:
    """A token bucket per client address: ``rate`` requests a second, bursts of ``2 × rate``."""

    def __init__(self, rate: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.rate = rate
        self.clock = clock
        self.burst = max(1.0, 2 * rate)
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def allow(self, client: str) -> float:
        """0 when allowed, else the seconds until a request would be."""
        if self.rate <= 0:
            return 0.0
        now = self.clock()
        with self._lock:
            tokens, last = self._buckets.get(client, (self.burst, now))
            tokens = min(self.burst, tokens + (now - last) * self.rate)
            if tokens >= 1:
                self._buckets[client] = (tokens - 1, now)
                return 0.0
            self._buckets[client] = (tokens, now)
            if len(self._buckets) > 100_000:  # forget idle clients rather than grow without bound
                self._buckets.clear()
            return (1 - tokens) / self.rate


async def public_caller(request: Request) -> Caller:
    limiter: RateLimiter = request.app.state.limiter
    client = request.client.host if request.client else "unknown"
    wait = limiter.allow(client)
    if wait > 0:
        raise Problem(
            429,
            "Too many requests",
            f"public routes allow {limiter.rate:g} requests a second per client",
            headers={"Retry-After": str(max(1, math.ceil(wait)))},
        )
    return Caller(None, "public")


PublicCaller = Depends(public_caller)
