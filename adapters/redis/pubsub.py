"""Live fan-out over Redis pub/sub, so any API replica serves any WebSocket client.

One Redis connection per process carries every channel its local subscribers want
(thousands of browsers do not become thousands of Redis connections); a reader task
dispatches each message to the local subscribers' queues. Each queue is bounded and
drops its oldest entry when full: a slow browser gets the freshest updates, never an
unbounded backlog, and never slows the others down.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Sequence

import redis.asyncio as aioredis
from redis.exceptions import RedisError

log = logging.getLogger(__name__)

Item = tuple[str, bytes]


class RedisPubSub:
    def __init__(self, client: aioredis.Redis, prefix: str = "oe", queue_size: int = 1000) -> None:
        self._client = client
        self._prefix = f"{prefix}:live:"
        self._queue_size = queue_size
        self._local: dict[str, set[asyncio.Queue[Item]]] = {}
        self._pubsub: aioredis.client.PubSub | None = None
        self._remote: set[str] = set()  # what this connection asked Redis for
        self._reader: asyncio.Task[None] | None = None
        self._lock = asyncio.Lock()
        self._warned_at = float("-inf")
        self._listened: dict[str, tuple[bool, float]] = {}  # channel -> (answer, when): NUMSUB for 0.1 s

    async def listened(self, channel: str) -> bool:
        """A local subscriber, else Redis' ``PUBSUB NUMSUB`` (any process), asked at most
        every 0.1 s per channel. If Redis cannot answer: True (publishing is best effort)."""
        if self._local.get(channel):
            return True
        now = time.monotonic()
        cached = self._listened.get(channel)
        if cached is not None and now - cached[1] < 0.1:
            return cached[0]
        try:
            ((_, count),) = await self._client.pubsub_numsub(self._prefix + channel)
        except (RedisError, OSError):
            return True
        if len(self._listened) > 10_000:  # channels are per tenant: a handful; bounded all the same
            self._listened.clear()
        self._listened[channel] = (count > 0, now)
        return count > 0

    async def publish(self, channel: str, payload: bytes) -> None:
        """Best effort, like pub/sub itself: a live update lost to a Redis outage is
        logged and dropped (the data is already stored; the next update supersedes it)."""
        try:
            await self._client.publish(self._prefix + channel, payload)
        except (RedisError, OSError) as exc:
            if time.monotonic() - self._warned_at >= 30:
                self._warned_at = time.monotonic()
                log.warning("live update on %r dropped: Redis is unavailable (%r)", channel, exc)

    def subscribe(self, channels: Sequence[str]) -> AsyncIterator[Item]:
        # The local queue is registered now and the Redis SUBSCRIBE is sent now (not on
        # first iteration); the first iteration waits for it and raises if it failed.
        q: asyncio.Queue[Item] = asyncio.Queue(self._queue_size)
        wanted = tuple(dict.fromkeys(channels))
        for c in wanted:
            self._local.setdefault(c, set()).add(q)
        registering = asyncio.ensure_future(self._sync_subscriptions())
        return self._drain(q, wanted, registering)

    async def close(self) -> None:
        if self._reader is not None:
            self._reader.cancel()
            try:
                await self._reader
            except (asyncio.CancelledError, Exception):
                pass
            self._reader = None
        if self._pubsub is not None:
            await self._pubsub.aclose()
            self._pubsub = None
            self._remote.clear()

    async def _drain(self, q: asyncio.Queue[Item], channels: tuple[str, ...], registering: asyncio.Future[None]) -> AsyncIterator[Item]:
        try:
            await registering
            while True:
                yield await q.get()
        finally:
            if not registering.done():
                registering.cancel()
            for c in channels:
                subs = self._local.get(c)
                if subs is not None:
                    subs.discard(q)
                    if not subs:
                        del self._local[c]
            if any(c not in self._local for c in channels):
                try:
                    await self._sync_subscriptions()
                except (RedisError, OSError) as exc:
                    log.debug("unsubscribing: %r", exc)  # the reconnect re-subscribes only what is wanted

    async def _sync_subscriptions(self) -> None:
        """Make Redis' subscriptions match what local subscribers want."""
        async with self._lock:
            if self._pubsub is None:
                self._pubsub = self._client.pubsub(ignore_subscribe_messages=True)
            ps = self._pubsub
            want = set(self._local)
            if want - self._remote:
                add = sorted(want - self._remote)
                await ps.subscribe(*(self._prefix + c for c in add))
                self._remote.update(add)
            if self._remote - want:
                drop = sorted(self._remote - want)
                await ps.unsubscribe(*(self._prefix + c for c in drop))
                self._remote.difference_update(drop)
            if self._remote and (self._reader is None or self._reader.done()):
                self._reader = asyncio.create_task(self._read(ps), name="redis-pubsub-reader")

    async def _read(self, ps: aioredis.client.PubSub) -> None:
        backoff = 0.1
        while True:
            try:
                msg = await ps.get_message(ignore_subscribe_messages=True, timeout=1.0)
                backoff = 0.1
            except asyncio.CancelledError:
                raise
            except (RedisError, OSError) as exc:
                # redis-py reconnects on the next call and re-subscribes its channels.
                log.warning("Redis pub/sub connection lost (%r); reconnecting in %.1fs", exc, backoff)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 5.0)
                continue
            if msg is None or msg.get("type") != "message":
                continue
            channel = _text(msg["channel"])[len(self._prefix):]
            item = (channel, msg["data"])
            for q in list(self._local.get(channel, ())):
                if q.full():
                    q.get_nowait()  # drop the oldest: the newest update matters most
                q.put_nowait(item)


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value
