"""The web console (docs/capabilities.md, "Interfaces"): pages for analysts and buyers over the API's store.

``mount_console(app)`` adds the console to the API's FastAPI application at ``/console``
(``/`` redirects there), with its static files (vendored htmx, Cytoscape.js, Vega, Vega-Lite
and vega-embed, each with its version in the file name and its licence; nothing is loaded from
another site). Pages are server-rendered with Jinja2; each has a JSON twin built by the same
view (``/console/merchants/S1`` and ``/console/merchants/S1.json``). Login takes an API key
and sets a signed, HttpOnly session cookie; roles decide what is shown, and nothing personal is
shown to the public.
"""

from __future__ import annotations

from ._mount import VENDORED, mount_console

__all__ = ["VENDORED", "mount_console"]
