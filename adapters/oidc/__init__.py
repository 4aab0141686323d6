"""External identity providers (docs/adr/0010-oidc.md): OpenID Connect sign-in by
discovery, GitHub's OAuth flow, and bearer JWTs from configured issuers.

Implements ``ports.identity_providers`` and reports ``domain.identity.external.ExternalIdentity``;
what an identity may do is the sign-in policy's decision (``domain.identity.signin_policy``).
authlib supplies the OAuth 2.0 and OpenID Connect pieces, joserfc the JOSE (JWT, JWKS),
httpx the HTTP.
"""

from adapters.oidc.bearer import BearerJwtVerifiers, JwtIssuerConfig, JwtIssuerVerifier
from adapters.oidc.github import GitHubConfig, GitHubProvider
from adapters.oidc.provider import OidcConfig, OidcProvider

__all__ = [
    "BearerJwtVerifiers",
    "GitHubConfig",
    "GitHubProvider",
    "JwtIssuerConfig",
    "JwtIssuerVerifier",
    "OidcConfig",
    "OidcProvider",
]
