"""The REST API (docs/capabilities.md, "Interfaces"): FastAPI over the store, the store's single writer.

``Service.open(db)`` takes the store read-write (the one writer while the server runs) and
reads through a cursor per worker thread; ``create_app(service)`` builds the application;
``sentinella serve`` runs it with uvicorn. Keys (``create_key``, ``revoke_key``) have a role:
public (no key needed; no personal data; rate-limited per client), analyst (read, cases, rules),
ingest (append records, run analyses), admin (an analyst who also manages keys while the server
runs). ``require(role,
...)`` is the dependency that checks a request's key and role and audits the call; the web
console mounts on ``create_app``'s application and guards its pages with ``require``. Analyses
run as jobs in the server's worker thread (``JobRunner``). Errors are RFC 9457 problem+json.
"""

from __future__ import annotations

from ._app import create_app
from ._errors import ApiKeyError, Problem, ServiceError
from ._http import Caller, RateLimiter, require
from ._jobs import ANALYSES, Job, JobRunner
from ._keys import ROLES, ApiKey, create_key, list_keys, revoke_key, verify_key
from ._service import Service

__all__ = [
    "ANALYSES",
    "ROLES",
    "ApiKey",
    "ApiKeyError",
    "Caller",
    "Job",
    "JobRunner",
    "Problem",
    "RateLimiter",
    "Service",
    "ServiceError",
    "create_app",
    "create_key",
    "list_keys",
    "require",
    "revoke_key",
    "verify_key",
]
