"""Active series in Redis, shared by every API replica: one sorted set per tenant
(``<prefix>:active:<tenant>``, member = series id, score = last time recorded, ms).

One Lua script drops the expired members, counts the new ones and, if the tenant stays
within its limit, records them all: atomic, so two replicas admitting at once cannot
both take the last free places. The ids travel as one argument (newline-separated):
redis-py encodes each argument in Python.
"""

from __future__ import annotations

from collections.abc import Sequence

import redis.asyncio as aioredis

# KEYS[1] = the tenant's set; ARGV = ids ("\n"-joined), limit, now, window (ms).
_ADMIT = r"""
local key = KEYS[1]
local limit, now, window = tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)
local ids, seen = {}, {}
local fresh = 0
for id in string.gmatch(ARGV[1], '[^\n]+') do
  if not seen[id] then
    seen[id] = true
    ids[#ids + 1] = id
    if not redis.call('ZSCORE', key, id) then fresh = fresh + 1 end
  end
end
local count = redis.call('ZCARD', key)
if count + fresh > limit then return count end
for i = 1, #ids, 1000 do
  local args = {}
  for j = i, math.min(i + 999, #ids) do
    args[#args + 1] = now
    args[#args + 1] = ids[j]
  end
  redis.call('ZADD', key, unpack(args))
end
redis.call('PEXPIRE', key, window)
return -1
"""


class RedisActiveSeries:
    def __init__(self, client: aioredis.Redis, prefix: str = "oe") -> None:
        self._prefix = prefix
        self._admit = client.register_script(_ADMIT)

    async def admit(self, tenant: str, series_ids: Sequence[int], limit: int, now_ms: int, window_ms: int) -> int | None:
        if not series_ids:
            return None
        ids = "\n".join(map(str, series_ids))
        count = int(await self._admit(keys=[f"{self._prefix}:active:{tenant}"], args=[ids, limit, now_ms, window_ms]))
        return None if count < 0 else count
