"""Who is calling: bearer tokens (OIDC / local issuer)."""

from __future__ import annotations

from typing import Protocol

from domain.identity.principal import Principal


class TokenVerifier(Protocol):
    async def verify(self, token: str) -> Principal:
        """The principal a token names; raises ``AuthenticationFailed`` otherwise."""
        ...


class TokenIssuer(Protocol):
    async def issue(self, principal: Principal, ttl_s: int) -> str: ...
