"""Configuration changes take effect in every process within seconds, with no restart.

A service that changed a tenant's configuration (routes, receivers, schedules, rules, ...)
calls ``announce`` after its unit of work committed; every API and consumer process runs a
``ConfigWatcher`` that hears it on the pub/sub channel ``config`` (Redis across processes,
in-process on the embedded default) and calls the reloaders registered for that kind,
which drop or rebuild what they cached. A lost announcement is repaired by the reloaders'
own expiry (each cache also re-reads after a bounded age).
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections import defaultdict
from collections.abc import AsyncIterator, Awaitable, Callable

from ports.cache import PubSub
from services.streaming import publish_event

log = logging.getLogger(__name__)
CONFIG_CHANNEL = "config"
Reloader = Callable[[str], Awaitable[None] | None]  # called with the tenant whose config changed


async def announce(pubsub: PubSub | None, tenant: str, kind: str) -> None:
    """Tell every process that ``kind`` (e.g. ``routing``, ``schedules``) of ``tenant`` changed."""
    await publish_event(pubsub, CONFIG_CHANNEL, {"type": "config_changed", "tenant": tenant, "kind": kind})


class ConfigWatcher:
    def __init__(self, pubsub: PubSub) -> None:
        self._pubsub = pubsub
        self._reloaders: dict[str, list[Reloader]] = defaultdict(list)

    def on(self, kind: str, reloader: Reloader) -> None:
        self._reloaders[kind].append(reloader)

    async def dispatch(self, payload: bytes) -> None:
        try:
            doc = json.loads(payload)
            tenant, kind = str(doc["tenant"]), str(doc["kind"])
        except (ValueError, KeyError, TypeError):
            log.warning("ignored a malformed config announcement: %r", payload[:200])
            return
        for reloader in self._reloaders.get(kind, ()):
            try:
                result = reloader(tenant)
                if asyncio.iscoroutine(result):
                    await result
            except Exception:
                # One failing reloader must not keep the others stale.
                log.exception("reloading %s of tenant %s failed", kind, tenant)

    async def run(self, stop: asyncio.Event) -> None:
        """Listen until ``stop`` is set."""
        # Subscribed before anything else runs: no announcement after this call is missed.
        listener = asyncio.create_task(self._listen(self._pubsub.subscribe([CONFIG_CHANNEL])), name="config-changes")
        try:
            await stop.wait()
        finally:
            listener.cancel()
            await asyncio.gather(listener, return_exceptions=True)

    async def _listen(self, changes: AsyncIterator[tuple[str, bytes]]) -> None:
        try:
            async for _, payload in changes:
                await self.dispatch(payload)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.warning("config change announcements stopped; caches re-read on their own expiry", exc_info=True)
