"""Who may sign in through an external identity provider, into which tenant, as which role.

Each configured provider (OpenID Connect issuer, GitHub, a JWT issuer for service
accounts) carries one ``SignInPolicy``. The identity service asks it about every
``ExternalIdentity`` an adapter reports; the policy looks at the provider's claims only
(an invitation or a role an admin assigned directly is the identity service's business).

The rules, in order:

1. **Email domain** (``allowed_email_domains``, when set): the identity must carry an
   email the provider marked *verified* whose domain is one of the list (exact match,
   case-insensitive; ``example.com`` does not admit ``eu.example.com``). An unverified
   address proves nothing: some providers let a user type any address.
2. **Groups** (``allowed_groups``, when set): at least one of the identity's groups must
   be in the list (exact, case-sensitive: group names and role ids are).
3. **Role**: the highest role any of the identity's groups maps to in ``role_from_groups``;
   with no mapped group, ``default_role``; with no default either, the sign-in is refused.
   ``default_role`` is unset unless configured, so a provider anyone can get an account
   at (Google, GitHub) admits nobody by accident.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from domain.errors import ValidationError
from domain.identity.external import ExternalIdentity
from domain.identity.permissions import Role
from domain.identity.tenants import validate_tenant_id


@dataclass(frozen=True, slots=True)
class Admitted:
    """The identity may sign in to ``tenant`` with ``role``."""

    tenant: str
    role: Role


@dataclass(frozen=True, slots=True)
class Refused:
    """The identity may not sign in; ``reason`` is safe to show the person."""

    reason: str


@dataclass(frozen=True, slots=True, eq=False)
class SignInPolicy:
    """A provider's admission rules (see the module docstring). Immutable; ``decide`` is pure."""

    tenant: str
    allowed_email_domains: frozenset[str] = frozenset()
    allowed_groups: frozenset[str] = frozenset()
    role_from_groups: Mapping[str, Role] = field(default_factory=dict)
    default_role: Role | None = None

    def __post_init__(self) -> None:
        validate_tenant_id(self.tenant)
        object.__setattr__(self, "allowed_email_domains", _domains(self.allowed_email_domains))
        object.__setattr__(self, "allowed_groups", _names(self.allowed_groups, "allowed_groups"))
        if not isinstance(self.role_from_groups, Mapping):
            raise ValidationError("role_from_groups must map group names to roles", field="role_from_groups")
        _names(self.role_from_groups, "role_from_groups")
        roles = {g: Role.parse(role, field=f"role_from_groups.{g}") for g, role in self.role_from_groups.items()}
        object.__setattr__(self, "role_from_groups", MappingProxyType(roles))
        if self.default_role is not None:
            object.__setattr__(self, "default_role", Role.parse(self.default_role, field="default_role"))

    def decide(self, identity: ExternalIdentity) -> Admitted | Refused:
        """Admit ``identity`` with a role, or refuse it saying why."""
        if self.allowed_email_domains:
            domain = _email_domain(identity.email)
            if domain is None:
                return Refused("the identity provider did not send an email address, which this sign-in requires")
            if not identity.email_verified:
                return Refused("the identity provider has not verified your email address")
            if domain not in self.allowed_email_domains:
                return Refused(f"email addresses at {domain} may not sign in here")
        groups = set(identity.groups)
        if self.allowed_groups and not groups & self.allowed_groups:
            return Refused("you are in none of the groups allowed to sign in here")
        mapped = [self.role_from_groups[g] for g in groups if g in self.role_from_groups]
        if mapped:
            return Admitted(self.tenant, max(mapped, key=lambda r: r.rank))
        if self.default_role is not None:
            return Admitted(self.tenant, self.default_role)
        return Refused("none of your groups grants a role here; ask an administrator for access")


def _email_domain(email: str | None) -> str | None:
    if not email or "@" not in email:
        return None
    domain = email.rsplit("@", 1)[1].strip().lower()
    return domain or None


def _domains(values: Iterable[str]) -> frozenset[str]:
    domains = set()
    for value in _names(values, "allowed_email_domains"):
        domain = value.lower().removeprefix("@")
        if not domain or "@" in domain or any(c.isspace() for c in domain):
            raise ValidationError(f"invalid email domain {value!r}", field="allowed_email_domains")
        domains.add(domain)
    return frozenset(domains)


def _names(values: Iterable[str], field_name: str) -> frozenset[str]:
    if isinstance(values, str):
        raise ValidationError(f"{field_name} must be a list of names, not one string", field=field_name)
    names = set()
    for value in values:
        if not isinstance(value, str) or not value.strip():
            raise ValidationError(f"{field_name} holds an empty or non-string name {value!r}", field=field_name)
        names.add(value)
    return frozenset(names)
