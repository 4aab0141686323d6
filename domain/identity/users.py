"""Users: a person in one tenant, with one role.

A user's status moves ``invited -> active`` (a password set with the invitation's
one-time token, or a first sign-in through an identity provider), ``-> deactivated``
(by an admin; nothing of theirs is accepted any more) and back (``reactivate``). The
password is stored only as the hash a ``ports.credentials.PasswordHasher`` made; the
TOTP secret only sealed (encrypted) by the second-factor adapter.
"""

from __future__ import annotations

import enum
import hmac
from collections.abc import Iterable
from dataclasses import dataclass, field, replace

from domain.errors import InvalidTransition, ValidationError
from domain.identity.permissions import Role
from domain.identity.principal import Principal
from domain.identity.profile import (
    Contact,
    normalize_email,
    normalize_username,
    parse_contacts,
    validate_timezone,
)
from domain.identity.tenants import check_ms, validate_name, validate_tenant_id

MAX_USER_ID_LENGTH = 128
MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 1024  # a slow hash over megabytes would be a free denial of service
INVITE_LIFETIME_MS = 7 * 86_400_000

__all__ = [
    "ExternalAccount", "Totp", "User", "UserStatus", "check_new_password", "normalize_email",
]


class UserStatus(str, enum.Enum):
    INVITED = "invited"
    ACTIVE = "active"
    DEACTIVATED = "deactivated"


@dataclass(frozen=True, slots=True)
class ExternalAccount:
    """The account at an identity provider a user signs in with: ``(issuer, subject)``
    identifies it for good (emails change); ``provider`` is the configured id."""

    provider: str
    issuer: str
    subject: str

    def __post_init__(self) -> None:
        for name in ("provider", "issuer", "subject"):
            value = getattr(self, name)
            if not isinstance(value, str) or not value.strip() or len(value) > 255:
                raise ValidationError(f"external account needs a {name} of 1-255 characters", field=name)


@dataclass(frozen=True, slots=True)
class Totp:
    """A TOTP second factor: ``secret`` sealed by the adapter; ``confirmed`` once the user
    proved their authenticator app produces codes; ``last_step`` the time step of the last
    code accepted, so one code cannot be used twice (RFC 6238 §5.2)."""

    secret: str = field(repr=False)
    confirmed: bool = False
    last_step: int | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.secret, str) or not self.secret:
            raise ValidationError("a TOTP enrolment needs its sealed secret", field="totp")
        if self.last_step is not None:
            check_ms(self.last_step, "totp.last_step")


def check_new_password(password: object, *, username: str = "", email: str = "", field: str = "password") -> str:
    """A password a person may choose: 12-1024 characters, not only one character
    repeated, not their username or email address."""
    if not isinstance(password, str):
        raise ValidationError("password must be a string", field=field)
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValidationError(f"password is too short: use at least {MIN_PASSWORD_LENGTH} characters", field=field)
    if len(password) > MAX_PASSWORD_LENGTH:
        raise ValidationError(f"password is over {MAX_PASSWORD_LENGTH} characters", field=field)
    if len(set(password)) == 1:
        raise ValidationError("password is one character repeated", field=field)
    lowered = password.strip().lower()
    if lowered in {username.lower(), email.lower()} - {""}:
        raise ValidationError("password must not be the username or email address", field=field)
    return password


