"""Tenants (a platform administrator's work) and the first run.

A new tenant comes with its first admin (invited: they set their password with the
one-time token) and an admin API key. Deactivating a tenant ends its sessions; from
then on none of its credentials is accepted (``authentication.check_tenant``), and
reactivating it brings its users and keys back.

The first run (``bootstrap_*``) makes the operator's tenant, its admin ``admin`` (a
platform administrator) with the generated password, and keeps the key files of the
embedded stack valid: an admin key for the operator and an ingest-only key for the
host agent, each replaced when it is missing, revoked, never-expiring or close to
expiry.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from domain.errors import Conflict, NotFound, ValidationError
from domain.identity.api_keys import DAY_MS, key_expiry, parse_api_key
from domain.identity.permissions import ApiKeyScope, Role
from domain.identity.sessions import hash_token, new_token
from domain.identity.tenants import Tenant
from domain.identity.users import User, UserStatus
from ports.clock import Clock
from ports.repositories import UnitOfWork, UnitOfWorkRunner
from services.identity.accounts import AccountService, Invitation
from services.identity.audit import Actor, key_view, tenant_view, user_view
from services.identity.config import IdentityOptions
from services.identity.verified_keys import VerifiedKeys, credentials_changed
from services.identity.keys import add_key

ADMIN_USERNAME = "admin"
ADMIN_EMAIL = "admin@observer-eye.local"
RENEW_BEFORE_MS = 14 * DAY_MS  # a key file's key closer than this to expiry is replaced at start


@dataclass(frozen=True, slots=True)
class TenantCreated:
    tenant: Tenant
    admin: Invitation
    api_key: str  # the admin key's plaintext, shown once


class TenantService:
    def __init__(self, uow: UnitOfWorkRunner, clock: Clock, accounts: AccountService,
                 options: IdentityOptions | None = None, verified_keys: VerifiedKeys | None = None) -> None:
        self._uow = uow
        self._clock = clock
        self._accounts = accounts
        self._options = options or IdentityOptions()
        self._verified = verified_keys

    async def list_tenants(self) -> list[Tenant]:
        return await self._uow.run(lambda uow: uow.tenants.list())

    async def create_tenant(self, actor: Actor, tenant_id: str, name: str, *, admin_username: str, admin_email: str,
                            admin_name: str) -> TenantCreated:
        now, token = self._clock.now_ms(), new_token()
        tenant = Tenant(tenant_id, name, created_at_ms=now)
        admin = User(f"usr_{secrets.token_hex(8)}", tenant.id, admin_username, admin_email, admin_name, Role.ADMIN,
                     status=UserStatus.INVITED, created_at_ms=now).invite(
            hash_token(token), now, self._options.invite_lifetime_ms)

        def work(uow: UnitOfWork) -> str:
            uow.tenants.add(tenant)
            uow.users.add(admin)
            key, plaintext = add_key(uow, tenant.id, "first admin key", [ApiKeyScope.ADMIN], now,
                                     expires_at_ms=key_expiry(now), owner=admin.id)
            uow.audit.add(actor.entry(tenant.id, "tenant.create", f"tenant:{tenant.id}", now, after=tenant_view(tenant)))
            uow.audit.add(actor.entry(tenant.id, "user.invite", f"user:{admin.id}", now, after=user_view(admin)))
            uow.audit.add(actor.entry(tenant.id, "api_key.create", f"api_key:{key.id}", now, after=key_view(key)))
            return plaintext

        plaintext = await self._uow.run(work)
        assert admin.invite_expires_at_ms is not None
        return TenantCreated(tenant, Invitation(admin, token, admin.invite_expires_at_ms), plaintext)

    async def deactivate_tenant(self, actor: Actor, tenant_id: str) -> Tenant:
        if actor.tenant == tenant_id:
            raise Conflict("you cannot deactivate the tenant you signed in to")
        return await self._set_status(actor, tenant_id, deactivate=True)

    async def reactivate_tenant(self, actor: Actor, tenant_id: str) -> Tenant:
        return await self._set_status(actor, tenant_id, deactivate=False)

    async def _set_status(self, actor: Actor, tenant_id: str, *, deactivate: bool) -> Tenant:
        now = self._clock.now_ms()

        def work(uow: UnitOfWork) -> Tenant:
            tenant = uow.tenants.get(tenant_id)
            if tenant is None:
                raise NotFound(f"no tenant {tenant_id!r}")
            updated = tenant.deactivate(now) if deactivate else tenant.reactivate()
            if updated != tenant:
                if deactivate:
                    uow.sessions.revoke_all(tenant_id, None, now)
                uow.tenants.save(updated)
                action = "tenant.deactivate" if deactivate else "tenant.reactivate"
                uow.audit.add(actor.entry(tenant_id, action, f"tenant:{tenant_id}", now,
                                          before=tenant_view(tenant), after=tenant_view(updated)))
            return updated

        updated = await self._uow.run(work)
        await credentials_changed(self._verified, tenant_id)
        return updated

    # ------------------------------------------------------------------ first run

    async def bootstrap_tenant(self, tenant_id: str, name: str = "Default") -> bool:
        """Make the tenant if it does not exist; True if it has no user yet."""
        now = self._clock.now_ms()

        def work(uow: UnitOfWork) -> bool:
            if uow.tenants.get(tenant_id) is None:
                tenant = Tenant(tenant_id, name, created_at_ms=now)
                uow.tenants.add(tenant)
                uow.audit.add(Actor.system().entry(tenant_id, "tenant.create", f"tenant:{tenant_id}", now,
                                                   after=tenant_view(tenant)))
            return not uow.users.list(tenant_id)

        return await self._uow.run(work)

    async def bootstrap_admin(self, tenant_id: str, password: str) -> User:
        """The first admin ``admin``, a platform administrator, with ``password``."""
        return await self._accounts.create_user(
            tenant_id, Actor.system(), username=ADMIN_USERNAME, email=ADMIN_EMAIL, name="Administrator",
            role=Role.ADMIN, password=password, platform_admin=True)

    async def ensure_key(self, tenant_id: str, current: str | None, *, name: str, scopes: list[ApiKeyScope],
                         owner_username: str | None = None) -> str | None:
        """Keep a key file valid: None if ``current`` is an active key of the tenant with
        these scopes that expires, and not within ``RENEW_BEFORE_MS``; else a new key's
        plaintext (the old one revoked) for the caller to write."""
        now = self._clock.now_ms()
        prefix = None
        if current:
            try:
                prefix, _ = parse_api_key(current)
            except ValidationError:
                prefix = None

        def work(uow: UnitOfWork) -> str | None:
            old = uow.api_keys.by_prefix(prefix) if prefix else None
            if old is not None and old.tenant != tenant_id:
                old = None
            if (old is not None and old.verify(current, now) and old.scopes == frozenset(scopes)
                    and old.expires_at_ms is not None and old.expires_at_ms - now > RENEW_BEFORE_MS):
                return None
            owner = uow.users.by_username(tenant_id, owner_username) if owner_username else None
            actor = Actor.system("first run")
            if old is not None and old.is_active(now):
                uow.api_keys.save(old.revoke(now))
                uow.audit.add(actor.entry(tenant_id, "api_key.revoke", f"api_key:{old.id}", now,
                                          after={"reason": "replaced at start (expired soon or never)"}))
            key, plaintext = add_key(uow, tenant_id, name, scopes, now, expires_at_ms=key_expiry(now),
                                     owner=owner.id if owner is not None and owner.active else None)
            uow.audit.add(actor.entry(tenant_id, "api_key.create", f"api_key:{key.id}", now, after=key_view(key)))
            return plaintext

        return await self._uow.run(work)
