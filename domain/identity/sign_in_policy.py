"""Who may sign in through an identity provider, into which tenant, with which role.

One policy per configured provider (OpenID Connect issuer, GitHub, a JWT issuer for
service accounts). It looks at what the provider asserts only; an invitation or a role
an admin assigned is the sign-in service's business. The rules, in order:

1. **Open to somebody**: a policy that lists neither ``allowed_email_domains`` nor
   ``allowed_groups`` and sets no ``default_role`` admits nobody. Anyone can get an
   account at Google, GitHub or GitLab.com; an operator who configured such a provider
   and nothing else has not said who may come in, so nobody does.
2. **Email domain** (``allowed_email_domains``, when set): the identity carries an email
   the provider marked *verified* whose domain is in the list (exact, case-insensitive;
   ``example.com`` does not admit ``eu.example.com``). An unverified address proves
   nothing: some providers let a user type any address.
3. **Groups** (``allowed_groups``, when set): at least one of the identity's groups is in
   the list (exact and case-sensitive, as group names are).
4. **Role** at first sign-in: the highest role any of its groups maps to in
   ``role_from_groups``, else ``default_role``; with neither, a new user is refused
   (someone an admin invited keeps the role the admin gave). ``default_role`` is unset
   unless configured. Later sign-ins keep the user's role, which an admin may change.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from domain.errors import AuthenticationFailed, ValidationError
from domain.identity.external import ExternalIdentity
from domain.identity.permissions import Role
from domain.identity.tenants import validate_tenant_id


@dataclass(frozen=True, slots=True)
class SignInPolicy:
    """A provider's admission rules (see the module docstring). Immutable and pure."""

    provider: str
    tenant: str
    allowed_email_domains: frozenset[str] = frozenset()
    allowed_groups: frozenset[str] = frozenset()
    role_from_groups: Mapping[str, Role] = field(default_factory=dict)
    default_role: Role | None = None
    create_users: bool = True  # False: only people an admin invited (same verified email) get in

    def __post_init__(self) -> None:
        if not isinstance(self.provider, str) or not self.provider.strip():
            raise ValidationError("a sign-in policy names its provider", field="provider")
        validate_tenant_id(self.tenant)
        object.__setattr__(self, "allowed_email_domains", _domains(self.allowed_email_domains))
        object.__setattr__(self, "allowed_groups", _names(self.allowed_groups, "allowed_groups"))
        if not isinstance(self.role_from_groups, Mapping):
            raise ValidationError("role_from_groups maps group names to roles", field="role_from_groups")
        _names(self.role_from_groups, "role_from_groups")
        roles = {g: Role.parse(r, field=f"role_from_groups.{g}") for g, r in self.role_from_groups.items()}
        object.__setattr__(self, "role_from_groups", MappingProxyType(roles))
        if self.default_role is not None:
            object.__setattr__(self, "default_role", Role.parse(self.default_role, field="default_role"))

    @property
    def admits_anyone(self) -> bool:
        """Whether the policy says who may come in at all (rule 1)."""
        return bool(self.allowed_email_domains or self.allowed_groups or self.default_role is not None)

    def check_open(self) -> None:
        """Raise ``AuthenticationFailed`` when the policy admits nobody (rule 1)."""
        if not self.admits_anyone:
            raise AuthenticationFailed(
                f"sign-in through {self.provider!r} is open to nobody yet: an administrator must set its "
                "allowed_email_domains, allowed_groups or default_role (its entry in OBSERVER_IDENTITY_PROVIDERS)")

    def admit(self, identity: ExternalIdentity) -> None:
        """Raise ``AuthenticationFailed`` (a message safe to show) unless the policy lets
        ``identity`` in at all."""
        self.check_open()
        if self.allowed_email_domains:
            domain = _email_domain(identity.email)
            if domain is None:
                raise AuthenticationFailed("your identity provider did not send an email address, which this "
                                           "sign-in requires")
            if not identity.email_verified:
                raise AuthenticationFailed("your identity provider has not verified your email address")
            if domain not in self.allowed_email_domains:
                raise AuthenticationFailed(f"sign-in is not open to addresses at {domain}")
        if self.allowed_groups and not self.allowed_groups & set(identity.groups):
            raise AuthenticationFailed("you are in none of the groups allowed to sign in here")

    def role_for(self, identity: ExternalIdentity) -> Role:
        """The role a first sign-in gets; raises when the policy gives it none."""
        mapped = [self.role_from_groups[g] for g in identity.groups if g in self.role_from_groups]
        if mapped:
            return max(mapped, key=lambda r: r.rank)
        if self.default_role is None:
            raise AuthenticationFailed("none of your groups is given a role here; ask an administrator")
        return self.default_role


def _email_domain(email: str | None) -> str | None:
    if not email or "@" not in email:
        return None
    return email.rsplit("@", 1)[1].strip().lower() or None


def _domains(values: Iterable[str]) -> frozenset[str]:
    domains = set()
    for value in _names(values, "allowed_email_domains"):
        domain = value.strip().lower().removeprefix("@")
        if not domain or "@" in domain or any(c.isspace() for c in domain):
            raise ValidationError(f"invalid email domain {value!r}", field="allowed_email_domains")
        domains.add(domain)
    return frozenset(domains)


def _names(values: Iterable[str], field_name: str) -> frozenset[str]:
    if isinstance(values, str) or not isinstance(values, Iterable):
        raise ValidationError(f"{field_name} must be a list of names", field=field_name)
    names = set()
    for value in values:
        if not isinstance(value, str) or not value.strip():
            raise ValidationError(f"{field_name} holds an empty or non-string name", field=field_name)
        names.add(value)
    return frozenset(names)
