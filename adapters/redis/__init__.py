"""Cache, live fan-out and rate limits on Redis (redis-py asyncio)."""

from __future__ import annotations

from typing import Any

import redis.asyncio as aioredis

from adapters.redis.active_series import RedisActiveSeries
from adapters.redis.cache import RedisLatestValueCache, RedisRateLimiter
from adapters.redis.pubsub import RedisPubSub


def connect(url: str, **options: Any) -> aioredis.Redis:
    """A client (a connection pool, connected lazily) shared by the three adapters.
    ``options``: credentials (password, TLS files; entrypoints/credentials.py)."""
    return aioredis.Redis.from_url(url, socket_connect_timeout=5, health_check_interval=30, **options)


__all__ = ["RedisActiveSeries", "RedisLatestValueCache", "RedisPubSub", "RedisRateLimiter", "connect"]
