"""``ports.notify.DeliveryLedger`` on Redis: which notifications were delivered, and
who is delivering which right now, shared by every worker.

Two keys per notification: ``sent:<key>`` (kept ``sent_ttl_s``, 30 days by default:
keys embed the notification time, so an older one never comes back) and
``lock:<key>`` (``SET NX PX``, the claim of one attempt, expiring so a crashed worker
does not block the delivery forever). Each operation is one Lua script, so checking
and claiming cannot interleave between workers.

A worker that dies between the far side accepting a message and ``mark_sent`` leaves
only an expiring claim: after it expires a retry sends again. That window is the
at-least-once part; receivers get the idempotency key to close it on their side.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import redis.asyncio as aredis

from ports.notify import Claim

_CLAIM = """
if redis.call('EXISTS', KEYS[1]) == 1 then return 'sent' end
local holder = redis.call('GET', KEYS[2])
if holder and holder ~= ARGV[1] then return 'busy' end
redis.call('SET', KEYS[2], ARGV[1], 'PX', ARGV[2])
return 'claimed'
"""
_MARK_SENT = """
redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])
if redis.call('GET', KEYS[2]) == ARGV[1] then redis.call('DEL', KEYS[2]) end
return 1
"""
_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""


class RedisDeliveryLedger:
    def __init__(self, redis_url: str, *, namespace: str = "observer-eye", sent_ttl_s: int = 30 * 86_400,
                 redis_options: Mapping[str, Any] | None = None) -> None:
        self._url = redis_url
        self._options = dict(redis_options or {})  # credentials (password, TLS files)
        self._prefix = f"{namespace}:delivery:"
        self._sent_ttl_s = sent_ttl_s

    def _keys(self, key: str) -> list[str]:
        return [f"{self._prefix}sent:{key}", f"{self._prefix}lock:{key}"]

    async def _eval(self, script: str, keys: list[str], *args: object) -> object:
        # A client per call: deliveries are rare, and a client outliving its event loop
        # (tests, forked workers) is a worse problem than a connection per delivery.
        async with aredis.Redis.from_url(self._url, decode_responses=True, **self._options) as r:
            return await r.eval(script, len(keys), *keys, *args)

    async def claim(self, key: str, owner: str, ttl_s: float) -> Claim:
        return Claim(await self._eval(_CLAIM, self._keys(key), owner, max(1, int(ttl_s * 1000))))

    async def mark_sent(self, key: str, owner: str) -> None:
        await self._eval(_MARK_SENT, self._keys(key), owner, self._sent_ttl_s)

    async def release(self, key: str, owner: str) -> None:
        await self._eval(_RELEASE, self._keys(key)[1:], owner)
