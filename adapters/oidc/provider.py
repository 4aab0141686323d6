"""Sign-in with any OpenID Connect provider found by discovery (Keycloak, Okta, Entra ID,
Google, GitLab, ...): the authorization code flow with PKCE, ``state`` and ``nonce``.

``start`` sends the browser to the provider's authorization endpoint with a fresh
``state`` (the key the caller keeps the flow under), ``nonce`` and PKCE S256 challenge;
``finish`` checks the callback (``state``, RFC 9207 ``iss`` when present or promised),
exchanges the code with the client secret (``client_secret_basic`` or ``_post``, as the
provider advertises), validates the ID token (signature by the issuer's keys; ``iss``,
``aud``, ``azp`` when there are several audiences, ``exp``, ``iat``, ``nbf``, ``nonce``,
``at_hash``; bounded clock skew) and, when the token lacks the email or the groups, reads
them from the userinfo endpoint. The protocol pieces are authlib's (PKCE, grant and
token requests, client authentication, the ID-token claims class); JOSE is joserfc.
"""

from __future__ import annotations

import base64
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import quote_plus

from authlib.oauth2.auth import ClientAuth
from authlib.oauth2.rfc6749.parameters import prepare_grant_uri, prepare_token_request
from authlib.oidc.core import CodeIDToken
from joserfc.errors import ClaimError

from adapters.oidc.claims import claim_at, identity_from_claims
from adapters.oidc.discovery import ProviderMetadata
from adapters.oidc.flow import check_callback, error_code, new_flow_secrets, require_flow
from adapters.oidc.http import ProviderHttp
from adapters.oidc.issuer import IssuerKeys, IssuerOptions
from adapters.oidc.tokens import claim_refusal, safe_algorithms, verify_signature
from domain.errors import AuthenticationFailed
from domain.identity.external import ExternalIdentity
from ports.clock import Clock
from ports.identity_providers import LoginStart

log = logging.getLogger(__name__)

# What the ID token says about the sign-in itself; userinfo may add profile claims, never these.
ID_TOKEN_ONLY = frozenset({"iss", "sub", "aud", "exp", "iat", "nbf", "nonce", "azp", "amr", "acr", "auth_time",
                           "at_hash", "c_hash", "sid", "jti"})


@dataclass(frozen=True, slots=True, kw_only=True)
class OidcConfig(IssuerOptions):
    """One OpenID Connect provider. ``endpoints`` override discovery (``authorization_endpoint``,
    ``token_endpoint``, ``userinfo_endpoint``, ``jwks_uri``); ``client_secret`` None makes a
    public client (PKCE only); ``token_auth_method`` None uses what the provider advertises."""

    name: str
    client_id: str
    client_secret: str | None = field(default=None, repr=False)
    scopes: tuple[str, ...] = ("openid", "email", "profile")
    groups_claim: str = "groups"
    userinfo: Literal["auto", "always", "never"] = "auto"
    endpoints: Mapping[str, str] = field(default_factory=dict)
    token_auth_method: Literal["client_secret_basic", "client_secret_post"] | None = None
    authorize_params: Mapping[str, str] = field(default_factory=dict)  # e.g. Google's hd, prompt

    def __post_init__(self) -> None:
        IssuerOptions.__post_init__(self)  # zero-argument super() does not work in slotted dataclasses
        if "openid" not in self.scopes:
            raise ValueError(f"{self.id}: scopes must include 'openid'")


