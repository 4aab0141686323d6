"""The identity services' tunables (the composition root fills them from settings)."""

from __future__ import annotations

from dataclasses import dataclass, field

from domain.identity.throttle import LoginThrottle

HOUR_MS = 3_600_000


@dataclass(frozen=True, slots=True)
class IdentityOptions:
    default_tenant: str = "default"
    session_idle_ms: int = 12 * HOUR_MS
    session_lifetime_ms: int = 7 * 24 * HOUR_MS
    throttle: LoginThrottle = field(default_factory=LoginThrottle)
    ticket_ttl_ms: int = 30_000  # a WebSocket ticket is used within seconds of being issued
    flow_ttl_ms: int = 10 * 60_000  # the time a person has at their identity provider's sign-in page
    invite_lifetime_ms: int = 7 * 24 * HOUR_MS
    totp_issuer: str = "Observer-Eye"
