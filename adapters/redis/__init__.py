"""Cache, live fan-out and rate limits on Redis (redis-py asyncio)."""

from __future__ import annotations

import redis.asyncio as aioredis

from adapters.redis.cache import RedisLatestValueCache, RedisRateLimiter
from adapters.redis.pubsub import RedisPubSub


def connect(url: str) -> aioredis.Redis:
    """A client (a connection pool, connected lazily) shared by the three adapters."""
    return aioredis.Redis.from_url(url, socket_connect_timeout=5, health_check_interval=30)


__all__ = ["RedisLatestValueCache", "RedisPubSub", "RedisRateLimiter", "connect"]
