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

import numpy as np
import redis.asyncio as aioredis
from redis.exceptions import RedisError

from domain.metrics.samples import Sample
from ports.cache import RateDecision

log = logging.getLogger(__name__)

# KEYS[1] = the tenant's hash; ARGV[1] = the series ids, 8 bytes each (big-endian, the
# hash's field names); ARGV[2] = one 16-byte record per id: the timestamp in offset
# binary (ms + 2^63, big-endian, so byte order is time order) and the float64's bits
# (bit-exact, NaN payloads too). Ids are distinct (the caller keeps each one's newest).
# One HMGET and one HSET per 2,000 series, not a call per series: a script blocks Redis,
# and per-series calls made it the writer's largest cost and slowed every API's rate
# check behind it (docs/adr/0013-ingest-hot-path.md). Values are compared as two 32-bit
# halves with string.byte, never with Lua's string `<=` (strcoll under Redis' locale).
_SET_LATEST = r"""
local key, ids, recs = KEYS[1], ARGV[1], ARGV[2]
local n = math.floor(string.len(ids) / 8)
local function not_older(old, new)
  if (not old) or string.len(old) ~= 16 then return true end
  local a1, a2, a3, a4, a5, a6, a7, a8 = string.byte(old, 1, 8)
  local b1, b2, b3, b4, b5, b6, b7, b8 = string.byte(new, 1, 8)
  local ah, bh = ((a1 * 256 + a2) * 256 + a3) * 256 + a4, ((b1 * 256 + b2) * 256 + b3) * 256 + b4
  if ah ~= bh then return ah < bh end
  return ((a5 * 256 + a6) * 256 + a7) * 256 + a8 <= ((b5 * 256 + b6) * 256 + b7) * 256 + b8
end
for first = 1, n, 2000 do
  local last = math.min(first + 1999, n)
  local fields = {}
  for k = first, last do fields[#fields + 1] = string.sub(ids, 8 * k - 7, 8 * k) end
  local olds = redis.call('HMGET', key, unpack(fields))
  local args = {}
  for k = first, last do
    local new = string.sub(recs, 16 * k - 15, 16 * k)
    if not_older(olds[k - first + 1], new) then
      args[#args + 1] = fields[k - first + 1]
      args[#args + 1] = new
    end
  end
  if #args > 0 then redis.call('HSET', key, unpack(args)) end
end
return n
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

_RECORD = np.dtype([("t", ">u8"), ("v", ">f8")])
_SIGN = np.uint64(1 << 63)


def newest_per_series(series_ids: np.ndarray, timestamps_ms: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each id once, with its newest sample (a tie goes to the later one, as in
    successive calls)."""
    order = np.lexsort((timestamps_ms, series_ids))  # stable: equal (id, ts) keep their order
    ids = series_ids[order]
    keep = np.ones(ids.size, dtype=bool)
    keep[:-1] = ids[1:] != ids[:-1]
    return ids[keep], timestamps_ms[order][keep], values[order][keep]


def _records(timestamps_ms: np.ndarray, values: np.ndarray) -> bytes:
    rec = np.empty(timestamps_ms.size, dtype=_RECORD)
    rec["t"] = timestamps_ms.astype(np.int64).view(np.uint64) ^ _SIGN
    rec["v"] = values
    return rec.tobytes()


def _field(series_id: int) -> bytes:
    return int(series_id).to_bytes(8, "big", signed=True)


_UNPACK = struct.Struct(">Qd")


def _unpack(stored: bytes) -> Sample:
    offset_ts, value = _UNPACK.unpack(stored)
    return Sample(offset_ts - (1 << 63), value)


class RedisLatestValueCache:
    """One hash per tenant (``<prefix>:latest-v2:<tenant>``): field = the series id as 8
    big-endian bytes, value = a 16-byte record (see ``_SET_LATEST``)."""

    def __init__(self, client: aioredis.Redis, prefix: str = "oe") -> None:
        self._client = client
        self._prefix = prefix
        self._set = client.register_script(_SET_LATEST)

    def _key(self, tenant: str) -> str:
        return f"{self._prefix}:latest-v2:{tenant}"

    async def set_latest(self, tenant: str, values: Sequence[tuple[int, Sample]]) -> None:
        if not values:
            return
        await self.set_latest_columns(
            tenant,
            np.fromiter((sid for sid, _ in values), dtype=np.int64, count=len(values)),
            np.fromiter((s.timestamp_ms for _, s in values), dtype=np.int64, count=len(values)),
            np.fromiter((s.value for _, s in values), dtype=np.float64, count=len(values)),
        )

    async def set_latest_columns(self, tenant: str, series_ids: np.ndarray, timestamps_ms: np.ndarray, values: np.ndarray) -> None:
        if not series_ids.size:
            return
        ids, ts, vs = newest_per_series(series_ids.astype(np.int64, copy=False), timestamps_ms, values)
        await self._set(keys=[self._key(tenant)], args=[ids.astype(">i8").tobytes(), _records(ts, vs)])

    async def get_latest(self, tenant: str, series_ids: Sequence[int]) -> dict[int, Sample]:
        if not series_ids:
            return {}
        got = await self._client.hmget(self._key(tenant), [_field(s) for s in series_ids])
        return {sid: _unpack(raw) for sid, raw in zip(series_ids, got) if raw is not None and len(raw) == _UNPACK.size}


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
