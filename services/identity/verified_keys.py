"""API keys verified in the last few seconds, so a busy sender skips the database.

A Prometheus sending remote write, or an agent, presents the same key many times a
second; checking it each time costs a unit of work in a database thread (two queries),
about a quarter of an API worker's time under the ingest benchmark and much of a
request's latency (docs/adr/0013-ingest-hot-path.md). A key is therefore remembered for
``ttl_ms`` after it was verified, keyed by the SHA-256 of the credential (the plaintext
is never kept), and never past the key's own expiry.

What could make a remembered key wrong is a change in its tenant's credentials: a key
revoked or rotated, a user's role changed or deactivated (which revokes their keys), the
tenant deactivated. The services that make those changes call ``changed(tenant)``: this
process forgets the tenant's keys at once, and every other process hears it on the
configuration channel (kind ``credentials``) and forgets them too. If that announcement
is lost (or the change came from a process without the shared pub/sub, such as the CLI
beside the embedded default) a change applies within ``ttl_ms``.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from dataclasses import dataclass

from domain.identity.principal import Principal
from ports.cache import PubSub
from services.config_changes import announce

KIND = "credentials"


@dataclass(frozen=True, slots=True)
class _Entry:
    principal: Principal
    until_ms: int


def credential_digest(plaintext: str) -> bytes:
    return hashlib.sha256(plaintext.encode("utf-8", "surrogatepass")).digest()


class VerifiedKeys:
    """At most ``capacity`` keys (least recently verified dropped first); ``ttl_ms`` 0
    remembers nothing, so every request goes to the database."""

    def __init__(self, ttl_ms: int = 5_000, capacity: int = 1_024, pubsub: PubSub | None = None) -> None:
        self.ttl_ms = max(0, int(ttl_ms))
        self._capacity = capacity
        self._pubsub = pubsub
        self._entries: OrderedDict[bytes, _Entry] = OrderedDict()

    def get(self, digest: bytes, now_ms: int) -> Principal | None:
        entry = self._entries.get(digest)
        if entry is None:
            return None
        if now_ms >= entry.until_ms:
            del self._entries[digest]
            return None
        return entry.principal

    def put(self, digest: bytes, principal: Principal, now_ms: int, expires_at_ms: int | None) -> None:
        if self.ttl_ms <= 0:
            return
        until = now_ms + self.ttl_ms if expires_at_ms is None else min(now_ms + self.ttl_ms, expires_at_ms)
        self._entries[digest] = _Entry(principal, until)
        self._entries.move_to_end(digest)
        while len(self._entries) > self._capacity:
            self._entries.popitem(last=False)

    def forget(self, tenant: str) -> None:
        """Drop every remembered key of ``tenant`` (a reloader of kind ``credentials``)."""
        for digest in [d for d, e in self._entries.items() if e.principal.tenant == tenant]:
            del self._entries[digest]

    async def changed(self, tenant: str) -> None:
        """``tenant``'s credentials changed (after the change committed): forget them
        here and tell the other processes."""
        self.forget(tenant)
        await announce(self._pubsub, tenant, KIND)

    def __len__(self) -> int:
        return len(self._entries)


async def credentials_changed(verified: VerifiedKeys | None, tenant: str) -> None:
    if verified is not None:
        await verified.changed(tenant)
