"""Local token issuer: HS256 JWTs signed with a key generated at start (embedded mode).

Production verifies OIDC tokens from an external issuer instead; this one lets the
embedded stack hand out short-lived session tokens without any outside service.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time

from domain.errors import AuthenticationFailed
from domain.identity.principal import Principal


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class LocalTokenIssuer:
    """Issues and verifies tokens with one process-local secret."""

    def __init__(self, secret: bytes | None = None, issuer: str = "observer-eye", clock=time.time) -> None:
        self._secret = secret or secrets.token_bytes(32)
        self._issuer = issuer
        self._clock = clock

    def _sign(self, signing_input: bytes) -> str:
        return _b64(hmac.new(self._secret, signing_input, hashlib.sha256).digest())

    async def issue(self, principal: Principal, ttl_s: int) -> str:
        now = int(self._clock())
        header = _b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
        claims = {
            "iss": self._issuer, "sub": principal.subject, "tenant": principal.tenant,
            "role": principal.role.value, "iat": now, "exp": now + ttl_s,
        }
        if principal.scopes is not None:
            claims["scopes"] = sorted(s.value for s in principal.scopes)
        body = _b64(json.dumps(claims, separators=(",", ":")).encode())
        signing_input = f"{header}.{body}".encode()
        return f"{header}.{body}.{self._sign(signing_input)}"

    async def verify(self, token: str) -> Principal:
        try:
            header, body, signature = token.split(".")
            # Check the signature before parsing anything the caller sent.
            if not hmac.compare_digest(self._sign(f"{header}.{body}".encode()), signature):
                raise AuthenticationFailed("token signature does not verify")
            head = json.loads(_unb64(header))
            if not isinstance(head, dict) or head.get("alg") != "HS256":
                raise AuthenticationFailed("unsupported token algorithm")
            claims = json.loads(_unb64(body))
            if not isinstance(claims, dict):
                raise AuthenticationFailed("malformed token")
        except AuthenticationFailed:
            raise
        except (ValueError, TypeError, RecursionError):
            raise AuthenticationFailed("malformed token") from None
        if claims.get("iss") != self._issuer:
            raise AuthenticationFailed("token from an unknown issuer")
        if int(claims.get("exp", 0)) <= self._clock():
            raise AuthenticationFailed("token expired; sign in again")
        return Principal(claims["tenant"], claims["sub"], claims["role"], claims.get("scopes"))
