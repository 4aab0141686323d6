"""Rows of ``oe_identity`` <-> tenants, users, teams, API keys, sessions, audit entries."""

from __future__ import annotations

from typing import Any

from adapters.django_orm.identity import models as m
from domain.identity.api_keys import ApiKey
from domain.identity.audit import AuditEntry
from domain.identity.permissions import Role
from domain.identity.profile import Contact
from domain.identity.sessions import OneTimeToken, Session
from domain.identity.teams import Team
from domain.identity.tenants import Tenant
from domain.identity.throttle import ThrottleState
from domain.identity.users import ExternalAccount, Totp, User


def tenant_fields(t: Tenant) -> dict[str, Any]:
    return {"id": t.id, "name": t.name, "status": t.status.value, "created_at_ms": t.created_at_ms,
            "deactivated_at_ms": t.deactivated_at_ms}


def tenant_from_row(row: m.Tenant) -> Tenant:
    return Tenant(row.id, row.name, row.status, row.created_at_ms, row.deactivated_at_ms)


def user_fields(u: User) -> dict[str, Any]:
    """The user row's columns (external accounts are rows of their own)."""
    return {
        "tenant": u.tenant, "user_id": u.id, "username": u.username, "email": u.email, "name": u.name,
        "role": u.role.value, "status": u.status.value, "timezone": u.timezone,
        "contacts": [c.as_dict() for c in u.contacts], "password_hash": u.password_hash,
        "totp_secret": u.totp.secret if u.totp else None, "totp_confirmed": bool(u.totp and u.totp.confirmed),
        "totp_last_step": u.totp.last_step if u.totp else None, "platform_admin": u.platform_admin,
        "created_at_ms": u.created_at_ms, "last_sign_in_ms": u.last_sign_in_ms, "last_sign_in_mfa": u.last_sign_in_mfa,
        "invite_token_hash": u.invite_token_hash, "invite_expires_at_ms": u.invite_expires_at_ms,
        "deactivated_at_ms": u.deactivated_at_ms,
    }


def user_from_row(row: m.User, accounts: list[m.ExternalAccount] | None = None) -> User:
    totp = Totp(row.totp_secret, row.totp_confirmed, row.totp_last_step) if row.totp_secret else None
    linked = row.external_accounts.all() if accounts is None else accounts
    return User(
        id=row.user_id, tenant=row.tenant, username=row.username, email=row.email, name=row.name, role=Role(row.role),
        status=row.status, timezone=row.timezone,  # type: ignore[arg-type]
        contacts=tuple(Contact(c["kind"], c["address"]) for c in row.contacts or ()),  # type: ignore[arg-type]
        password_hash=row.password_hash or None, totp=totp, platform_admin=row.platform_admin,
        created_at_ms=row.created_at_ms, last_sign_in_ms=row.last_sign_in_ms, last_sign_in_mfa=row.last_sign_in_mfa,
        invite_token_hash=row.invite_token_hash, invite_expires_at_ms=row.invite_expires_at_ms,
        external_accounts=frozenset(ExternalAccount(a.provider, a.issuer, a.subject) for a in linked),
        deactivated_at_ms=row.deactivated_at_ms,
    )


def team_from_row(row: m.Team, members: list[str]) -> Team:
    return Team(row.team_id, row.tenant, row.name, row.description, frozenset(members))


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
        "owner": k.owner,
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
        owner=row.owner or None,
    )


def session_fields(s: Session) -> dict[str, Any]:
    return {
        "tenant": s.tenant, "session_id": s.id, "user_id": s.user_id, "token_hash": s.token_hash,
        "csrf_hash": s.csrf_hash, "auth": s.auth, "created_at_ms": s.created_at_ms,
        "last_seen_at_ms": s.last_seen_at_ms, "idle_ms": s.idle_ms, "expires_at_ms": s.expires_at_ms, "mfa": s.mfa,
        "remote_addr": s.remote_addr, "user_agent": s.user_agent, "revoked_at_ms": s.revoked_at_ms,
    }


def session_from_row(row: m.Session) -> Session:
    return Session(
        id=row.session_id, tenant=row.tenant, user_id=row.user_id, token_hash=row.token_hash, csrf_hash=row.csrf_hash,
        auth=row.auth, created_at_ms=row.created_at_ms, last_seen_at_ms=row.last_seen_at_ms, idle_ms=row.idle_ms,
        expires_at_ms=row.expires_at_ms, mfa=row.mfa, remote_addr=row.remote_addr, user_agent=row.user_agent,
        revoked_at_ms=row.revoked_at_ms,
    )


def one_time_token_from_row(row: m.OneTimeToken) -> OneTimeToken:
    return OneTimeToken(row.kind, row.token_hash, row.expires_at_ms, dict(row.payload))


def throttle_from_row(row: m.LoginThrottle) -> ThrottleState:
    return ThrottleState(row.failures, row.window_start_ms, row.locked_until_ms, row.lockouts)


def audit_fields(e: AuditEntry) -> dict[str, Any]:
    return {
        "tenant": e.tenant, "entry_id": e.id, "at_ms": e.at_ms, "actor": e.actor, "actor_name": e.actor_name,
        "actor_tenant": e.actor_tenant, "action": e.action, "target": e.target, "remote_addr": e.remote_addr,
        "status": e.status, "before": e.before, "after": e.after,
    }


def audit_from_row(row: m.AuditEntry) -> AuditEntry:
    return AuditEntry(
        id=row.entry_id, tenant=row.tenant, at_ms=row.at_ms, actor=row.actor, action=row.action, target=row.target,
        actor_name=row.actor_name, actor_tenant=row.actor_tenant, remote_addr=row.remote_addr, status=row.status,
        before=row.before, after=row.after,
    )
