"""The principal: who is calling, resolved from a session, an API key or a bearer JWT.

Authorization asks two questions: does the *role* grant the permission, and, when the
credential carries *scopes* (API keys), do the scopes allow it too. A principal without
scopes (``scopes=None``, a signed-in user) is limited by its role alone; with scopes it
gets the intersection, so a key can never exceed its creator's intent nor a scope
exceed the role. Platform permissions (managing tenants) are held only by a platform
administrator's own sign-in: never through a role, never through an API key.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from domain.errors import PermissionDenied, ValidationError
from domain.identity.permissions import (
    PERMISSIONS,
    PLATFORM_PERMISSIONS,
    ApiKeyScope,
    Permission,
    Role,
    authorize,
    scope_permissions,
)
from domain.identity.tenants import validate_tenant_id

MAX_SUBJECT_LENGTH = 255
AUTH_METHODS = ("local", "api_key", "jwt", "ticket", "cli")
"""How a principal authenticated; ``oidc:<provider>`` (a browser sign-in through a
configured provider) is the one open-ended form."""


def validate_auth_method(value: object) -> str:
    if value == "" or value in AUTH_METHODS or (isinstance(value, str) and value.startswith("oidc:") and len(value) > 5):
        return value  # type: ignore[return-value]
    raise ValidationError(f"unknown authentication method {value!r}", field="auth")


@dataclass(frozen=True, slots=True)
class Principal:
    """An authenticated caller, always bound to one tenant.

    ``subject`` is the user id, ``api_key:<id>`` for an API key, or ``jwt:<provider>:<sub>``
    for a service account's JWT that no user is linked to. ``auth`` says how it signed in
    (``local``, ``oidc:<provider>``, ``api_key``, ``jwt``, ``cli``); ``session_id`` is
    the server-side session it came with, if any.
    """

    tenant: str
    subject: str
    role: Role
    scopes: frozenset[ApiKeyScope] | None = None
    username: str | None = None
    auth: str = ""
    session_id: str | None = None
    platform_admin: bool = False

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
        validate_auth_method(self.auth)
        if not isinstance(self.platform_admin, bool):
            raise ValidationError("platform_admin must be true or false", field="platform_admin")

    @property
    def user_id(self) -> str | None:
        """The user this principal is, when it is one (not an API key or an unlinked JWT)."""
        return None if self.subject.startswith(("api_key:", "jwt:", "cli:")) else self.subject

    @property
    def platform(self) -> bool:
        """Holds the platform permissions: a platform administrator signed in as themself."""
        return self.platform_admin and self.scopes is None

    @property
    def permissions(self) -> frozenset[Permission]:
        """Everything this principal may do: the role's permissions, capped by its scopes,
        plus the platform permissions for a platform administrator."""
        granted = PERMISSIONS[self.role]
        if self.scopes is not None:
            granted = granted & scope_permissions(self.scopes)
        if self.platform:
            granted = granted | PLATFORM_PERMISSIONS
        return granted

    @property
    def effective_role(self) -> Role:
        """The highest role whose every permission this principal holds (a ``read`` key
        acts as a viewer, a ``responder`` key as a responder); viewer at least, for
        display: authorization always goes by ``permissions``."""
        held = self.permissions
        return max((r for r in Role if PERMISSIONS[r] <= held), key=lambda r: r.rank, default=Role.VIEWER)

    def can(self, permission: Permission) -> bool:
        return permission in self.permissions

    def require(self, permission: Permission) -> None:
        """Raise ``PermissionDenied`` (naming the reason) unless ``can(permission)``."""
        if permission in PLATFORM_PERMISSIONS:
            if not self.platform:
                raise PermissionDenied(f"{permission.value!r} is for platform administrators only")
            return
        authorize(self.role, permission)
        if not self.can(permission):
            held = ", ".join(sorted(s.value for s in self.scopes or ()))
            raise PermissionDenied(
                f"credential scopes [{held}] do not allow {permission.value!r}"
            )
