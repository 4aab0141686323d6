"""API keys of the caller's tenant: the secret is in the answer to create and rotate
only; listings show the masked form."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field

from adapters.http.deps import ApiServices, require, services
from adapters.http.routes.auth import actor_of
from domain.identity.permissions import Permission
from domain.identity.principal import Principal
from services.identity.audit import key_view

router = APIRouter(prefix="/api/v1/api-keys", tags=["api keys"])
Svc = Annotated[ApiServices, Depends(services)]
KeyAdmin = Annotated[Principal, Depends(require(Permission.MANAGE_API_KEYS))]


class KeyIn(BaseModel):
    name: str = Field(max_length=100)
    scopes: list[Literal["ingest", "read", "responder", "admin"]] = Field(min_length=1, max_length=4)
    owner: str | None = Field(default=None, max_length=128,
                              description="a user id of the tenant; default: you (if you are a person)")
    expires_in_days: int | None = Field(default=None, ge=1, le=3650, description="default 90")
    never_expires: bool = Field(default=False, description="only when you must: compliance counts these keys")


@router.get("", summary="The API keys of your tenant (never their secrets)")
async def list_keys(principal: KeyAdmin, svc: Svc) -> dict:
    return {"data": [key_view(k) for k in await svc.identity.keys.list_keys(principal.tenant)]}


@router.post("", status_code=201, summary="Create an API key: its secret is in this answer only")
async def create_key(body: KeyIn, request: Request, principal: KeyAdmin, svc: Svc) -> dict:
    key, secret = await svc.identity.keys.create_api_key(
        principal.tenant, body.name, body.scopes, actor=actor_of(request, principal),
        owner=body.owner if body.owner is not None else principal.user_id, expires_in_days=body.expires_in_days,
        never_expires=body.never_expires)
    return {"data": {**key_view(key), "secret": secret}}


@router.get("/{key_id}", summary="One API key (never its secret)")
async def get_key(key_id: str, principal: KeyAdmin, svc: Svc) -> dict:
    return {"data": key_view(await svc.identity.keys.get_key(principal.tenant, key_id))}


@router.delete("/{key_id}", summary="Revoke an API key (at once, for good)")
async def revoke_key(key_id: str, request: Request, principal: KeyAdmin, svc: Svc) -> dict:
    return {"data": key_view(await svc.identity.keys.revoke_key(principal.tenant, key_id, actor_of(request, principal)))}


class RotateIn(BaseModel):
    grace_s: int = Field(default=0, ge=0, le=86_400, description="how long the old key keeps working")


@router.post("/{key_id}/rotate", summary="Replace an API key with a new one (same name, scopes, owner, lifetime)")
async def rotate_key(key_id: str, request: Request, principal: KeyAdmin, svc: Svc, body: RotateIn | None = None) -> dict:
    key, secret = await svc.identity.keys.rotate_key(principal.tenant, key_id, actor_of(request, principal),
                                                     grace_s=body.grace_s if body else 0)
    return {"data": {**key_view(key), "secret": secret}}
