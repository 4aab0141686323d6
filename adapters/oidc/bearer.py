"""Bearer JWTs from configured issuers: how services using client credentials call the API.

A service gets an access token from its issuer (Keycloak, Entra ID, Okta, ...) with the
client-credentials grant, and sends it as ``Authorization: Bearer``. Each configured
issuer has a verifier: signature by the issuer's keys (``jwks_uri`` configured or found
by discovery; refetched on rotation), ``iss``, ``aud`` (the audience configured for this
API, which the issuer must put in its access tokens), ``exp`` (required), ``nbf`` and
``iat`` with a bounded clock skew, and a JOSE ``typ`` that is an access token's (``JWT``,
``at+jwt``) or absent. ``accepts`` reads the token's ``iss`` unverified, so the caller
picks the verifier of that issuer before any key is fetched (the configuration names
each issuer once).

The audience is what keeps a token meant for another service (an ID token, or an
access token for another API from the same issuer) out: configure one that only tokens
for Observer-Eye carry.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from joserfc.errors import ClaimError
from joserfc.jwt import JWTClaimsRegistry

from adapters.oidc.claims import identity_from_claims
from adapters.oidc.http import ProviderHttp
from adapters.oidc.issuer import IssuerKeys, IssuerOptions
from adapters.oidc.tokens import ASYMMETRIC_ALGORITHMS, claim_refusal, peek_claims, verify_signature
from domain.errors import AuthenticationFailed
from domain.identity.external import ExternalIdentity
from ports.clock import Clock

ACCESS_TOKEN_TYPES = frozenset({"jwt", "at+jwt", "application/at+jwt"})


@dataclass(frozen=True, slots=True, kw_only=True)
class JwtIssuerConfig(IssuerOptions):
    """One issuer whose access tokens the API accepts. ``id`` names the configuration
    entry (``ExternalIdentity.provider``, and the sign-in policy applied)."""

    audience: str
    jwks_uri: str | None = None
    groups_claim: str = "groups"
    algorithms: tuple[str, ...] = ASYMMETRIC_ALGORITHMS

    def __post_init__(self) -> None:
        IssuerOptions.__post_init__(self)  # zero-argument super() does not work in slotted dataclasses
        if not self.audience:
            raise ValueError(f"{self.id}: an audience is required")
        if not self.algorithms or not set(self.algorithms) <= set(ASYMMETRIC_ALGORITHMS):
            raise ValueError(f"{self.id}: algorithms must be among {', '.join(ASYMMETRIC_ALGORITHMS)}")


class JwtIssuerVerifier:
    """Verifies the access tokens of one issuer (``ports.identity_providers.BearerTokenVerifier``)."""

    def __init__(self, config: JwtIssuerConfig, clock: Clock, *, http: ProviderHttp | None = None) -> None:
        self.config = config
        self._clock = clock
        self.keys = IssuerKeys(config, clock, overrides={"jwks_uri": config.jwks_uri}, needs=("jwks_uri",),
                               http=http).keys

    def accepts(self, token: str) -> bool:
        claims = peek_claims(token)
        return claims is not None and claims.get("iss") == self.config.issuer

    async def verify(self, token: str) -> ExternalIdentity:
        verified = await verify_signature(token, self.keys, self.config.algorithms)
        typ = verified.header.get("typ")
        if typ is not None and str(typ).lower() not in ACCESS_TOKEN_TYPES:
            raise AuthenticationFailed(f"a {typ!r} token is not an access token")
        essential = {"essential": True}
        registry = JWTClaimsRegistry(
            now=self._clock.now_ms() // 1000, leeway=self.config.clock_skew_s,
            iss={**essential, "value": self.config.issuer}, aud={**essential, "value": self.config.audience},
            exp=essential, sub=essential,
        )
        try:
            registry.validate(verified.claims)
        except ClaimError as exc:
            raise claim_refusal(exc, subject="token") from None
        identity = identity_from_claims(self.config.id, verified.claims, groups_claim=self.config.groups_claim)
        if identity.username is None:  # a service account: its client id names it
            client = verified.claims.get("client_id") or verified.claims.get("azp")
            if isinstance(client, str) and client:
                identity = dataclasses.replace(identity, username=client)
        return identity

