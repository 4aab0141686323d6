"""Roles, permissions and API-key scopes: who may do what.

Three roles, each a strict superset of the one before (``viewer ⊂ responder ⊂ admin``),
modelled on PagerDuty's responder and Grafana's viewer/editor/admin split:

- **viewer** reads: telemetry, alerts, incidents, compliance posture. Stakeholders,
  support, auditors.
- **responder** is on call: everything a viewer does, plus acting on incidents
  (acknowledge, resolve, add notes), managing incidents (change severity, close),
  managing silences, overriding on-call schedules (taking or handing over a
  shift), and saving dashboards for the tenant. A silence is the responder's tool
  for a noisy page at 3 a.m.: it is time-bounded and audited, so handing it to
  responders is safe.
- **admin** configures: everything a responder does, plus alert rules, remediation
  runbooks, escalation policies and on-call schedules, compliance controls, users,
  teams, API keys, reading the audit log, and ingesting telemetry. Rules decide who
  gets paged and how often, so changing them is configuration of the whole tenant, not
  incident work; ingest is a machine permission, normally exercised through an
  ``ingest``-scoped API key.

Above the tenants, **platform administrators** (a flag on a user of the operator's
tenant, never a role) manage the tenants themselves: ``PLATFORM_PERMISSIONS`` are held by
no role, only by a platform administrator's own sign-in (never by an API key).

API-key scopes cap what a key may do (see ``SCOPE_PERMISSIONS``): ``ingest`` pushes
telemetry and nothing else, ``read`` has a viewer's permissions, ``responder`` a
responder's, ``admin`` an admin's.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from types import MappingProxyType

from domain.errors import PermissionDenied, ValidationError


class Role(str, enum.Enum):
    VIEWER = "viewer"
    RESPONDER = "responder"
    ADMIN = "admin"

    @property
    def rank(self) -> int:
        """Position in the nesting: a higher rank holds every permission of a lower one."""
        return _RANK[self]

    def includes(self, other: "Role") -> bool:
        return self.rank >= other.rank

    @classmethod
    def parse(cls, value: object, *, field: str = "role") -> "Role":
        try:
            return cls(value)
        except ValueError:
            allowed = ", ".join(r.value for r in cls)
            raise ValidationError(f"unknown role {value!r}; use one of {allowed}", field=field) from None


_RANK = {Role.VIEWER: 0, Role.RESPONDER: 1, Role.ADMIN: 2}


class Permission(str, enum.Enum):
    READ_TELEMETRY = "telemetry:read"
    INGEST_TELEMETRY = "telemetry:ingest"
    READ_ALERTS = "alerts:read"
    MANAGE_RULES = "rules:manage"
    MANAGE_SILENCES = "silences:manage"
    READ_INCIDENTS = "incidents:read"
    ACT_ON_INCIDENTS = "incidents:act"  # acknowledge, resolve, add notes
    MANAGE_INCIDENTS = "incidents:manage"  # change severity, close
    READ_COMPLIANCE = "compliance:read"
    MANAGE_COMPLIANCE = "compliance:manage"
    READ_TEAMS = "teams:read"
    MANAGE_TEAMS = "teams:manage"
    MANAGE_USERS = "users:manage"
    MANAGE_API_KEYS = "api_keys:manage"
    MANAGE_RUNBOOKS = "runbooks:manage"  # the remediation runbook catalogue
    READ_AUDIT = "audit:read"
    MANAGE_TENANTS = "tenants:manage"  # platform administrators only (PLATFORM_PERMISSIONS)
    MANAGE_DEAD_LETTERS = "dead_letters:manage"  # messages the consumers gave up on: list, replay
    MANAGE_ROUTING = "routing:manage"  # routing tree, receivers, inhibit rules, time intervals
    MANAGE_ONCALL = "oncall:manage"  # escalation policies and on-call schedules
    MANAGE_OVERRIDES = "oncall:overrides"  # take or hand over a shift (a schedule override)
    MANAGE_DASHBOARDS = "dashboards:manage"  # the tenant's saved dashboards: create, change, import, delete


PLATFORM_PERMISSIONS = frozenset({Permission.MANAGE_TENANTS, Permission.MANAGE_DEAD_LETTERS})


_VIEWER = frozenset(
    {
        Permission.READ_TELEMETRY,
        Permission.READ_ALERTS,
        Permission.READ_INCIDENTS,
        Permission.READ_COMPLIANCE,
        Permission.READ_TEAMS,
    }
)
_RESPONDER = _VIEWER | {
    Permission.ACT_ON_INCIDENTS,
    Permission.MANAGE_INCIDENTS,
    Permission.MANAGE_SILENCES,
}
_RESPONDER |= {Permission.MANAGE_OVERRIDES}  # swapping a shift is on-call work, like a silence
_RESPONDER |= {Permission.MANAGE_DASHBOARDS}  # saving a view to look at again changes nothing that pages anyone
_ADMIN = frozenset(Permission) - PLATFORM_PERMISSIONS

PERMISSIONS: Mapping[Role, frozenset[Permission]] = MappingProxyType(
    {Role.VIEWER: _VIEWER, Role.RESPONDER: frozenset(_RESPONDER), Role.ADMIN: _ADMIN}
)


def minimum_role(permission: Permission) -> Role | None:
    """The least role granting ``permission``; None for a platform permission (no role
    grants it). Every other permission is granted to admins."""
    if permission in PLATFORM_PERMISSIONS:
        return None
    return min((r for r in Role if permission in PERMISSIONS[r]), key=lambda r: r.rank)


def authorize(role: Role, permission: Permission) -> None:
    """Raise ``PermissionDenied`` unless ``role`` grants ``permission``."""
    if permission in PLATFORM_PERMISSIONS:
        raise PermissionDenied(f"{permission.value!r} is for platform administrators only")
    if permission not in PERMISSIONS[role]:
        needed = minimum_role(permission)
        assert needed is not None  # only platform permissions have none, handled above
        raise PermissionDenied(
            f"role {role.value!r} lacks permission {permission.value!r}; "
            f"it needs the {needed.value!r} role or higher"
        )


class ApiKeyScope(str, enum.Enum):
    INGEST = "ingest"
    READ = "read"
    RESPONDER = "responder"
    ADMIN = "admin"

    @classmethod
    def parse(cls, value: object, *, field: str = "scopes") -> "ApiKeyScope":
        try:
            return cls(value)
        except ValueError:
            allowed = ", ".join(s.value for s in cls)
            raise ValidationError(f"unknown API key scope {value!r}; use one of {allowed}", field=field) from None


SCOPE_PERMISSIONS: Mapping[ApiKeyScope, frozenset[Permission]] = MappingProxyType(
    {
        ApiKeyScope.INGEST: frozenset({Permission.INGEST_TELEMETRY}),
        ApiKeyScope.READ: _VIEWER,
        ApiKeyScope.RESPONDER: frozenset(_RESPONDER),
        ApiKeyScope.ADMIN: _ADMIN,
    }
)


def scope_permissions(scopes: Iterable[ApiKeyScope]) -> frozenset[Permission]:
    """The union of the permissions of ``scopes``."""
    out: frozenset[Permission] = frozenset()
    for scope in scopes:
        out |= SCOPE_PERMISSIONS[scope]
    return out
