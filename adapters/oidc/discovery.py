"""OpenID Provider metadata (OpenID Connect Discovery 1.0), fetched once and cached.

The document at ``{issuer}/.well-known/openid-configuration`` names the endpoints, the
key set and what the provider supports. Its ``issuer`` must equal the configured issuer
exactly (Discovery §4.3): that value is what every ID token's ``iss`` is checked
against, so a document that names another issuer is refused rather than trusted.
Endpoints set in the configuration override the discovered ones; when every endpoint
the caller needs is configured (a sign-in needs the authorization and token endpoints
and the key set, a bearer-token verifier only the key set), nothing is fetched.

The document is kept ``ttl_s`` (an hour by default) and refetched after; if the
refetch fails, the last good document stays in use (a provider's brief outage must
not stop sign-ins whose endpoints are known).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from adapters.oidc.http import ProviderHttp, check_url
from domain.errors import AuthenticationFailed
from ports.clock import Clock

log = logging.getLogger(__name__)

ENDPOINTS = ("authorization_endpoint", "token_endpoint", "userinfo_endpoint", "jwks_uri")


@dataclass(frozen=True, slots=True)
class ProviderMetadata:
    issuer: str
    jwks_uri: str
    authorization_endpoint: str | None = None
    token_endpoint: str | None = None
    userinfo_endpoint: str | None = None
    token_endpoint_auth_methods_supported: tuple[str, ...] = ("client_secret_basic",)
    id_token_signing_alg_values_supported: tuple[str, ...] = ("RS256",)
    authorization_response_iss_parameter_supported: bool = False


def discovery_url(issuer: str) -> str:
    return issuer.rstrip("/") + "/.well-known/openid-configuration"


class Discovery:
    """The metadata of one issuer, from configuration and (unless fully configured) discovery."""

    def __init__(self, http: ProviderHttp, issuer: str, clock: Clock, *, overrides: Mapping[str, str | None] | None = None,
                 needs: tuple[str, ...] = ("authorization_endpoint", "token_endpoint", "jwks_uri"),
                 allow_http: bool = False, ttl_s: float = 3600.0) -> None:
        self.issuer = check_url(issuer, what="the issuer", allow_http=allow_http)
        self._http = http
        self._clock = clock
        self._overrides = {k: v for k, v in (overrides or {}).items() if v}
        unknown = set(self._overrides) - set(ENDPOINTS)
        if unknown:
            raise ValueError(f"unknown endpoint settings: {', '.join(sorted(unknown))}")
        self._allow_http = allow_http
        self._ttl_ms = ttl_s * 1000
        self._cached: ProviderMetadata | None = None
        self._fetched_ms = 0
        self._lock = asyncio.Lock()
        if {*needs, "jwks_uri"} <= set(self._overrides):
            self._cached = self._checked(ProviderMetadata(issuer=issuer, **self._overrides))
            self._ttl_ms = float("inf")

    async def metadata(self) -> ProviderMetadata:
        if self._cached is not None and self._fresh():
            return self._cached
        async with self._lock:
            if self._cached is not None and self._fresh():  # another task refreshed it meanwhile
                return self._cached
            try:
                self._cached = await self._fetch()
                self._fetched_ms = self._clock.now_ms()
            except AuthenticationFailed:
                if self._cached is None:
                    raise
                log.warning("refreshing the metadata of %s failed; keeping the last good document", self.issuer)
                self._fetched_ms = self._clock.now_ms()  # retried after another ttl, not on every sign-in
            return self._cached

    def _fresh(self) -> bool:
        return self._clock.now_ms() - self._fetched_ms < self._ttl_ms

    async def _fetch(self) -> ProviderMetadata:
        what = f"the discovery document of {self.issuer}"
        document = await self._http.get_json(discovery_url(self.issuer), what=what)
        if not isinstance(document, dict):
            raise AuthenticationFailed(f"{what} is not a JSON object")
        if document.get("issuer") != self.issuer:
            log.error("%s names the issuer %r; the configured issuer must match it exactly", what, document.get("issuer"))
            raise AuthenticationFailed(f"{what} names another issuer; check the configured issuer")
        try:
            return self._checked(_parse(document, self.issuer, self._overrides, what))
        except ValueError as exc:  # the document points at plain HTTP
            raise AuthenticationFailed(str(exc)) from None

    def _checked(self, metadata: ProviderMetadata) -> ProviderMetadata:
        for name in ENDPOINTS:
            url = getattr(metadata, name)
            if url is not None:
                check_url(url, what=f"{name} of {self.issuer}", allow_http=self._allow_http)
        return metadata


def _parse(document: dict[str, Any], issuer: str, overrides: Mapping[str, str], what: str) -> ProviderMetadata:
    def strings(name: str, default: tuple[str, ...]) -> tuple[str, ...]:
        value = document.get(name)
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            return tuple(value)
        return default

    endpoints = {name: document.get(name) if isinstance(document.get(name), str) else None for name in ENDPOINTS}
    endpoints.update(overrides)
    if not endpoints["jwks_uri"]:
        raise AuthenticationFailed(f"{what} names no jwks_uri")
    return ProviderMetadata(
        issuer=issuer, jwks_uri=endpoints["jwks_uri"], authorization_endpoint=endpoints["authorization_endpoint"],
        token_endpoint=endpoints["token_endpoint"], userinfo_endpoint=endpoints["userinfo_endpoint"],
        token_endpoint_auth_methods_supported=strings("token_endpoint_auth_methods_supported", ("client_secret_basic",)),
        id_token_signing_alg_values_supported=strings("id_token_signing_alg_values_supported", ("RS256",)),
        authorization_response_iss_parameter_supported=document.get("authorization_response_iss_parameter_supported") is True,
    )
