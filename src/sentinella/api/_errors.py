"""Errors of the service layer: one base for the CLI, one problem type for HTTP answers."""

from __future__ import annotations

from typing import Any

from sentinella.errors import SentinellaError


class ServiceError(SentinellaError, RuntimeError):
    """The service cannot start or a key cannot be managed; the message says what to do."""


class ApiKeyError(ServiceError):
    """An API key cannot be created, found or revoked."""


class Problem(Exception):
    """An RFC 9457 problem: status, a short title, a detail for people, the field at fault.

    ``extra`` holds extension members (RFC 9457 §3.2), e.g. an ingest batch's per-row errors.
    """

    def __init__(
        self,
        status: int,
        title: str,
        detail: str,
        *,
        field: str | None = None,
        headers: dict[str, str] | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(detail)
        self.headers = headers or {}
        self.status = status
        self.title = title
        self.detail = detail
        self.field = field
        self.extra = extra or {}
