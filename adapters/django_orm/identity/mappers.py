"""Rows of ``oe_identity`` <-> tenants, users and API keys."""

from __future__ import annotations

from typing import Any

from adapters.django_orm.identity import models as m
from domain.identity.api_keys import ApiKey
from domain.identity.permissions import Role
from domain.identity.tenants import Tenant
from domain.identity.users import User


def tenant_fields(t: Tenant) -> dict[str, Any]:
    return {"id": t.id, "name": t.name}


def tenant_from_row(row: m.Tenant) -> Tenant:
    return Tenant(row.id, row.name)


def user_fields(u: User) -> dict[str, Any]:
    return {"tenant": u.tenant, "user_id": u.id, "email": u.email, "name": u.name, "role": u.role.value}


def user_from_row(row: m.User) -> User:
    return User(row.user_id, row.tenant, row.email, row.name, Role(row.role))


def api_key_fields(k: ApiKey) -> dict[str, Any]:
    return {
        "tenant": k.tenant,
        "key_id": k.id,
        "name": k.name,
        "prefix": k.prefix,
        "secret_hash": k.secret_hash,
        "scopes": sorted(s.value for s in k.scopes),
        "created_at_ms": k.created_at_ms,
        "expires_at_ms": k.expires_at_ms,
        "revoked_at_ms": k.revoked_at_ms,
    }


def api_key_from_row(row: m.ApiKey) -> ApiKey:
    return ApiKey(
        id=row.key_id,
        tenant=row.tenant,
        name=row.name,
        prefix=row.prefix,
        secret_hash=row.secret_hash,
        scopes=frozenset(row.scopes),
        created_at_ms=row.created_at_ms,
        expires_at_ms=row.expires_at_ms,
        revoked_at_ms=row.revoked_at_ms,
    )
