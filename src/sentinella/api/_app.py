"""The FastAPI application: public, analyst, ingest, analysis and admin routes; problems for
every error.

``create_app(service)`` is the one factory (the web console mounts on what it returns) and
``_http.require(role, ...)`` the one key-and-role dependency; both are meant to stay stable.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException

from sentinella import __version__

from . import _admin, _analyses, _analyst, _ingest, _public
from ._errors import Problem
from ._http import BodyLimit, RateLimiter, on_crash, on_http, on_problem, on_validation
from ._service import Service


def create_app(service: Service, *, close_on_shutdown: bool = False) -> FastAPI:
    """The API over an open :class:`Service` (the server's hold on the store)."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        if close_on_shutdown:
            service.close()

    app = FastAPI(
        title="Sentinella",
        version=__version__,
        summary="Trust and safety for social commerce: credit, risk, cases.",
        description=(
            "Public routes need no key and never return personal data. Other routes need "
            "`Authorization: Bearer <key>` with a key of the route's role (`sentinella keys create "
            "--role analyst|ingest|admin`): analyst routes read and work cases, ingest routes append "
            "records, analyses run with an ingest or analyst key, admin routes manage keys (an admin key "
            "also opens every analyst route and runs analyses). Every "
            "call with a key is written to the audit trail. Errors are RFC 9457 problem+json "
            "documents naming the field at fault."
        ),
        lifespan=lifespan,
    )
    app.state.service = service
    app.state.limiter = RateLimiter(service.public_rate)
    app.add_exception_handler(Problem, on_problem)
    app.add_exception_handler(RequestValidationError, on_validation)
    app.add_exception_handler(StarletteHTTPException, on_http)
    app.add_exception_handler(Exception, on_crash)
    app.add_middleware(
        BodyLimit, limit=service.max_body, large_prefix="/v1/ingest/", large_limit=service.max_ingest_body
    )
    app.add_middleware(_public.CreditFastPath, api=app)  # outermost: a cached card skips the rest

    @app.get("/health", tags=["public"], summary="Liveness: the server answers and the store is open")
    def health() -> dict[str, Any]:
        service.one("SELECT 1 AS ok")
        return {"status": "ok", "version": __version__}

    app.include_router(_public.router)
    app.include_router(_analyst.router)
    app.include_router(_ingest.router)
    app.include_router(_analyses.router)
    app.include_router(_admin.router)
    from sentinella.web import mount_console  # the web console shares this app (kept out of OpenAPI)

    mount_console(app)
    return app