class OidcProvider:
    """``ports.identity_providers.IdentityProvider`` for one OpenID Connect issuer."""

    kind = "oidc"

    def __init__(self, config: OidcConfig, clock: Clock, *, http: ProviderHttp | None = None) -> None:
        self.config = config
        self.id = config.id
        self.name = config.name
        self._clock = clock
        issuer = IssuerKeys(config, clock, overrides=config.endpoints, http=http,
                            needs=("authorization_endpoint", "token_endpoint", "jwks_uri"))
        self._http, self._discovery, self.keys = issuer.http, issuer.discovery, issuer.keys

    async def start(self, redirect_uri: str) -> LoginStart:
        meta = await self._sign_in_metadata()
        fresh = new_flow_secrets()
        url = prepare_grant_uri(
            meta.authorization_endpoint, self.config.client_id, "code", redirect_uri,
            scope=" ".join(self.config.scopes), state=fresh.state, nonce=fresh.nonce,
            code_challenge=fresh.code_challenge, code_challenge_method="S256", **self.config.authorize_params,
        )
        flow = {"state": fresh.state, "nonce": fresh.nonce, "code_verifier": fresh.code_verifier,
                "redirect_uri": redirect_uri}
        return LoginStart(redirect_url=url, state=fresh.state, flow=flow)

    async def finish(self, flow: Mapping[str, Any], callback: Mapping[str, str]) -> ExternalIdentity:
        meta = await self._sign_in_metadata()
        require_flow(flow, ("state", "nonce", "code_verifier", "redirect_uri"))
        check_callback(self.name, flow, callback, issuer=self.config.issuer,
                       iss_required=meta.authorization_response_iss_parameter_supported)
        token = await self._exchange(meta, callback["code"], flow)
        id_token, access_token = token.get("id_token"), token.get("access_token")
        if not isinstance(id_token, str):
            raise AuthenticationFailed(f"{self.name} sent no ID token; is 'openid' among the client's scopes?")
        claims = await self.verify_id_token(id_token, nonce=str(flow["nonce"]),
                                            access_token=access_token if isinstance(access_token, str) else None)
        if self._wants_userinfo(meta, claims) and isinstance(access_token, str):
            info = await self._userinfo(meta, access_token)
            if info.get("sub") != claims["sub"]:
                raise AuthenticationFailed(f"{self.name}'s userinfo answer is about another account")
            claims = {**{k: v for k, v in info.items() if k not in ID_TOKEN_ONLY}, **claims}
        return identity_from_claims(self.id, claims, groups_claim=self.config.groups_claim)

    async def _sign_in_metadata(self) -> ProviderMetadata:
        meta = await self._discovery.metadata()
        if not meta.authorization_endpoint or not meta.token_endpoint:
            raise AuthenticationFailed(f"{self.name} names no authorization or token endpoint")
        return meta

    async def _exchange(self, meta: ProviderMetadata, code: str, flow: Mapping[str, Any]) -> dict[str, Any]:
        body = prepare_token_request("authorization_code", code=code, redirect_uri=flow["redirect_uri"],
                                     code_verifier=flow["code_verifier"])
        headers = {"Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json"}
        method = self._token_auth_method(meta)
        auth = ClientAuth(self.config.client_id, self.config.client_secret,
                          _client_secret_basic if method == "client_secret_basic" else method)
        uri, headers, body = auth.prepare("POST", meta.token_endpoint, headers, body)
        what = f"the token endpoint of {self.name}"
        response = await self._http.request("POST", uri, what=what, headers=headers, content=body)
        token = response.json(what)
        if not isinstance(token, dict):
            raise AuthenticationFailed(f"{what} answered with something other than a JSON object")
        if response.status != 200 or "error" in token:
            raise AuthenticationFailed(f"{self.name} refused the sign-in code ({error_code(token.get('error'))})")
        token_type = token.get("token_type")
        if isinstance(token_type, str) and token_type.lower() != "bearer":
            raise AuthenticationFailed(f"{what} issued a {token_type!r} token, not a bearer token")
        return token

    def _token_auth_method(self, meta: ProviderMetadata) -> str:
        if self.config.client_secret is None:
            return "none"
        if self.config.token_auth_method is not None:
            return self.config.token_auth_method
        supported = meta.token_endpoint_auth_methods_supported
        if "client_secret_basic" in supported or "client_secret_post" not in supported:
            return "client_secret_basic"  # also the default when a provider lists neither (RFC 8414)
        return "client_secret_post"

    async def verify_id_token(self, id_token: str, *, nonce: str, access_token: str | None = None) -> dict[str, Any]:
        """The ID token's claims, once its signature and claims check out (OIDC Core §3.1.3.7)."""
        meta = await self._discovery.metadata()
        algorithms = safe_algorithms(meta.id_token_signing_alg_values_supported)
        if not algorithms:
            raise AuthenticationFailed(f"{self.name} signs ID tokens with no algorithm this service accepts")
        token = await verify_signature(id_token, self.keys, algorithms)
        essential = {"essential": True}
        claims = CodeIDToken(
            token.claims, token.header,
            options={"iss": {**essential, "value": self.config.issuer}, "aud": {**essential, "value": self.config.client_id},
                     "sub": essential, "exp": essential, "iat": essential},
            params={"nonce": nonce, "client_id": self.config.client_id, "access_token": access_token},
        )
        try:
            claims.validate(now=self._clock.now_ms() // 1000, leeway=self.config.clock_skew_s)
        except ClaimError as exc:
            raise claim_refusal(exc, subject="ID token") from None
        return dict(claims)

    def _wants_userinfo(self, meta: ProviderMetadata, claims: Mapping[str, Any]) -> bool:
        if self.config.userinfo == "never" or not meta.userinfo_endpoint:
            return False
        if self.config.userinfo == "always":
            return True
        return "email" not in claims or claim_at(claims, self.config.groups_claim) is None

    async def _userinfo(self, meta: ProviderMetadata, access_token: str) -> dict[str, Any]:
        what = f"the userinfo endpoint of {self.name}"
        response = await self._http.get(meta.userinfo_endpoint, what=what, headers={
            "Authorization": f"Bearer {access_token}", "Accept": "application/json"})
        if response.status != 200:
            raise AuthenticationFailed(f"{what} answered HTTP {response.status}")
        if response.content_type.startswith("application/jwt"):
            raise AuthenticationFailed(f"{what} answers with signed JWTs, which are not supported; set userinfo 'never'")
        info = response.json(what)
        if not isinstance(info, dict):
            raise AuthenticationFailed(f"{what} answered with something other than a JSON object")
        return info


def _client_secret_basic(client: ClientAuth, method: str, uri: str, headers: dict[str, str], body: str):
    """authlib's ``client_secret_basic``, with the id and secret form-urlencoded before
    base64 as RFC 6749 §2.3.1 requires (authlib sends them raw; a secret holding ``+`` or
    ``/``, as Entra ID's may, would then not match at a provider that decodes them)."""
    pair = f"{quote_plus(client.client_id)}:{quote_plus(client.client_secret)}"
    headers["Authorization"] = "Basic " + base64.b64encode(pair.encode()).decode("ascii")
    return uri, headers, body
