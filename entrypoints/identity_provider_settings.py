"""Identity providers in the configuration (README "Identity providers", docs/adr/0010-oidc.md).

``OBSERVER_IDENTITY_PROVIDERS`` holds a JSON list of entries and/or
``OBSERVER_IDENTITY_PROVIDERS_FILE`` names a JSON file holding one; both lists are used.
Each entry is a provider people sign in with (``kind`` ``oidc`` or ``github``) or an
issuer whose access tokens services present as bearer JWTs (``kind`` ``jwt``), with the
sign-in policy for what it asserts (``domain.identity.sign_in_policy``): this entry is
the one place that says who may come in through the provider. An entry that lists no
``allowed_email_domains`` or ``allowed_groups`` and sets no ``default_role`` admits
nobody.

Client secrets come from a file (``client_secret_file``: mounted by Kubernetes or
systemd credentials, so they appear in no environment listing) or, where that is
impractical, ``client_secret`` (kept as a ``SecretStr``: masked in every repr and log).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, TypeAdapter, ValidationError, model_validator

if TYPE_CHECKING:
    from adapters.oidc import GitHubConfig, JwtIssuerConfig, OidcConfig
    from domain.identity.sign_in_policy import SignInPolicy

RoleName = Literal["viewer", "responder", "admin"]


class IdentityProviderSettings(BaseModel):
    """One entry of the identity provider list."""

    model_config = ConfigDict(extra="forbid", frozen=True, hide_input_in_errors=True)  # inputs hold secrets

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,62}$")  # in URLs: /api/v1/auth/oidc/{id}/login
    kind: Literal["oidc", "github", "jwt"] = "oidc"
    name: str | None = None  # on the sign-in page; default: the id

    # Where the provider is: the issuer (discovery), endpoints overriding discovery.
    issuer: str | None = None
    authorization_endpoint: str | None = None
    token_endpoint: str | None = None
    userinfo_endpoint: str | None = None
    jwks_uri: str | None = None
    web_url: str = "https://github.com"  # kind github (GitHub Enterprise: https://ghe.example.com)
    api_url: str = "https://api.github.com"  # kind github (GitHub Enterprise: https://ghe.example.com/api/v3)

    # The client (kinds oidc and github).
    client_id: str | None = None
    client_secret_file: Path | None = None
    client_secret: SecretStr | None = None
    scopes: list[str] | None = None  # default: openid email profile; GitHub: read:user user:email read:org
    token_auth_method: Literal["client_secret_basic", "client_secret_post"] | None = None  # default: as advertised
    authorize_params: dict[str, str] = {}  # extra authorization request parameters (Google's hd, prompt)
    userinfo: Literal["auto", "always", "never"] = "auto"  # auto: when the ID token lacks email or groups
    teams: bool = True  # kind github: team memberships become org/team groups

    # What the tokens carry.
    groups_claim: str = "groups"  # or "roles" (Entra ID), "realm_access.roles" (Keycloak realm roles)
    audience: str | None = None  # kind jwt: the aud this API's tokens carry
    algorithms: list[str] | None = None  # kind jwt: default every asymmetric JWS algorithm
    clock_skew_s: int = Field(60, ge=0, le=300)
    timeout_s: float = Field(10.0, gt=0, le=60)
    ca_file: Path | None = None  # a private CA for this provider's TLS certificates
    allow_http: bool = False  # plain http:// beyond loopback (a service mesh encrypting in-cluster traffic)

    # The sign-in policy (domain/identity/sign_in_policy.py). Nothing set: nobody gets in.
    tenant: str | None = None  # default: OBSERVER_TENANT
    allowed_email_domains: list[str] = []
    allowed_groups: list[str] = []
    role_from_groups: dict[str, RoleName] = {}
    default_role: RoleName | None = None  # unset: a new user none of whose groups is mapped is refused
    create_users: bool = True  # false: only people an admin invited (same verified email) sign in

    @model_validator(mode="after")
    def _complete_for_its_kind(self) -> "IdentityProviderSettings":
        missing = [name for name in _REQUIRED[self.kind] if getattr(self, name) in (None, "")]
        if self.kind == "github" and self.client_secret is None and self.client_secret_file is None:
            missing.append("client_secret_file")
        if missing:
            raise ValueError(f"identity provider {self.id!r} (kind {self.kind}) needs {', '.join(missing)}")
        if self.client_secret is not None and self.client_secret_file is not None:
            raise ValueError(f"identity provider {self.id!r}: set client_secret_file or client_secret, not both")
        return self

    @property
    def display_name(self) -> str:
        return self.name or self.id

    def secret(self) -> str | None:
        """The client secret, read from its file now (a rotated file is read at the next start)."""
        if self.client_secret_file is not None:
            try:
                value = self.client_secret_file.read_text().strip()
            except OSError as exc:
                raise ValueError(f"identity provider {self.id!r}: cannot read client_secret_file: {exc}") from None
            if not value:
                raise ValueError(f"identity provider {self.id!r}: client_secret_file {self.client_secret_file} is empty")
            return value
        return self.client_secret.get_secret_value() if self.client_secret is not None else None

    def policy(self, default_tenant: str) -> "SignInPolicy":
        from domain.identity.sign_in_policy import SignInPolicy

        return SignInPolicy(
            provider=self.id, tenant=self.tenant or default_tenant,
            allowed_email_domains=frozenset(self.allowed_email_domains), allowed_groups=frozenset(self.allowed_groups),
            role_from_groups=self.role_from_groups, default_role=self.default_role, create_users=self.create_users,
        )

    # The adapters' configurations (imported here, lazily: most processes never sign anyone in).

    def oidc_config(self) -> "OidcConfig":
        from adapters.oidc import OidcConfig

        endpoints = {name: getattr(self, name) for name in
                     ("authorization_endpoint", "token_endpoint", "userinfo_endpoint", "jwks_uri") if getattr(self, name)}
        return OidcConfig(
            id=self.id, name=self.display_name, issuer=self.issuer, client_id=self.client_id,
            client_secret=self.secret(), groups_claim=self.groups_claim, userinfo=self.userinfo, endpoints=endpoints,
            token_auth_method=self.token_auth_method, authorize_params=self.authorize_params, **self._common(),
            **({"scopes": tuple(self.scopes)} if self.scopes else {}),
        )

    def github_config(self) -> "GitHubConfig":
        from adapters.oidc import GitHubConfig

        return GitHubConfig(
            id=self.id, name=self.display_name, client_id=self.client_id, client_secret=self.secret(),
            web_url=self.web_url, api_url=self.api_url, teams=self.teams, authorize_params=self.authorize_params,
            timeout_s=self.timeout_s, ca_file=self.ca_file, allow_http=self.allow_http,
            **({"scopes": tuple(self.scopes)} if self.scopes else {}),
        )

    def jwt_config(self) -> "JwtIssuerConfig":
        from adapters.oidc import JwtIssuerConfig

        return JwtIssuerConfig(
            id=self.id, issuer=self.issuer, audience=self.audience, jwks_uri=self.jwks_uri,
            groups_claim=self.groups_claim, **self._common(),
            **({"algorithms": tuple(self.algorithms)} if self.algorithms else {}),
        )

    def _common(self) -> dict[str, object]:
        return {"clock_skew_s": self.clock_skew_s, "timeout_s": self.timeout_s, "ca_file": self.ca_file,
                "allow_http": self.allow_http}


_REQUIRED = {"oidc": ("issuer", "client_id"), "github": ("client_id",), "jwt": ("issuer", "audience")}
_ENTRIES = TypeAdapter(list[IdentityProviderSettings])


def load_identity_providers(entries: list[IdentityProviderSettings], file: Path | None) -> list[IdentityProviderSettings]:
    """``entries`` and those of ``file`` (a JSON list), checked for duplicate ids and for
    two JWT entries naming one issuer (a token could not tell which policy applies)."""
    combined = list(entries)
    if file is not None:
        try:
            combined += _ENTRIES.validate_python(json.loads(file.read_text()))
        except (OSError, ValueError, ValidationError) as exc:
            raise ValueError(f"OBSERVER_IDENTITY_PROVIDERS_FILE {file}: {exc}") from None
    seen: set[str] = set()
    jwt_issuers: dict[str, str] = {}
    for entry in combined:
        if entry.id in seen:
            raise ValueError(f"identity provider id {entry.id!r} is configured twice")
        seen.add(entry.id)
        if entry.kind == "jwt":
            issuer = str(entry.issuer)
            if issuer in jwt_issuers:
                raise ValueError(f"JWT issuers {jwt_issuers[issuer]!r} and {entry.id!r} both name {issuer}; "
                                 "configure each issuer once")
            jwt_issuers[issuer] = entry.id
    return combined
