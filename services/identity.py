"""Authentication and first-run bootstrap."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from domain.errors import AuthenticationFailed, Conflict, ValidationError
from domain.identity.api_keys import ApiKey, generate_api_key, parse_api_key
from domain.identity.permissions import ApiKeyScope
from domain.identity.principal import Principal
from domain.identity.tenants import Tenant
from ports.auth import TokenVerifier
from ports.clock import Clock
from ports.repositories import UnitOfWork, UnitOfWorkRunner

DEFAULT_TENANT = "default"


@dataclass(frozen=True, slots=True)
class Bootstrap:
    tenant: str
    api_key: str | None  # plaintext, only when it was created by this call


class IdentityService:
    def __init__(self, uow: UnitOfWorkRunner, clock: Clock, tokens: TokenVerifier) -> None:
        self._uow = uow
        self._clock = clock
        self._tokens = tokens

    async def authenticate(self, credential: str | None) -> Principal:
        if not credential:
            raise AuthenticationFailed("credential required: send 'Authorization: Bearer <API key or token>'")
        credential = credential.strip()
        if credential.startswith("oe_"):
            try:
                prefix, _ = parse_api_key(credential)
            except ValidationError as exc:
                raise AuthenticationFailed(exc.message) from None
            key = await self._uow.run(lambda uow: uow.api_keys.by_prefix(prefix))
            if key is None or not key.verify(credential, self._clock.now_ms()):
                raise AuthenticationFailed("API key is unknown, revoked or expired")
            return key.principal()
        return await self._tokens.verify(credential)

    async def create_api_key(self, tenant: str, name: str, scopes: list[str]) -> tuple[ApiKey, str]:
        now = self._clock.now_ms()

        def work(uow: UnitOfWork) -> tuple[ApiKey, str]:
            for _ in range(3):
                key, plaintext = generate_api_key(tenant, name, scopes, now, id=f"key_{secrets.token_hex(8)}")
                try:
                    uow.api_keys.add(key)
                    return key, plaintext
                except Conflict:
                    continue  # a 48-bit prefix collided: mint again
            raise Conflict("could not mint a unique API key prefix; try again")

        return await self._uow.run(work)

    async def bootstrap(self, tenant: str = DEFAULT_TENANT, tenant_name: str = "Default") -> Bootstrap:
        """Create the first tenant and an admin key if the tenant has none (first run)."""

        def ensure_tenant(uow: UnitOfWork) -> bool:
            if uow.tenants.get(tenant) is None:
                uow.tenants.add(Tenant(tenant, tenant_name))
            return not uow.api_keys.list(tenant)

        if await self._uow.run(ensure_tenant):
            scopes = [ApiKeyScope.INGEST.value, ApiKeyScope.READ.value, ApiKeyScope.ADMIN.value]
            _, plaintext = await self.create_api_key(tenant, "bootstrap admin", scopes)
            return Bootstrap(tenant, plaintext)
        return Bootstrap(tenant, None)
