"""The permission matrix: nesting, the documented split, authorize and principals."""

from __future__ import annotations

import pytest
from hypothesis import given, strategies as st

from domain.errors import PermissionDenied, ValidationError
from domain.identity import (
    PERMISSIONS,
    PLATFORM_PERMISSIONS,
    SCOPE_PERMISSIONS,
    ApiKeyScope,
    Permission as P,
    Principal,
    Role,
    authorize,
    minimum_role,
)

roles = st.sampled_from(Role)
permissions = st.sampled_from(sorted(set(P) - PLATFORM_PERMISSIONS))
any_permission = st.sampled_from(P)
scope_sets = st.frozensets(st.sampled_from(ApiKeyScope))


def test_roles_nest_strictly():
    assert PERMISSIONS[Role.VIEWER] < PERMISSIONS[Role.RESPONDER] < PERMISSIONS[Role.ADMIN]
    assert PERMISSIONS[Role.ADMIN] == frozenset(P) - PLATFORM_PERMISSIONS
    assert set(PERMISSIONS) == set(Role)


@given(roles, roles, permissions)
def test_a_higher_role_holds_every_permission_of_a_lower_one(a, b, permission):
    if a.includes(b) and permission in PERMISSIONS[b]:
        assert permission in PERMISSIONS[a]


@given(roles, permissions)
def test_authorize_agrees_with_the_matrix_and_minimum_role(role, permission):
    granted = permission in PERMISSIONS[role]
    assert granted == role.includes(minimum_role(permission))
    if granted:
        authorize(role, permission)
    else:
        with pytest.raises(PermissionDenied) as info:
            authorize(role, permission)
        message = str(info.value)
        assert role.value in message and permission.value in message and minimum_role(permission).value in message


def test_the_documented_split():
    viewer = {P.READ_TELEMETRY, P.READ_ALERTS, P.READ_INCIDENTS, P.READ_COMPLIANCE, P.READ_TEAMS}
    assert PERMISSIONS[Role.VIEWER] == viewer
    assert PERMISSIONS[Role.RESPONDER] - viewer == {P.ACT_ON_INCIDENTS, P.MANAGE_INCIDENTS, P.MANAGE_SILENCES,
                                                         P.MANAGE_OVERRIDES, P.MANAGE_DASHBOARDS}
    for admin_only in (P.MANAGE_RULES, P.MANAGE_COMPLIANCE, P.MANAGE_USERS, P.MANAGE_TEAMS,
                       P.MANAGE_API_KEYS, P.READ_AUDIT, P.INGEST_TELEMETRY, P.MANAGE_ONCALL):
        assert minimum_role(admin_only) is Role.ADMIN
    assert PLATFORM_PERMISSIONS == {P.MANAGE_TENANTS, P.MANAGE_DEAD_LETTERS}
    assert minimum_role(P.MANAGE_TENANTS) is None and minimum_role(P.MANAGE_DEAD_LETTERS) is None


@given(roles, st.sampled_from(sorted(PLATFORM_PERMISSIONS)))
def test_no_role_and_no_key_holds_a_platform_permission(role, permission):
    with pytest.raises(PermissionDenied, match="platform administrators"):
        authorize(role, permission)
    assert not Principal("acme", "u-1", role).can(permission)
    platform_key = Principal("ops", "api_key:k", Role.ADMIN, frozenset(ApiKeyScope), platform_admin=True)
    assert not platform_key.can(permission)
    with pytest.raises(PermissionDenied):
        platform_key.require(permission)
    operator = Principal("ops", "u-1", role, platform_admin=True)
    assert operator.can(permission)
    operator.require(permission)


def test_scopes_map_to_permissions():
    assert SCOPE_PERMISSIONS[ApiKeyScope.INGEST] == {P.INGEST_TELEMETRY}
    assert SCOPE_PERMISSIONS[ApiKeyScope.READ] == PERMISSIONS[Role.VIEWER]
    assert SCOPE_PERMISSIONS[ApiKeyScope.RESPONDER] == PERMISSIONS[Role.RESPONDER]
    assert SCOPE_PERMISSIONS[ApiKeyScope.ADMIN] == PERMISSIONS[Role.ADMIN]


@given(roles, scope_sets, permissions)
def test_principal_is_capped_by_role_and_scopes(role, scopes, permission):
    unscoped = Principal("acme", "u-1", role)
    scoped = Principal("acme", "u-1", role, scopes)
    assert unscoped.can(permission) == (permission in PERMISSIONS[role])
    in_scopes = any(permission in SCOPE_PERMISSIONS[s] for s in scopes)
    assert scoped.can(permission) == (unscoped.can(permission) and in_scopes)
    if scoped.can(permission):
        scoped.require(permission)
    else:
        with pytest.raises(PermissionDenied):
            scoped.require(permission)


def test_scope_denial_names_the_scopes():
    with pytest.raises(PermissionDenied, match=r"scopes \[ingest\] do not allow 'telemetry:read'"):
        Principal("acme", "api_key:k1", Role.ADMIN, frozenset({ApiKeyScope.INGEST})).require(P.READ_TELEMETRY)


def test_principal_validation():
    assert Principal("acme", "u", "admin", ["read"]).scopes == {ApiKeyScope.READ}
    for kwargs, field in [({"tenant": "A"}, "tenant"), ({"subject": ""}, "subject"), ({"subject": "x" * 256}, "subject"),
                          ({"role": "root"}, "role"), ({"scopes": "read"}, "scopes"), ({"scopes": ["write"]}, "scopes")]:
        args = {"tenant": "acme", "subject": "u", "role": Role.VIEWER, **kwargs}
        with pytest.raises(ValidationError) as info:
            Principal(**args)
        assert info.value.field == field
