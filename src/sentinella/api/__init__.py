"""The REST API (docs/capabilities.md, "Interfaces"): FastAPI over the store, the store's single writer.

``Service.open(db)`` takes the store read-write (the one writer while the server runs) and
reads through a cursor per worker thread; ``create_app(service)`` builds the application;
``sentinella serve`` runs it with uvicorn. Keys (``create_key``, ``revoke_key``) have a role:
public (no key needed; no personal data; rate-limited per client), analyst, ingest (no ingest
route yet). Errors are RFC 9457 problem+json.
"""

from __future__ import annotations

from ._app import create_app
from ._errors import ApiKeyError, Problem, ServiceError
from ._http import RateLimiter
from ._keys import ROLES, ApiKey, create_key, list_keys, revoke_key, verify_key
from ._service import Service

__all__ = [
    "ROLES",
    "ApiKey",
    "ApiKeyError",
    "Problem",
    "RateLimiter",
    "Service",
    "ServiceError",
    "create_app",
    "create_key",
    "list_keys",
    "revoke_key",
    "verify_key",
]
