"""External identity providers: sign-in flows for people and bearer JWTs for services.

Implemented by ``adapters/oidc`` (OpenID Connect discovery, authorization code flow
with PKCE, JWKS-verified JWTs; GitHub's OAuth flow). The services and the HTTP adapter
only see these protocols and ``domain.identity.external.ExternalIdentity``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from domain.identity.external import ExternalIdentity


@dataclass(frozen=True, slots=True)
class LoginStart:
    """The first leg of a sign-in: where to send the browser, and what to keep.

    ``state`` is the opaque value the provider echoes back on the callback (the key
    under which the caller stores ``flow`` server-side); ``flow`` is what ``finish``
    needs back (PKCE verifier, nonce, redirect URI), JSON-serialisable, never sent to
    the browser.
    """

    redirect_url: str
    state: str
    flow: Mapping[str, Any] = field(default_factory=dict)


class IdentityProvider(Protocol):
    """One configured provider a person can sign in with."""

    id: str  # configuration id, used in URLs: /api/v1/auth/oidc/{id}/login
    name: str  # shown on the sign-in page
    kind: str  # "oidc" or "github"

    async def start(self, redirect_uri: str) -> LoginStart:
        """Begin the authorization code flow (with PKCE where the provider supports it)."""
        ...

    async def finish(self, flow: Mapping[str, Any], callback: Mapping[str, str]) -> ExternalIdentity:
        """Complete the flow from the callback's query parameters (``code``, ``state``,
        or ``error``): exchange the code, validate the ID token (signature by the
        issuer's JWKS, ``iss``, ``aud``, ``exp``, ``nonce``) or fetch the user.
        Raises ``AuthenticationFailed`` with a message safe to show the user."""
        ...


class BearerTokenVerifier(Protocol):
    """Verifies JWTs that services present as ``Authorization: Bearer`` (client
    credentials from a configured issuer)."""

    def accepts(self, token: str) -> bool:
        """Cheap check: is this a JWT from an issuer this verifier knows (by ``iss``,
        read without trusting it)? Lets the caller try API keys and local sessions first."""
        ...

    async def verify(self, token: str) -> ExternalIdentity:
        """Signature by the issuer's JWKS (refetched when an unknown ``kid`` appears,
        rate-limited), ``iss``, ``aud``, ``exp``, ``nbf`` with bounded clock skew.
        Raises ``AuthenticationFailed``."""
        ...