@dataclass(frozen=True, slots=True)
class User:
    id: str
    tenant: str
    username: str
    email: str
    name: str
    role: Role
    status: UserStatus = UserStatus.ACTIVE
    timezone: str = "UTC"
    contacts: tuple[Contact, ...] = ()
    password_hash: str | None = field(default=None, repr=False)
    totp: Totp | None = None
    platform_admin: bool = False
    created_at_ms: int = 0
    last_sign_in_ms: int | None = None
    last_sign_in_mfa: bool = False  # the last sign-in used a second factor (ours, or the provider's)
    invite_token_hash: str | None = field(default=None, repr=False)
    invite_expires_at_ms: int | None = None
    external_accounts: frozenset[ExternalAccount] = frozenset()
    deactivated_at_ms: int | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.id, str) or not self.id.strip() or len(self.id) > MAX_USER_ID_LENGTH:
            raise ValidationError(f"user id must be 1-{MAX_USER_ID_LENGTH} characters", field="id")
        if self.id.startswith(("api_key:", "jwt:", "cli:")):
            raise ValidationError("a user id cannot look like another kind of principal", field="id")
        validate_tenant_id(self.tenant)
        object.__setattr__(self, "username", normalize_username(self.username))
        object.__setattr__(self, "email", normalize_email(self.email))
        object.__setattr__(self, "name", validate_name(self.name))
        object.__setattr__(self, "role", Role.parse(self.role))
        try:
            object.__setattr__(self, "status", UserStatus(self.status))
        except ValueError:
            raise ValidationError(f"unknown user status {self.status!r}", field="status") from None
        object.__setattr__(self, "timezone", validate_timezone(self.timezone))
        object.__setattr__(self, "contacts", parse_contacts(self.contacts))
        if self.password_hash is not None and (not isinstance(self.password_hash, str) or not self.password_hash):
            raise ValidationError("password_hash must be a non-empty string", field="password_hash")
        if self.totp is not None and not isinstance(self.totp, Totp):
            raise ValidationError("totp must be a Totp enrolment", field="totp")
        for name in ("platform_admin", "last_sign_in_mfa"):
            if not isinstance(getattr(self, name), bool):
                raise ValidationError(f"{name} must be true or false", field=name)
        check_ms(self.created_at_ms, "created_at_ms")
        for name in ("last_sign_in_ms", "invite_expires_at_ms", "deactivated_at_ms"):
            if getattr(self, name) is not None:
                check_ms(getattr(self, name), name)
        if (self.invite_token_hash is None) != (self.invite_expires_at_ms is None):
            raise ValidationError("an invitation needs both its token hash and its expiry", field="invite")
        accounts: Iterable[object] = self.external_accounts
        if not all(isinstance(a, ExternalAccount) for a in accounts):
            raise ValidationError("external_accounts must hold ExternalAccount values", field="external_accounts")
        object.__setattr__(self, "external_accounts", frozenset(self.external_accounts))

    # ------------------------------------------------------------------ reading

    @property
    def active(self) -> bool:
        return self.status is UserStatus.ACTIVE

    @property
    def mfa_enabled(self) -> bool:
        """A confirmed TOTP second factor (the provider's MFA is ``last_sign_in_mfa``)."""
        return self.totp is not None and self.totp.confirmed

    def principal(self, auth: str = "local", session_id: str | None = None) -> Principal:
        """The principal a signed-in user acts as: limited by role, no scopes."""
        return Principal(tenant=self.tenant, subject=self.id, role=self.role, username=self.username, auth=auth,
                         session_id=session_id, platform_admin=self.platform_admin)

    def invitation_valid(self, token_hash: str, now_ms: int) -> bool:
        return (self.invite_token_hash is not None and self.invite_expires_at_ms is not None
                and now_ms < self.invite_expires_at_ms and hmac.compare_digest(self.invite_token_hash, token_hash))

    # ------------------------------------------------------------------ changes

    def invite(self, token_hash: str, now_ms: int, lifetime_ms: int = INVITE_LIFETIME_MS) -> "User":
        """A (new) one-time set-password token; an older one stops working. Allowed in
        any status but deactivated (an active user's token resets their password)."""
        if self.status is UserStatus.DEACTIVATED:
            raise InvalidTransition("user", self.status.value, "be invited")
        check_ms(now_ms, "now_ms")
        return replace(self, invite_token_hash=token_hash, invite_expires_at_ms=now_ms + lifetime_ms)

    def set_password(self, password_hash: str) -> "User":
        """Password set with the invitation's token (or changed): active, token used up."""
        if self.status is UserStatus.DEACTIVATED:
            raise InvalidTransition("user", self.status.value, "set a password")
        return replace(self, password_hash=password_hash, status=UserStatus.ACTIVE, invite_token_hash=None,
                       invite_expires_at_ms=None)

    def deactivate(self, now_ms: int) -> "User":
        """Idempotent. Sessions and keys of the user are the service's to revoke."""
        check_ms(now_ms, "now_ms")
        if self.status is UserStatus.DEACTIVATED:
            return self
        return replace(self, status=UserStatus.DEACTIVATED, deactivated_at_ms=now_ms, invite_token_hash=None,
                       invite_expires_at_ms=None)

    def reactivate(self) -> "User":
        """Back to active if they have a way to sign in, else to invited (needs a token)."""
        if self.status is not UserStatus.DEACTIVATED:
            return self
        can_sign_in = self.password_hash is not None or bool(self.external_accounts)
        return replace(self, status=UserStatus.ACTIVE if can_sign_in else UserStatus.INVITED, deactivated_at_ms=None)

    def signed_in(self, now_ms: int, *, mfa: bool) -> "User":
        check_ms(now_ms, "now_ms")
        return replace(self, last_sign_in_ms=now_ms, last_sign_in_mfa=mfa)

    def link(self, account: ExternalAccount) -> "User":
        """Link an identity provider's account; an invited user becomes active."""
        if self.status is UserStatus.DEACTIVATED:
            raise InvalidTransition("user", self.status.value, "link an external account")
        status = UserStatus.ACTIVE if self.status is UserStatus.INVITED else self.status
        return replace(self, external_accounts=self.external_accounts | {account}, status=status,
                       invite_token_hash=None, invite_expires_at_ms=None)

    def dormant(self, now_ms: int, idle_ms: int) -> bool:
        """Active, and no sign-in (or, never signed in, no creation) within ``idle_ms``."""
        last = self.last_sign_in_ms if self.last_sign_in_ms is not None else self.created_at_ms
        return self.active and now_ms - last > idle_ms
