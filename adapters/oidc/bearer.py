"""Bearer JWTs from configured issuers: how services using client credentials call the API.

A service gets an access token from its issuer (Keycloak, Entra ID, Okta, ...) with the
client-credentials grant, and sends it as ``Authorization: Bearer``. Each configured
issuer has a verifier: signature by the issuer's keys (``jwks_uri`` configured or found
by discovery; refetched on rotation), ``iss``, ``aud`` (the audience configured for this
API, which the issuer must put in its access tokens), ``exp`` (required), ``nbf`` and
``iat`` with a bounded clock skew, and a JOSE ``typ`` that is an access token's (``JWT``,
``at+jwt``) or absent. ``BearerJwtVerifiers`` picks the verifier by the token's ``iss``,
read unverified first (``accepts``) so API keys and sessions are tried without parsing.

The audience is what keeps a token meant for another service (an ID token, or an
access token for another API from the same issuer) out: configure one that only tokens
for Observer-Eye carry.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
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
    """Verifies the access tokens of one issuer."""

    def __init__(self, config: JwtIssuerConfig, clock: Clock, *, http: ProviderHttp | None = None) -> None:
        self.config = config
        self._clock = clock
        self.keys = IssuerKeys(config, clock, overrides={"jwks_uri": config.jwks_uri}, needs=("jwks_uri",),
                               http=http).keys

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


class BearerJwtVerifiers:
    """``ports.identity_providers.BearerTokenVerifier`` over every configured issuer
    (none configured: it accepts nothing)."""

    def __init__(self, verifiers: Iterable[JwtIssuerVerifier] = ()) -> None:
        self._by_issuer: dict[str, JwtIssuerVerifier] = {}
        for verifier in verifiers:
            issuer = verifier.config.issuer
            if issuer in self._by_issuer:
                raise ValueError(f"JWT issuers {self._by_issuer[issuer].config.id} and {verifier.config.id} "
                                 f"both name {issuer}; configure each issuer once")
            self._by_issuer[issuer] = verifier

    def accepts(self, token: str) -> bool:
        return self._verifier_for(token) is not None

    async def verify(self, token: str) -> ExternalIdentity:
        verifier = self._verifier_for(token)
        if verifier is None:
            raise AuthenticationFailed("the token is not a JWT from a configured issuer")
        return await verifier.verify(token)

    def _verifier_for(self, token: str) -> JwtIssuerVerifier | None:
        if not self._by_issuer:
            return None
        claims = peek_claims(token)
        issuer = claims.get("iss") if claims is not None else None
        return self._by_issuer.get(issuer) if isinstance(issuer, str) else None
