"""Pages and their JSON twins from one view (datasette's habit): the page renders that data.

A view is a plain function returning a dict. ``Twins.page`` registers it twice: ``PATH``
renders the dict through a template, ``PATH.json`` returns the same dict as JSON (also
``PATH?format=json``). Values are made JSON-safe first (decimals, timestamps) so the template
sees exactly what the JSON says.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from ._auth import User, sessions_of
from ._errors import ConsoleAuthError, ConsoleError

HERE = Path(__file__).parent
PREFIX = "/console"
# the browser may load nothing from another site; Vega compiles its expressions (eval), htmx and
# vega-embed add inline styles
CSP = (
    "default-src 'self'; script-src 'self' 'unsafe-eval'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'"
)
View = Callable[..., dict[str, Any]]

templates = Jinja2Templates(directory=str(HERE / "templates"))
templates.env.filters["tojson_compact"] = lambda value: json.dumps(value, ensure_ascii=False)


def _money(value: Any, currency: str | None = None) -> str:
    if value is None:
        return "–"
    text = f"{float(value):,.2f}"
    return f"{text} {currency}" if currency else text


def _pct(value: Any) -> str:
    return "–" if value is None else f"{100 * float(value):.1f}%"


templates.env.filters["money"] = _money
templates.env.filters["pct"] = _pct
templates.env.globals["PREFIX"] = PREFIX


def safe(data: Any) -> Any:
    """JSON-safe values: what both the JSON twin and the template receive."""
    return jsonable_encoder(data)


def render(request: Request, template: str, data: dict[str, Any], user: User, status: int = 200) -> Response:
    context = {
        "data": data,
        "user": user,
        "csrf": sessions_of(request).csrf(user.session) if user.session else "",
        "json_url": _json_url(request),
    }
    response = templates.TemplateResponse(request, template, context, status_code=status)
    response.headers["Content-Security-Policy"] = CSP
    return response


def _json_url(request: Request) -> str:
    path = request.url.path.rstrip("/") or PREFIX
    if path == PREFIX:
        path = f"{PREFIX}/index"
    query = str(request.url.query)
    return f"{path}.json" + (f"?{query}" if query else "")


def error_response(request: Request, error: ConsoleError, user: User, as_json: bool) -> Response:
    if as_json:
        body = {"type": "about:blank", "title": "Console error", "status": error.status, "detail": str(error)}
        return JSONResponse(body, status_code=error.status, media_type="application/problem+json")
    if isinstance(error, ConsoleAuthError) and error.status == 401:
        return RedirectResponse(f"{PREFIX}/login?next={request.url.path}", status_code=303)
    return render(request, "error.html", {"status": error.status, "detail": str(error)}, user, error.status)


class Twins:
    """Registers each view as a page and its JSON twin on one router."""

    def __init__(self, router: APIRouter) -> None:
        self.router = router
        self.pages: list[str] = []

    def page(self, path: str, template: str) -> Callable[[View], View]:
        def register(view: View) -> View:
            @functools.wraps(view)
            def as_html(**kwargs: Any) -> Response:
                request, user = kwargs["request"], kwargs["user"]
                wants_json = request.query_params.get("format") == "json"
                try:
                    data = safe(view(**kwargs))
                except ConsoleError as error:
                    return error_response(request, error, user, wants_json)
                if wants_json:
                    return JSONResponse(data)
                return render(request, template, data, user)

            @functools.wraps(view)
            def as_json(**kwargs: Any) -> Response:
                try:
                    return JSONResponse(safe(view(**kwargs)))
                except ConsoleError as error:
                    return error_response(kwargs["request"], error, kwargs["user"], True)

            json_path = (path.rstrip("/") or "/index") + ".json"
            if path == "/":
                json_path = "/index.json"
            self.router.add_api_route(json_path, as_json, methods=["GET"], include_in_schema=False)
            self.router.add_api_route(
                path, as_html, methods=["GET"], response_class=HTMLResponse, include_in_schema=False
            )
            self.pages.append(path)
            return view

        return register
