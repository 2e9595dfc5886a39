"""Mounting the console on the API's application."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from ._auth import PUBLIC, Sessions
from ._errors import ConsoleError
from ._routes import router
from ._views import HERE, PREFIX, error_response

# the front-end libraries shipped in static/vendor (from the npm registry), with their licences
VENDORED = {
    "htmx.org": "2.0.11",
    "cytoscape": "3.35.0",
    "vega": "6.4.0",
    "vega-lite": "6.5.0",
    "vega-embed": "7.3.0",
}


def mount_console(app: FastAPI, sessions: Sessions | None = None) -> None:
    """Add the console's pages, JSON twins and static files to ``app`` (kept out of OpenAPI)."""
    app.state.console_sessions = sessions or Sessions()
    app.mount(f"{PREFIX}/static", StaticFiles(directory=str(HERE / "static")), name="console-static")
    app.include_router(router)

    async def on_console_error(request: Request, error: Exception) -> Response:
        # raised before a view runs (a bad bearer key in ``current_user``)
        assert isinstance(error, ConsoleError)
        wants_json = request.url.path.endswith(".json") or request.query_params.get("format") == "json"
        return error_response(request, error, PUBLIC, wants_json)

    app.add_exception_handler(ConsoleError, on_console_error)

    @app.get("/", include_in_schema=False)
    def home() -> RedirectResponse:
        return RedirectResponse(f"{PREFIX}/", status_code=307)
