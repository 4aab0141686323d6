"""Browser sessions and one-time tokens: server-side records, revocable.

The browser holds only an opaque random token (256 bits, ``secrets``); the server stores
its SHA-256 (``hash_token``), so whoever reads the database cannot replay a session, the
same reasoning as for API keys (``api_keys.py``). A session ends at whichever comes
first: ``idle_ms`` without a request (sliding), ``expires_at_ms`` (absolute, fixed at
sign-in), or revocation (sign-out, deactivation, an admin).

Writes on every request would make each read a database write, so ``touch`` moves
``last_seen_at_ms`` only once it is ``TOUCH_GRANULARITY`` stale: the idle timeout is
then exact to within that granularity, which is negligible next to hours.

The CSRF token is bound to the session (its hash stored with it): a value planted in
the ``oe_csrf`` cookie by a sibling subdomain is useless without the session's own.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass, field, replace
from typing import Any

from domain.errors import ValidationError
from domain.identity.principal import validate_auth_method
from domain.identity.tenants import check_ms, validate_tenant_id

TOKEN_BYTES = 32
TOUCH_GRANULARITY_MS = 60_000
MAX_USER_AGENT = 256
MAX_ADDRESS = 64


def new_token() -> str:
    """A random token for a cookie or URL: 256 bits, URL-safe base64."""
    return secrets.token_urlsafe(TOKEN_BYTES)


def hash_token(token: str) -> str:
    """Hex SHA-256, how tokens are stored and looked up."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def _short(value: object, limit: int, name: str) -> str:
    if not isinstance(value, str):
        raise ValidationError(f"{name} must be a string", field=name)
    return value[:limit]


@dataclass(frozen=True, slots=True)
class Session:
    id: str  # public id (listing, audit); never the token
    tenant: str
    user_id: str
    token_hash: str = field(repr=False)
    csrf_hash: str = field(repr=False)
    auth: str  # "local" or "oidc:<provider>"
    created_at_ms: int
    last_seen_at_ms: int
    idle_ms: int
    expires_at_ms: int
    mfa: bool = False  # signed in with a second factor
    remote_addr: str = ""
    user_agent: str = ""
    revoked_at_ms: int | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.id, str) or not self.id or len(self.id) > 64:
            raise ValidationError("session id must be 1-64 characters", field="id")
        validate_tenant_id(self.tenant)
        if not isinstance(self.user_id, str) or not self.user_id:
            raise ValidationError("a session needs its user", field="user_id")
        for name in ("token_hash", "csrf_hash"):
            value = getattr(self, name)
            if not isinstance(value, str) or len(value) != 64:
                raise ValidationError(f"{name} must be a hex SHA-256 digest", field=name)
        validate_auth_method(self.auth)
        for name in ("created_at_ms", "last_seen_at_ms", "idle_ms", "expires_at_ms"):
            check_ms(getattr(self, name), name)
        if self.revoked_at_ms is not None:
            check_ms(self.revoked_at_ms, "revoked_at_ms")
        object.__setattr__(self, "remote_addr", _short(self.remote_addr, MAX_ADDRESS, "remote_addr"))
        object.__setattr__(self, "user_agent", _short(self.user_agent, MAX_USER_AGENT, "user_agent"))

    @classmethod
    def start(cls, tenant: str, user_id: str, auth: str, now_ms: int, *, idle_ms: int, lifetime_ms: int,
              mfa: bool = False, remote_addr: str = "", user_agent: str = "") -> tuple["Session", str, str]:
        """A new session: ``(record, session token, CSRF token)``; the tokens go to the
        browser, only their hashes are kept."""
        token, csrf = new_token(), new_token()
        session = cls(
            id=f"ses_{secrets.token_hex(8)}", tenant=tenant, user_id=user_id, token_hash=hash_token(token),
            csrf_hash=hash_token(csrf), auth=auth, created_at_ms=now_ms, last_seen_at_ms=now_ms, idle_ms=idle_ms,
            expires_at_ms=now_ms + lifetime_ms, mfa=mfa, remote_addr=remote_addr, user_agent=user_agent,
        )
        return session, token, csrf

    def is_active(self, now_ms: int) -> bool:
        return (self.revoked_at_ms is None and now_ms < self.expires_at_ms
                and now_ms - self.last_seen_at_ms < self.idle_ms)

    def touched(self, now_ms: int) -> "Session":
        """The session seen at ``now_ms``: itself while within the touch granularity."""
        if now_ms - self.last_seen_at_ms < TOUCH_GRANULARITY_MS:
            return self
        return replace(self, last_seen_at_ms=now_ms)

    def revoke(self, now_ms: int) -> "Session":
        check_ms(now_ms, "revoked_at_ms")
        return self if self.revoked_at_ms is not None else replace(self, revoked_at_ms=now_ms)

    def csrf_matches(self, token: object) -> bool:
        return isinstance(token, str) and bool(token) and hmac.compare_digest(hash_token(token), self.csrf_hash)


@dataclass(frozen=True, slots=True)
class OneTimeToken:
    """A single-use, short-lived token: a WebSocket ticket, or the server-side half of
    an OpenID Connect sign-in (keyed by its ``state``). ``payload`` is JSON."""

    kind: str  # "stream_ticket", "oidc_flow"
    token_hash: str = field(repr=False)
    expires_at_ms: int
    payload: dict[str, Any] = field(default_factory=dict, compare=False)

    def __post_init__(self) -> None:
        if not isinstance(self.kind, str) or not self.kind or len(self.kind) > 32:
            raise ValidationError("token kind must be 1-32 characters", field="kind")
        if not isinstance(self.token_hash, str) or len(self.token_hash) != 64:
            raise ValidationError("token_hash must be a hex SHA-256 digest", field="token_hash")
        check_ms(self.expires_at_ms, "expires_at_ms")
        if not isinstance(self.payload, dict):
            raise ValidationError("payload must be an object", field="payload")
