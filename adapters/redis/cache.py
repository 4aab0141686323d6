"""Latest value per series and per-tenant token buckets, in Redis.

Both are Lua scripts because both are read-compare-write: two writers (two writer
processes after a rebalance, two API replicas taking the same tenant's requests) must
not interleave between the read and the write. A script runs atomically in Redis.
"""

from __future__ import annotations

import logging
import struct
import time
from collections.abc import Callable, Sequence

import redis.asyncio as aioredis
from redis.exceptions import RedisError

from domain.metrics.samples import Sample
from ports.cache import RateDecision

log = logging.getLogger(__name__)

# KEYS[1] = the tenant's hash; ARGV[1] = one line per series, "field\ttimestamp\tvalue\n"
# (one argument, not three per series: redis-py encodes every argument in Python, which
# cost more than the script; see docs/adr/0013-ingest-hot-path.md).
# Stored as "<timestamp>:<16 hex digits of the float64>": bit-exact (NaN payloads too)
# and the timestamp is readable by the script without unpacking anything.
_SET_LATEST = r"""
local key = KEYS[1]
for field, ts, value in string.gmatch(ARGV[1], '([^\t]+)\t([^\t]+)\t([^\n]+)\n') do
  local t = tonumber(ts)
  local old = redis.call('HGET', key, field)
  if (not old) or tonumber(string.match(old, '^(-?%d+):')) <= t then
    redis.call('HSET', key, field, ts .. ':' .. value)
  end
end
return 0
"""

# KEYS[1] = the bucket; ARGV = cost, rate per second, burst, now (seconds; empty: the
# server's clock, so every API replica shares one clock). Returns {allowed, retry-after}
# with the retry time as a string (Lua numbers become integers on the way out).
_TOKEN_BUCKET = """
local cost = tonumber(ARGV[1])
local rate = tonumber(ARGV[2])
local burst = tonumber(ARGV[3])
local now
if ARGV[4] ~= '' then
  now = tonumber(ARGV[4])
else
  local t = redis.call('TIME')
  now = tonumber(t[1]) + tonumber(t[2]) / 1000000
end
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(state[1])
local at = tonumber(state[2])
if tokens == nil or at == nil then
  tokens = burst
  at = now
end
if now > at then
  tokens = math.min(burst, tokens + (now - at) * rate)
  at = now
end
local allowed = 0
local retry = 0
if cost <= tokens then
  tokens = tokens - cost
  allowed = 1
else
  local needed = math.min(cost, burst) - tokens
  if rate > 0 then retry = math.max(needed / rate, 0.001) else retry = 60 end
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(at))
-- A full bucket is the same as no bucket: let idle ones expire.
local ttl = 60000
if rate > 0 then ttl = math.ceil(burst / rate * 1000) + 1000 end
redis.call('PEXPIRE', KEYS[1], ttl)
return {allowed, tostring(retry)}
"""

_F64 = struct.Struct(">d")


def _pack(value: float) -> str:
    return _F64.pack(value).hex()


def _unpack(stored: bytes) -> Sample:
    ts, _, bits = stored.partition(b":")
    return Sample(int(ts), _F64.unpack(bytes.fromhex(bits.decode()))[0])


class RedisLatestValueCache:
    """One hash per tenant (``<prefix>:latest:<tenant>``), field = series id."""

    def __init__(self, client: aioredis.Redis, prefix: str = "oe") -> None:
        self._client = client
        self._prefix = prefix
        self._set = client.register_script(_SET_LATEST)

    def _key(self, tenant: str) -> str:
        return f"{self._prefix}:latest:{tenant}"

    async def set_latest(self, tenant: str, values: Sequence[tuple[int, Sample]]) -> None:
        if not values:
            return
        lines = "".join([f"{sid}\t{int(t)}\t{_F64.pack(v).hex()}\n" for sid, (t, v) in values])
        await self._set(keys=[self._key(tenant)], args=[lines])

    async def get_latest(self, tenant: str, series_ids: Sequence[int]) -> dict[int, Sample]:
        if not series_ids:
            return {}
        got = await self._client.hmget(self._key(tenant), [str(s) for s in series_ids])
        return {sid: _unpack(raw) for sid, raw in zip(series_ids, got) if raw is not None}


class RedisRateLimiter:
    """Token buckets shared by every API replica (``<prefix>:rate:<key>``).

    If Redis cannot be reached the request is allowed (and a warning logged at most
    every ``warn_every_s``): the consumer-lag limit still protects the pipeline, and a
    cache outage should not become an ingest outage."""

    def __init__(self, client: aioredis.Redis, prefix: str = "oe", *, monotonic: Callable[[], float] | None = None, warn_every_s: float = 30.0) -> None:
        self._client = client
        self._prefix = prefix
        self._now = monotonic  # tests pass a fake clock; None: Redis' own clock
        self._bucket = client.register_script(_TOKEN_BUCKET)
        self._warn_every = warn_every_s
        self._warned_at = float("-inf")

    async def acquire(self, key: str, cost: int, rate_per_s: float, burst: int) -> RateDecision:
        now = "" if self._now is None else repr(float(self._now()))
        try:
            allowed, retry = await self._bucket(
                keys=[f"{self._prefix}:rate:{key}"], args=[int(cost), repr(float(rate_per_s)), int(burst), now]
            )
        except (RedisError, OSError) as exc:
            if time.monotonic() - self._warned_at >= self._warn_every:
                self._warned_at = time.monotonic()
                log.warning("rate limit not enforced: Redis is unavailable (%r)", exc)
            return RateDecision(True)
        if int(allowed):
            return RateDecision(True)
        return RateDecision(False, retry_after_s=float(retry))
