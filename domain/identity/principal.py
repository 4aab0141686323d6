"""The principal: who is calling, resolved from a session token or an API key.

Authorization asks two questions: does the *role* grant the permission, and, when the
credential carries *scopes* (API keys, scoped tokens), do the scopes allow it too. A
principal without scopes (``scopes=None``, a signed-in user) is limited by its role
alone; with scopes it gets the intersection, so a key can never exceed its creator's
intent nor a scope exceed the role.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from domain.errors import PermissionDenied, ValidationError
from domain.identity.permissions import (
    PERMISSIONS,
    ApiKeyScope,
    Permission,
    Role,
    authorize,
    scope_permissions,
)
from domain.identity.tenants import validate_tenant_id

MAX_SUBJECT_LENGTH = 255


@dataclass(frozen=True, slots=True)
class Principal:
    """An authenticated caller, always bound to one tenant.

    ``subject`` is the user id, or ``api_key:<id>`` for an API key.
    """

    tenant: str
    subject: str
    role: Role
    scopes: frozenset[ApiKeyScope] | None = None

    def __post_init__(self) -> None:
        validate_tenant_id(self.tenant)
        if not isinstance(self.subject, str) or not self.subject.strip():
            raise ValidationError("subject must be a non-empty string", field="subject")
        if len(self.subject) > MAX_SUBJECT_LENGTH:
            raise ValidationError(f"subject is over {MAX_SUBJECT_LENGTH} characters", field="subject")
        object.__setattr__(self, "role", Role.parse(self.role))
        if self.scopes is not None:
            if isinstance(self.scopes, str):
                raise ValidationError("scopes must be a collection of scope names", field="scopes")
            scopes: Iterable[object] = self.scopes
            object.__setattr__(self, "scopes", frozenset(ApiKeyScope.parse(s) for s in scopes))

    @property
    def permissions(self) -> frozenset[Permission]:
        """Everything this principal may do: the role's permissions, capped by its scopes."""
        granted = PERMISSIONS[self.role]
        if self.scopes is not None:
            granted = granted & scope_permissions(self.scopes)
        return granted

    def can(self, permission: Permission) -> bool:
        return permission in self.permissions

    def require(self, permission: Permission) -> None:
        """Raise ``PermissionDenied`` (naming the reason) unless ``can(permission)``."""
        authorize(self.role, permission)
        if not self.can(permission):
            held = ", ".join(sorted(s.value for s in self.scopes or ()))
            raise PermissionDenied(
                f"credential scopes [{held}] do not allow {permission.value!r}"
            )
