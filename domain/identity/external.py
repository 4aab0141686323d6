"""Identities asserted by an external identity provider (OpenID Connect, GitHub OAuth).

An adapter that completed a sign-in flow, or verified a bearer JWT, reports what the
provider said as an ``ExternalIdentity``; the identity service then decides, by the
tenant's sign-in policy, whether that person may sign in, as which user and with which
role. Keeping the provider's answer separate from the decision means every provider
(Keycloak, Okta, Entra ID, Google, GitLab, GitHub) goes through the same policy.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from domain.errors import ValidationError


@dataclass(frozen=True, slots=True)
class ExternalIdentity:
    """What a provider asserted about the person (or service account) signing in.

    ``provider`` is the configured provider id (``"keycloak"``, ``"github"``);
    ``issuer`` and ``subject`` together identify the account for good (emails change);
    ``groups`` are the group or role claims the provider sent (for role mapping);
    ``amr`` the authentication methods it reports (``"mfa"``, ``"otp"``, ``"hwk"`` ...),
    used as evidence of a second factor.
    """

    provider: str
    issuer: str
    subject: str
    email: str | None = None
    email_verified: bool = False
    name: str | None = None
    username: str | None = None
    groups: tuple[str, ...] = ()
    amr: tuple[str, ...] = ()
    claims: dict[str, object] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        for name in ("provider", "issuer", "subject"):
            value = getattr(self, name)
            if not isinstance(value, str) or not value.strip():
                raise ValidationError(f"external identity needs a non-empty {name}", field=name)
        object.__setattr__(self, "groups", tuple(str(g) for g in self.groups))
        object.__setattr__(self, "amr", tuple(str(m) for m in self.amr))

    @property
    def multi_factor(self) -> bool:
        """The provider says a second factor was used (RFC 8176 method values)."""
        return bool({"mfa", "otp", "hwk", "swk", "sms", "fpt", "face", "iris", "retina"} & set(self.amr))
