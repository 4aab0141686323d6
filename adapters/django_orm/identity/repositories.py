"""Tenant and API key repositories over ``oe_identity`` (ports.repositories)."""

from __future__ import annotations

from adapters.django_orm.identity import mappers
from adapters.django_orm.identity.models import ApiKey as ApiKeyRow
from adapters.django_orm.identity.models import Tenant as TenantRow
from adapters.django_orm.rows import insert, upsert
from domain.identity.api_keys import ApiKey
from domain.identity.tenants import Tenant


class DjangoTenantRepository:
    def __init__(self, using: str) -> None:
        self._db = using

    def add(self, tenant: Tenant) -> None:
        insert(TenantRow, self._db, mappers.tenant_fields(tenant), f"tenant {tenant.id!r}")

    def get(self, tenant_id: str) -> Tenant | None:
        row = TenantRow.objects.using(self._db).filter(id=tenant_id).first()
        return mappers.tenant_from_row(row) if row is not None else None

    def list(self) -> list[Tenant]:
        return [mappers.tenant_from_row(r) for r in TenantRow.objects.using(self._db).order_by("created_at", "id")]


class DjangoApiKeyRepository:
    """Keys are looked up by their globally unique prefix (the ingest hot path)."""

    def __init__(self, using: str) -> None:
        self._db = using

    def add(self, key: ApiKey) -> None:
        insert(ApiKeyRow, self._db, mappers.api_key_fields(key), "an API key with this prefix")

    def save(self, key: ApiKey) -> None:
        upsert(ApiKeyRow, self._db, mappers.api_key_fields(key), ["prefix"])

    def by_prefix(self, prefix: str) -> ApiKey | None:
        row = ApiKeyRow.objects.using(self._db).filter(prefix=prefix).first()
        return mappers.api_key_from_row(row) if row is not None else None

    def list(self, tenant: str) -> list[ApiKey]:
        rows = ApiKeyRow.objects.using(self._db).filter(tenant=tenant).order_by("pk")
        return [mappers.api_key_from_row(r) for r in rows]
