"""Tenants, for platform administrators: create (with the first admin and key), list,
deactivate and reactivate."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field

from adapters.http.deps import ApiServices, require, services
from adapters.http.routes.auth import actor_of
from adapters.http.routes.users import invitation_out
from domain.identity.permissions import Permission
from domain.identity.principal import Principal
from services.identity.audit import tenant_view

router = APIRouter(prefix="/api/v1/tenants", tags=["tenants"])
Svc = Annotated[ApiServices, Depends(services)]
PlatformAdmin = Annotated[Principal, Depends(require(Permission.MANAGE_TENANTS))]


@router.get("", summary="Every tenant (platform administrators)")
async def list_tenants(principal: PlatformAdmin, svc: Svc) -> dict:
    return {"data": [tenant_view(t) for t in await svc.identity.tenants.list_tenants()]}


class AdminIn(BaseModel):
    username: str = Field(max_length=64)
    email: str = Field(max_length=254)
    name: str = Field(max_length=200)


class TenantIn(BaseModel):
    id: str = Field(max_length=63, description="a DNS label: a-z, 0-9, -")
    name: str = Field(max_length=200)
    admin: AdminIn


@router.post("", status_code=201, summary="Create a tenant with its first admin (invited) and an admin API key")
async def create_tenant(body: TenantIn, request: Request, principal: PlatformAdmin, svc: Svc) -> dict:
    created = await svc.identity.tenants.create_tenant(
        actor_of(request, principal), body.id, body.name, admin_username=body.admin.username,
        admin_email=body.admin.email, admin_name=body.admin.name)
    return {"data": {"tenant": tenant_view(created.tenant), "admin": invitation_out(created.admin),
                     "api_key": created.api_key}}


@router.post("/{tenant_id}/deactivate", summary="Deactivate a tenant: none of its credentials is accepted any more")
async def deactivate_tenant(tenant_id: str, request: Request, principal: PlatformAdmin, svc: Svc) -> dict:
    return {"data": tenant_view(await svc.identity.tenants.deactivate_tenant(actor_of(request, principal), tenant_id))}


@router.post("/{tenant_id}/reactivate", summary="Reactivate a tenant")
async def reactivate_tenant(tenant_id: str, request: Request, principal: PlatformAdmin, svc: Svc) -> dict:
    return {"data": tenant_view(await svc.identity.tenants.reactivate_tenant(actor_of(request, principal), tenant_id))}
