"""Identity: tenants, users, roles and permissions, principals, API keys."""

from domain.identity.api_keys import ApiKey, generate_api_key, hash_secret, parse_api_key
from domain.identity.permissions import (
    PERMISSIONS,
    SCOPE_PERMISSIONS,
    ApiKeyScope,
    Permission,
    Role,
    authorize,
    minimum_role,
    scope_permissions,
)
from domain.identity.principal import Principal
from domain.identity.tenants import Tenant, validate_tenant_id
from domain.identity.users import User, normalize_email

__all__ = [
    "PERMISSIONS",
    "SCOPE_PERMISSIONS",
    "ApiKey",
    "ApiKeyScope",
    "Permission",
    "Principal",
    "Role",
    "Tenant",
    "User",
    "authorize",
    "generate_api_key",
    "hash_secret",
    "minimum_role",
    "normalize_email",
    "parse_api_key",
    "scope_permissions",
    "validate_tenant_id",
]
