"""Identity: tenants, users, teams, roles and permissions, principals, API keys,
sessions, login throttling, sign-in policies for identity providers, the audit log."""

from domain.identity.api_keys import ApiKey, generate_api_key, hash_secret, key_expiry, parse_api_key
from domain.identity.audit import AuditEntry, AuditQuery, new_audit_id
from domain.identity.external import ExternalIdentity
from domain.identity.permissions import (
    PERMISSIONS,
    PLATFORM_PERMISSIONS,
    SCOPE_PERMISSIONS,
    ApiKeyScope,
    Permission,
    Role,
    authorize,
    minimum_role,
    scope_permissions,
)
from domain.identity.principal import Principal
from domain.identity.profile import Contact, ContactKind, normalize_email, normalize_username
from domain.identity.sessions import OneTimeToken, Session, hash_token, new_token
from domain.identity.sign_in_policy import SignInPolicy
from domain.identity.teams import Team
from domain.identity.tenants import Tenant, TenantStatus, validate_tenant_id
from domain.identity.throttle import LoginThrottle, ThrottleState
from domain.identity.users import ExternalAccount, Totp, User, UserStatus, check_new_password

__all__ = [
    "PERMISSIONS",
    "PLATFORM_PERMISSIONS",
    "SCOPE_PERMISSIONS",
    "ApiKey",
    "ApiKeyScope",
    "AuditEntry",
    "AuditQuery",
    "Contact",
    "ContactKind",
    "ExternalAccount",
    "ExternalIdentity",
    "LoginThrottle",
    "OneTimeToken",
    "Permission",
    "Principal",
    "Role",
    "Session",
    "SignInPolicy",
    "Team",
    "Tenant",
    "TenantStatus",
    "ThrottleState",
    "Totp",
    "User",
    "UserStatus",
    "authorize",
    "check_new_password",
    "generate_api_key",
    "hash_secret",
    "hash_token",
    "key_expiry",
    "minimum_role",
    "new_audit_id",
    "new_token",
    "normalize_email",
    "normalize_username",
    "parse_api_key",
    "scope_permissions",
    "validate_tenant_id",
]
