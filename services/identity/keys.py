"""API keys as a managed resource: create (secret shown once), list (never a secret),
revoke, rotate. A key expires in 90 days unless another lifetime, or none, is asked for
explicitly; its owner is a user of the tenant (by default whoever created it), and the
key never holds more than its owner's role allows (the routes make the caller the
owner unless told otherwise)."""

from __future__ import annotations

import secrets
from collections.abc import Iterable

from domain.errors import Conflict, LimitExceeded, NotFound, PermissionDenied, ValidationError
from domain.identity.api_keys import ApiKey, generate_api_key, key_expiry
from domain.identity.permissions import PERMISSIONS, ApiKeyScope, scope_permissions
from ports.clock import Clock
from ports.repositories import UnitOfWork, UnitOfWorkRunner
from services.identity.audit import Actor, key_view
from services.identity.verified_keys import VerifiedKeys, credentials_changed

MAX_KEYS_PER_TENANT = 1000  # active ones


def _new_id() -> str:
    return f"key_{secrets.token_hex(8)}"


def add_key(uow: UnitOfWork, tenant: str, name: str, scopes: Iterable[ApiKeyScope | str], now: int, *,
            expires_at_ms: int | None, owner: str | None) -> tuple[ApiKey, str]:
    """Mint and store a key in ``uow``: ``(record, plaintext)``. A clashing 48-bit
    prefix (rare) is minted again."""
    scopes = list(scopes)
    for _ in range(3):
        key, plaintext = generate_api_key(tenant, name, scopes, now, id=_new_id(), expires_at_ms=expires_at_ms,
                                          owner=owner)
        try:
            uow.api_keys.add(key)
            return key, plaintext
        except Conflict:
            continue
    raise Conflict("could not mint a unique API key prefix; try again")


class ApiKeyService:
    def __init__(self, uow: UnitOfWorkRunner, clock: Clock, verified_keys: VerifiedKeys | None = None) -> None:
        self._uow = uow
        self._clock = clock
        self._verified = verified_keys

    async def create_api_key(self, tenant: str, name: str, scopes: Iterable[ApiKeyScope | str], *,
                             actor: Actor | None = None, owner: str | None = None, expires_in_days: int | None = None,
                             never_expires: bool = False) -> tuple[ApiKey, str]:
        """A new key and its plaintext (shown once). ``owner``: an active user of the
        tenant whose role allows the scopes, or None for a key of the tenant itself."""
        actor = actor or Actor.system()
        now = self._clock.now_ms()
        expires = key_expiry(now, expires_in_days, never_expires=never_expires)
        scopes = [ApiKeyScope.parse(s) for s in scopes]

        def work(uow: UnitOfWork) -> tuple[ApiKey, str]:
            if uow.tenants.get(tenant) is None:
                raise NotFound(f"no tenant {tenant!r}")
            if sum(1 for k in uow.api_keys.list(tenant) if k.is_active(now)) >= MAX_KEYS_PER_TENANT:
                raise LimitExceeded(f"tenant {tenant!r} holds {MAX_KEYS_PER_TENANT} active keys; revoke unused ones",
                                    field="name", limit="max_api_keys_per_tenant", value=MAX_KEYS_PER_TENANT)
            if owner is not None:
                user = uow.users.get(tenant, owner)
                if user is None or not user.active:
                    raise ValidationError(f"owner {owner!r} is not an active user of this tenant", field="owner")
                if not scope_permissions(scopes) <= PERMISSIONS[user.role]:
                    raise PermissionDenied(f"the owner's role {user.role.value!r} does not allow scopes "
                                           f"{sorted({s.value for s in scopes})}")
            key, plaintext = add_key(uow, tenant, name, scopes, now, expires_at_ms=expires, owner=owner)
            uow.audit.add(actor.entry(tenant, "api_key.create", f"api_key:{key.id}", now, after=key_view(key)))
            return key, plaintext

        return await self._uow.run(work)

    async def list_keys(self, tenant: str) -> list[ApiKey]:
        return await self._uow.run(lambda uow: uow.api_keys.list(tenant))

    async def get_key(self, tenant: str, key_id: str) -> ApiKey:
        def work(uow: UnitOfWork) -> ApiKey:
            key = uow.api_keys.get(tenant, key_id)
            if key is None:
                raise NotFound(f"no API key {key_id!r}")
            return key

        return await self._uow.run(work)

    async def revoke_key(self, tenant: str, key_id: str, actor: Actor) -> ApiKey:
        now = self._clock.now_ms()

        def work(uow: UnitOfWork) -> ApiKey:
            key = uow.api_keys.get(tenant, key_id)
            if key is None:
                raise NotFound(f"no API key {key_id!r}")
            revoked = key.revoke(now)
            if revoked is not key:
                uow.api_keys.save(revoked)
                uow.audit.add(actor.entry(tenant, "api_key.revoke", f"api_key:{key.id}", now,
                                          before=key_view(key), after=key_view(revoked)))
            return revoked

        revoked = await self._uow.run(work)
        await credentials_changed(self._verified, tenant)
        return revoked

    async def rotate_key(self, tenant: str, key_id: str, actor: Actor, *, grace_s: int = 0) -> tuple[ApiKey, str]:
        """A new key in place of ``key_id`` (same name, scopes, owner, lifetime); the old
        one is revoked, or keeps working ``grace_s`` more seconds (at most a day)."""
        if isinstance(grace_s, bool) or not isinstance(grace_s, int) or not 0 <= grace_s <= 86_400:
            raise ValidationError("grace_s must be 0 to 86400 seconds", field="grace_s")
        now = self._clock.now_ms()

        def work(uow: UnitOfWork) -> tuple[ApiKey, str]:
            key = uow.api_keys.get(tenant, key_id)
            if key is None:
                raise NotFound(f"no API key {key_id!r}")
            for _ in range(3):
                old, new, plaintext = key.rotate(now, _new_id(), grace_ms=grace_s * 1000)
                try:
                    uow.api_keys.add(new)
                    break
                except Conflict:
                    continue
            else:
                raise Conflict("could not mint a unique API key prefix; try again")
            uow.api_keys.save(old)
            uow.audit.add(actor.entry(tenant, "api_key.rotate", f"api_key:{key.id}", now,
                                      before=key_view(key), after={"old": key_view(old), "new": key_view(new)}))
            return new, plaintext

        rotated = await self._uow.run(work)
        await credentials_changed(self._verified, tenant)
        return rotated
