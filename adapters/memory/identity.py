"""In-memory repositories of the identity context (ports/identity_store.py).

Like the other in-memory repositories they copy entities in and out and replace rows
instead of mutating them, so the unit of work's rollback snapshot stays valid. Lookups
scan: fine for tests and the embedded demo, which is what this adapter is for.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from domain.errors import Conflict
from domain.identity.audit import AuditQuery
from domain.identity.tenants import Tenant


class MemoryTenantRepository:
    def __init__(self, table) -> None:
        self._t = table

    def add(self, tenant: Tenant) -> None:
        if ("", tenant.id) in self._t.rows:
            raise Conflict(f"tenant {tenant.id!r} already exists")
        self._t.put(("", tenant.id), tenant)

    def save(self, tenant: Tenant) -> None:
        self._t.put(("", tenant.id), tenant)

    def get(self, tenant_id: str):
        return self._t.get(("", tenant_id))

    def list(self) -> list:
        return sorted(self._t.where(lambda t: True), key=lambda t: (t.created_at_ms, t.id))


class MemoryApiKeyRepository:
    def __init__(self, table) -> None:
        self._t = table

    def add(self, key) -> None:
        if ("", key.prefix) in self._t.rows:
            raise Conflict("an API key with this prefix already exists")
        self._t.put(("", key.prefix), key)

    def save(self, key) -> None:
        self._t.put(("", key.prefix), key)

    def by_prefix(self, prefix: str):
        return self._t.get(("", prefix))

    def get(self, tenant: str, key_id: str):
        found = self._t.where(lambda k: k.tenant == tenant and k.id == key_id)
        return found[0] if found else None

    def list(self, tenant: str) -> list:
        return sorted(self._t.where(lambda k: k.tenant == tenant), key=lambda k: (k.created_at_ms, k.id))


class MemoryUserRepository:
    def __init__(self, table) -> None:
        self._t = table

    def _check_unique(self, user) -> None:
        for other in self._t.rows.values():
            if other.tenant != user.tenant or other.id == user.id:
                continue
            if other.username == user.username:
                raise Conflict(f"username {user.username!r} is taken in tenant {user.tenant!r}")
            if other.email.lower() == user.email.lower():
                raise Conflict(f"email {user.email!r} is taken in tenant {user.tenant!r}")
            if other.external_accounts & user.external_accounts:
                raise Conflict("this external account is linked to another user")

    def add(self, user) -> None:
        if (user.tenant, user.id) in self._t.rows:
            raise Conflict(f"user {user.id!r} already exists")
        self._check_unique(user)
        self._t.put((user.tenant, user.id), user)

    def save(self, user) -> None:
        self._check_unique(user)
        self._t.put((user.tenant, user.id), user)

    def get(self, tenant: str, user_id: str):
        return self._t.get((tenant, user_id))

    def _one(self, pred):
        found = self._t.where(pred)
        return found[0] if found else None

    def by_username(self, tenant: str, username: str):
        return self._one(lambda u: u.tenant == tenant and u.username == username)

    def by_email(self, tenant: str, email: str):
        return self._one(lambda u: u.tenant == tenant and u.email.lower() == email.lower())

    def by_external(self, tenant: str, issuer: str, subject: str):
        return self._one(lambda u: u.tenant == tenant and any(
            a.issuer == issuer and a.subject == subject for a in u.external_accounts))

    def by_invite_token(self, token_hash: str):
        return self._one(lambda u: u.invite_token_hash == token_hash)

    def list(self, tenant: str, statuses: Sequence[Any] = ()) -> list:
        rows = self._t.where(lambda u: u.tenant == tenant and (not statuses or u.status in statuses))
        return sorted(rows, key=lambda u: u.username)


class MemoryTeamRepository:
    def __init__(self, table) -> None:
        self._t = table

    def _check_name(self, team) -> None:
        for other in self._t.rows.values():
            if other.tenant == team.tenant and other.id != team.id and other.name.lower() == team.name.lower():
                raise Conflict(f"a team named {team.name!r} exists already")

    def add(self, team) -> None:
        if (team.tenant, team.id) in self._t.rows:
            raise Conflict(f"team {team.id!r} already exists")
        self._check_name(team)
        self._t.put((team.tenant, team.id), team)

    def save(self, team) -> None:
        self._check_name(team)
        self._t.put((team.tenant, team.id), team)

    def get(self, tenant: str, team_id: str):
        return self._t.get((tenant, team_id))

    def list(self, tenant: str, member: str | None = None) -> list:
        rows = self._t.where(lambda t: t.tenant == tenant and (member is None or member in t.members))
        return sorted(rows, key=lambda t: (t.name.lower(), t.id))

    def remove(self, tenant: str, team_id: str) -> bool:
        return self._t.rows.pop((tenant, team_id), None) is not None


class MemorySessionRepository:
    def __init__(self, table) -> None:
        self._t = table

    def add(self, session) -> None:
        if ("", session.token_hash) in self._t.rows:
            raise Conflict("a session with this token exists already")
        self._t.put(("", session.token_hash), session)

    def save(self, session) -> None:
        self._t.put(("", session.token_hash), session)

    def by_token(self, token_hash: str):
        return self._t.get(("", token_hash))

    def get(self, tenant: str, session_id: str):
        found = self._t.where(lambda s: s.tenant == tenant and s.id == session_id)
        return found[0] if found else None

    def list(self, tenant: str, user_id: str) -> list:
        rows = self._t.where(lambda s: s.tenant == tenant and s.user_id == user_id)
        return sorted(rows, key=lambda s: (s.created_at_ms, s.id), reverse=True)

    def revoke_all(self, tenant: str, user_id: str | None, now_ms: int) -> int:
        hits = [k for k, s in self._t.rows.items() if s.tenant == tenant and s.revoked_at_ms is None
                and (user_id is None or s.user_id == user_id)]
        for k in hits:
            self._t.rows[k] = replace(self._t.rows[k], revoked_at_ms=now_ms)
        return len(hits)

    def purge(self, before_ms: int) -> int:
        gone = [k for k, s in self._t.rows.items()
                if min(s.expires_at_ms, s.last_seen_at_ms + s.idle_ms,
                       s.revoked_at_ms if s.revoked_at_ms is not None else s.expires_at_ms) < before_ms]
        for k in gone:
            del self._t.rows[k]
        return len(gone)


class MemoryOneTimeTokenRepository:
    def __init__(self, table) -> None:
        self._t = table

    def add(self, token) -> None:
        if ("", token.token_hash) in self._t.rows:
            raise Conflict("this one-time token exists already")
        self._t.put(("", token.token_hash), token)

    def take(self, kind: str, token_hash: str, now_ms: int):
        found = self._t.rows.get(("", token_hash))
        if found is None or found.kind != kind:
            return None
        del self._t.rows[("", token_hash)]
        return found if now_ms < found.expires_at_ms else None

    def purge(self, now_ms: int) -> int:
        gone = [k for k, t in self._t.rows.items() if t.expires_at_ms <= now_ms]
        for k in gone:
            del self._t.rows[k]
        return len(gone)


class MemoryLoginThrottleRepository:
    def __init__(self, table) -> None:
        self._t = table

    def get(self, key: str):
        row = self._t.rows.get(("", key))
        return row[0] if row is not None else None

    def save(self, key: str, state, forget_after_ms: int) -> None:
        self._t.rows[("", key)] = (state, forget_after_ms)

    def delete(self, key: str) -> None:
        self._t.rows.pop(("", key), None)

    def purge(self, now_ms: int) -> int:
        gone = [k for k, (_, forget) in self._t.rows.items() if forget <= now_ms]
        for k in gone:
            del self._t.rows[k]
        return len(gone)


class MemoryAuditRepository:
    def __init__(self, table) -> None:
        self._t = table

    def add(self, entry) -> None:
        if (entry.tenant, entry.id) in self._t.rows:
            raise Conflict(f"audit entry {entry.id!r} exists already")
        self._t.put((entry.tenant, entry.id), entry)

    def query(self, query: AuditQuery) -> list:
        rows = self._t.where(query.matches)
        rows.sort(key=lambda e: e.id, reverse=True)
        return rows[: query.limit]

    def purge(self, before_ms: int) -> int:
        gone = [k for k, e in self._t.rows.items() if e.at_ms < before_ms]
        for k in gone:
            del self._t.rows[k]
        return len(gone)
