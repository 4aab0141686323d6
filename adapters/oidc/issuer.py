"""What the OpenID Connect provider and the bearer-JWT verifier share about an issuer:
how to reach it (options) and its metadata and signing keys (discovery, JWKS cache)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from adapters.oidc.discovery import Discovery
from adapters.oidc.http import ProviderHttp
from adapters.oidc.jwks import JwksCache
from adapters.oidc.tokens import MAX_CLOCK_SKEW_S
from ports.clock import Clock


@dataclass(frozen=True, slots=True, kw_only=True)
class IssuerOptions:
    """Connection and validation options of one issuer (the base of its configuration)."""

    id: str
    issuer: str
    clock_skew_s: int = 60
    timeout_s: float = 10.0
    ca_file: Path | None = None
    allow_http: bool = False
    jwks_min_refetch_s: float = 60.0

    def __post_init__(self) -> None:
        if not 0 <= self.clock_skew_s <= MAX_CLOCK_SKEW_S:
            raise ValueError(f"{self.id}: clock_skew_s must be 0-{MAX_CLOCK_SKEW_S}")


class IssuerKeys:
    """An issuer's metadata (configured endpoints, else discovery) and its signing keys."""

    def __init__(self, options: IssuerOptions, clock: Clock, *, overrides: Mapping[str, str | None],
                 needs: tuple[str, ...], http: ProviderHttp | None = None) -> None:
        self.http = http or ProviderHttp(timeout_s=options.timeout_s, ca_file=options.ca_file)
        self.discovery = Discovery(self.http, options.issuer, clock, overrides=overrides, needs=needs,
                                   allow_http=options.allow_http)
        self.keys = JwksCache(self.http, self._jwks_uri, clock, issuer=options.issuer,
                              min_refetch_s=options.jwks_min_refetch_s)

    async def _jwks_uri(self) -> str:
        return (await self.discovery.metadata()).jwks_uri
