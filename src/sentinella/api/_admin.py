"""Key management while the server runs (key of role admin): create, list, revoke.

While ``sentinella serve`` holds the store, ``sentinella keys ... --db`` cannot open it (one
writer at a time), so keys are managed through the server: these routes, or the same CLI
commands given ``--server URL`` and an admin key. A revoked key is refused from its next call
on: every call checks its key in the store.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Request
from pydantic import BaseModel, ConfigDict, Field

from ._errors import ApiKeyError, Problem
from ._http import Caller, require, service_of
from ._keys import create_key, list_keys, revoke_key

Admin = Annotated[Caller, Depends(require("admin"))]
router = APIRouter(prefix="/v1/keys", tags=["admin"])
KeyId = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[0-9a-f]+$")]


class KeyRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    role: Literal["public", "analyst", "ingest", "admin"]
    label: str | None = Field(default=None, max_length=200)


@router.post("", status_code=201, summary="Create a key (the answer is the only time it is shown)")
def new_key(body: KeyRequest, request: Request, caller: Admin) -> dict[str, Any]:
    with service_of(request).writing() as connection:
        secret, record = create_key(connection, role=body.role, actor=caller.actor, label=body.label)
    return {"key": secret, **record.__dict__}


@router.get("", summary="Keys with role and state (never the secrets)")
def keys(request: Request, caller: Admin) -> list[dict[str, Any]]:
    return [key.__dict__ for key in list_keys(service_of(request).cursor())]


@router.post("/{key_id}/revoke", summary="Revoke a key: refused from its next call on; its record stays")
def revoke(key_id: KeyId, request: Request, caller: Admin) -> dict[str, Any]:
    with service_of(request).writing() as connection:
        try:
            revoke_key(connection, key_id, actor=caller.actor)
        except ApiKeyError as error:
            status = 404 if "no key" in str(error) else 409
            raise Problem(
                status, "Not found" if status == 404 else "Conflict", str(error), field="key_id"
            ) from error
    return {"key_id": key_id, "revoked": True}
