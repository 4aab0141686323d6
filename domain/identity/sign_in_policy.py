"""Who may sign in through an identity provider, into which tenant, with which role.

One policy per configured provider. An ``ExternalIdentity`` passes when its email's
domain is allowed (if domains are listed; the email must be verified then) and it is in
an allowed group (if groups are listed). The role at first sign-in is the highest one
its groups map to, else ``default_role`` (viewer unless configured); with
``default_role`` null, someone none of whose groups is mapped is refused. Later
sign-ins keep the role, which an admin may have changed since.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from domain.errors import AuthenticationFailed, ValidationError
from domain.identity.external import ExternalIdentity
from domain.identity.permissions import Role
from domain.identity.tenants import validate_tenant_id


def _strings(value: object, name: str) -> frozenset[str]:
    if isinstance(value, str) or not isinstance(value, Iterable):
        raise ValidationError(f"{name} must be a list of strings", field=name)
    items = list(value)
    if not all(isinstance(v, str) and v.strip() for v in items):
        raise ValidationError(f"{name} must be a list of non-empty strings", field=name)
    return frozenset(v.strip() for v in items)


@dataclass(frozen=True, slots=True)
class SignInPolicy:
    provider: str
    tenant: str
    allowed_email_domains: frozenset[str] = frozenset()
    allowed_groups: frozenset[str] = frozenset()
    role_from_groups: Mapping[str, Role] = field(default_factory=dict)
    default_role: Role | None = Role.VIEWER
    create_users: bool = True  # False: only people an admin invited (same verified email) get in

    def __post_init__(self) -> None:
        if not isinstance(self.provider, str) or not self.provider.strip():
            raise ValidationError("a sign-in policy names its provider", field="provider")
        validate_tenant_id(self.tenant)
        domains = _strings(self.allowed_email_domains, "allowed_email_domains")
        object.__setattr__(self, "allowed_email_domains", frozenset(d.lower().lstrip("@") for d in domains))
        object.__setattr__(self, "allowed_groups", _strings(self.allowed_groups, "allowed_groups"))
        if not isinstance(self.role_from_groups, Mapping):
            raise ValidationError("role_from_groups maps group names to roles", field="role_from_groups")
        object.__setattr__(self, "role_from_groups", {
            str(g): Role.parse(r, field=f"role_from_groups.{g}") for g, r in self.role_from_groups.items()})
        if self.default_role is not None:
            object.__setattr__(self, "default_role", Role.parse(self.default_role, field="default_role"))

    @classmethod
    def from_config(cls, provider: str, config: Mapping[str, object]) -> "SignInPolicy":
        """From settings: ``{"tenant", "allowed_email_domains", "allowed_groups",
        "role_from_groups", "default_role", "create_users"}``."""
        known = {"tenant", "allowed_email_domains", "allowed_groups", "role_from_groups", "default_role",
                 "create_users"}
        unknown = sorted(set(config) - known)
        if unknown:
            raise ValidationError(f"unknown sign-in policy setting {unknown[0]!r}", field=f"{provider}.{unknown[0]}")
        return cls(
            provider=provider, tenant=config.get("tenant", "default"),  # type: ignore[arg-type]
            allowed_email_domains=config.get("allowed_email_domains", ()),  # type: ignore[arg-type]
            allowed_groups=config.get("allowed_groups", ()),  # type: ignore[arg-type]
            role_from_groups=config.get("role_from_groups", {}),  # type: ignore[arg-type]
            default_role=config.get("default_role", Role.VIEWER),  # type: ignore[arg-type]
            create_users=bool(config.get("create_users", True)),
        )

    def admit(self, identity: ExternalIdentity) -> None:
        """Raise ``AuthenticationFailed`` (a message safe to show) unless the policy lets
        ``identity`` in at all."""
        if self.allowed_email_domains:
            email = (identity.email or "").strip().lower()
            domain = email.rpartition("@")[2]
            if not email or not identity.email_verified:
                raise AuthenticationFailed("your identity provider did not confirm a verified email address")
            if domain not in self.allowed_email_domains:
                raise AuthenticationFailed(f"sign-in is not open to addresses at {domain}")
        if self.allowed_groups and not self.allowed_groups & set(identity.groups):
            raise AuthenticationFailed("you are not in a group allowed to sign in here")

    def role_for(self, identity: ExternalIdentity) -> Role:
        """The role a first sign-in gets; raises when the policy gives it none."""
        mapped = [self.role_from_groups[g] for g in identity.groups if g in self.role_from_groups]
        if mapped:
            return max(mapped, key=lambda r: r.rank)
        if self.default_role is None:
            raise AuthenticationFailed("none of your groups is given a role here; ask an administrator")
        return self.default_role
