"""External identity providers (docs/adr/0010-oidc.md): OpenID Connect sign-in by
discovery, GitHub's OAuth flow, and bearer JWTs from configured issuers.

Implements ``ports.identity_providers`` and reports ``domain.identity.external.ExternalIdentity``;
what an identity may do is the sign-in policy's decision (``domain.identity.sign_in_policy``).
authlib supplies the OAuth 2.0 and OpenID Connect pieces, joserfc the JOSE (JWT, JWKS),
httpx the HTTP.
"""

from adapters.oidc.bearer import JwtIssuerConfig, JwtIssuerVerifier
from adapters.oidc.github import GitHubConfig, GitHubProvider
from adapters.oidc.provider import OidcConfig, OidcProvider

__all__ = [
    "GitHubConfig",
    "GitHubProvider",
    "JwtIssuerConfig",
    "JwtIssuerVerifier",
    "OidcConfig",
    "OidcProvider",
]
