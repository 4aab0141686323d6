"""An issuer's signing keys (its JWKS), cached, refreshed, and refetched on rotation.

Issuers rotate keys by publishing a new key, then signing with it. A token whose ``kid``
the cached set does not hold is the sign of a rotation, so the set is fetched again,
but at most once per ``min_refetch_s``: otherwise anyone could make every API request
cost a round trip to the issuer by sending tokens with made-up key ids. The set is also
refetched when older than ``max_age_s``, so keys the issuer withdrew stop being trusted.
If a refetch fails, the keys in hand stay in use (and the next attempt waits another
``min_refetch_s``): an issuer's outage must not refuse tokens signed by keys we know.

Concurrent requests share one fetch (a lock, then a check of what changed meanwhile).
Parsing is joserfc's ``KeySet.import_key_set``; keys of types it does not know are
skipped, as RFC 7517 §5 asks.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from adapters.oidc.http import ProviderHttp
from domain.errors import AuthenticationFailed
from ports.clock import Clock

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class KeySnapshot:
    """The key set as fetched at one time; ``generation`` counts the fetches."""

    keys: KeySet
    generation: int


class JwksCache:
    """The signing keys of one issuer. ``jwks_uri`` is resolved lazily (it may come from discovery)."""

    def __init__(self, http: ProviderHttp, jwks_uri: Callable[[], Awaitable[str]], clock: Clock, *, issuer: str,
                 max_age_s: float = 3600.0, min_refetch_s: float = 60.0) -> None:
        self.issuer = issuer
        self._http = http
        self._jwks_uri = jwks_uri
        self._clock = clock
        self._max_age_ms = max_age_s * 1000
        self._min_refetch_ms = min_refetch_s * 1000
        self._snapshot: KeySnapshot | None = None
        self._fetched_ms = 0
        self._attempted_ms: int | None = None
        self._lock = asyncio.Lock()
        self.fetches = 0  # successful fetches, for the logs and the tests

    async def current(self) -> KeySnapshot:
        """The cached keys, fetched first if there are none or they are older than ``max_age_s``."""
        snapshot = self._snapshot
        if snapshot is not None and self._clock.now_ms() - self._fetched_ms < self._max_age_ms:
            return snapshot
        async with self._lock:
            if self._snapshot is not None and self._snapshot is not snapshot:
                return self._snapshot  # fetched by another task while this one waited
            if self._snapshot is not None and not self._may_attempt():
                return self._snapshot  # stale, but the last attempt failed recently
            try:
                return await self._fetch()
            except AuthenticationFailed:
                if self._snapshot is None:
                    raise
                log.warning("refreshing the keys of %s failed; keeping the %d keys in hand",
                            self.issuer, len(self._snapshot.keys.keys))
                return self._snapshot

    async def after_unknown_key(self, seen: KeySnapshot) -> KeySnapshot | None:
        """A token named a key ``seen`` lacks: the keys fetched again, or by another task
        since ``seen``; None when a fetch was attempted too recently or failed."""
        async with self._lock:
            if self._snapshot is not None and self._snapshot.generation != seen.generation:
                return self._snapshot
            if not self._may_attempt():
                return None
            try:
                return await self._fetch()
            except AuthenticationFailed as exc:
                log.warning("refetching the keys of %s for an unknown key id failed: %s", self.issuer, exc)
                return None

    def _may_attempt(self) -> bool:
        if self._attempted_ms is None:
            return True
        elapsed = self._clock.now_ms() - self._attempted_ms
        return elapsed >= self._min_refetch_ms or elapsed < 0  # a clock set back does not block refetching

    async def _fetch(self) -> KeySnapshot:
        self._attempted_ms = self._clock.now_ms()
        what = f"the signing keys of {self.issuer}"
        document = await self._http.get_json(await self._jwks_uri(), what=what)
        try:
            keys = KeySet.import_key_set(document)
        except (JoseError, TypeError, KeyError, ValueError) as exc:
            log.warning("%s could not be read: %s", what, exc)
            raise AuthenticationFailed(f"{what} are not a valid JSON Web Key Set") from None
        generation = self._snapshot.generation + 1 if self._snapshot is not None else 1
        self._snapshot = KeySnapshot(keys, generation)
        self._fetched_ms = self._attempted_ms
        self.fetches += 1
        log.info("fetched %d signing keys of %s", len(keys.keys), self.issuer)
        return self._snapshot
