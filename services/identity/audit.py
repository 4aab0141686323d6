"""Who acts (``Actor``), how identity objects look in the API and the audit log
(``*_view``), and the audit log's use cases: record, query, export, purge.

Identity changes write their audit entry in the same unit of work as the change, so
an entry exists exactly when the change does. Changes elsewhere (rules, incidents,
silences, compliance facts) are recorded per request by the HTTP adapter's audit
middleware through ``AuditService.record``.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from domain.errors import ValidationError
from domain.identity.api_keys import ApiKey
from domain.identity.audit import AuditEntry, AuditQuery, new_audit_id
from domain.identity.principal import Principal
from domain.identity.teams import Team
from domain.identity.tenants import Tenant
from domain.identity.users import User
from ports.clock import Clock
from ports.repositories import UnitOfWork, UnitOfWorkRunner

DAY_MS = 86_400_000
EXPORT_PAGE = 500


@dataclass(frozen=True, slots=True)
class Actor:
    """Who made a change, for the audit log: a principal (with the address it came
    from), the command line (``cli:<os user>``) or the platform itself (``system``)."""

    subject: str
    name: str = ""
    tenant: str = ""
    remote_addr: str = ""

    @classmethod
    def of(cls, principal: Principal, remote_addr: str = "") -> "Actor":
        return cls(principal.subject, principal.username or "", principal.tenant, remote_addr)

    @classmethod
    def cli(cls, os_user: str) -> "Actor":
        return cls(f"cli:{os_user or 'unknown'}", os_user)

    @classmethod
    def system(cls, what: str = "observer-eye") -> "Actor":
        return cls("system", what)

    def entry(self, tenant: str, action: str, target: str, at_ms: int, *, before: Any = None, after: Any = None,
              status: int | None = None) -> AuditEntry:
        return AuditEntry(
            id=new_audit_id(at_ms), tenant=tenant, at_ms=at_ms, actor=self.subject, action=action, target=target,
            actor_name=self.name, actor_tenant=self.tenant if self.tenant and self.tenant != tenant else "",
            remote_addr=self.remote_addr, status=status, before=before, after=after,
        )


# ---------------------------------------------------------------------------- views


def user_view(user: User) -> dict[str, Any]:
    """A user as admins see them (never a hash, a sealed secret or a token)."""
    return {
        "id": user.id, "tenant": user.tenant, "username": user.username, "email": user.email, "name": user.name,
        "role": user.role.value, "status": user.status.value, "timezone": user.timezone,
        "contacts": [c.as_dict() for c in user.contacts], "mfa_enabled": user.mfa_enabled,
        "platform_admin": user.platform_admin, "created_at_ms": user.created_at_ms,
        "last_sign_in_ms": user.last_sign_in_ms, "invitation_expires_at_ms": user.invite_expires_at_ms,
        "identity_providers": sorted({a.provider for a in user.external_accounts}),
    }


def key_view(key: ApiKey) -> dict[str, Any]:
    """A key without its secret or hash: the masked form only."""
    return {
        "id": key.id, "tenant": key.tenant, "name": key.name, "key": key.masked, "prefix": key.prefix,
        "scopes": sorted(s.value for s in key.scopes), "owner": key.owner, "created_at_ms": key.created_at_ms,
        "expires_at_ms": key.expires_at_ms, "revoked_at_ms": key.revoked_at_ms,
    }


def team_view(team: Team) -> dict[str, Any]:
    return {"id": team.id, "tenant": team.tenant, "name": team.name, "description": team.description,
            "members": sorted(team.members)}


def tenant_view(tenant: Tenant) -> dict[str, Any]:
    return {"id": tenant.id, "name": tenant.name, "status": tenant.status.value, "created_at_ms": tenant.created_at_ms,
            "deactivated_at_ms": tenant.deactivated_at_ms}


# --------------------------------------------------------------------- the service


class AuditService:
    def __init__(self, uow: UnitOfWorkRunner, clock: Clock, retention_days: int = 365) -> None:
        self._uow = uow
        self._clock = clock
        self.retention_days = retention_days

    async def record(self, actor: Actor, tenant: str, action: str, target: str = "", *, status: int | None = None,
                     before: Any = None, after: Any = None) -> AuditEntry:
        """Record an entry on its own (the per-request audit of changes made elsewhere)."""
        entry = actor.entry(tenant, action, target, self._clock.now_ms(), before=before, after=after, status=status)
        await self._uow.run(lambda uow: uow.audit.add(entry))
        return entry

    async def query(self, query: AuditQuery) -> list[AuditEntry]:
        return await self._uow.run(lambda uow: uow.audit.query(query))

    async def export(self, query: AuditQuery) -> AsyncIterator[str]:
        """Every entry matching ``query`` (its ``limit`` is the page size, not a cap), as
        JSON lines, newest first, one unit of work per page."""
        page = query
        while True:
            entries = await self.query(page)
            for entry in entries:
                yield json.dumps(entry.as_dict(), separators=(",", ":"), sort_keys=True) + "\n"
            if len(entries) < page.limit:
                return
            page = AuditQuery(page.tenant, page.actor, page.action, page.target, page.since_ms, page.until_ms,
                              before=entries[-1].id, limit=page.limit)

    async def purge(self, older_than_days: int, actor: Actor) -> int:
        """Delete entries older than ``older_than_days`` (never younger than the retention
        promised to auditors, ``retention_days``); the purge itself is recorded."""
        if isinstance(older_than_days, bool) or not isinstance(older_than_days, int) or older_than_days < self.retention_days:
            raise ValidationError(f"audit entries are kept at least {self.retention_days} days "
                                  "(OBSERVER_AUDIT_RETENTION_DAYS)", field="older_than_days")
        now = self._clock.now_ms()

        def work(uow: UnitOfWork) -> int:
            deleted = uow.audit.purge(now - older_than_days * DAY_MS)
            for tenant in uow.tenants.list():
                uow.audit.add(actor.entry(tenant.id, "audit.purge", f"older_than_days:{older_than_days}", now,
                                          after={"deleted_everywhere": deleted}))
            return deleted

        return await self._uow.run(work)
