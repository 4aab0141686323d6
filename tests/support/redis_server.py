"""Redis for the tests: the server of ``OBSERVER_TEST_REDIS_URL`` (default
``redis://127.0.0.1:6379/0``, which ``make test`` brings up). Every test works under
its own key prefix and deletes its keys afterwards. If Redis does not answer the tests
FAIL with a message naming it: the Redis adapters are never skipped silently."""

from __future__ import annotations

import os
import uuid

REDIS_URL = os.environ.get("OBSERVER_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def redis_url() -> str:
    import redis

    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=3)
    try:
        client.ping()
    except redis.RedisError as exc:
        raise RuntimeError(
            f"Redis at {REDIS_URL} is not reachable ({exc}); the Redis adapter tests need it "
            "(start it, or set OBSERVER_TEST_REDIS_URL)"
        ) from exc
    finally:
        client.close()
    return REDIS_URL


def unique_prefix() -> str:
    return f"oe-test-{uuid.uuid4().hex[:10]}"


async def delete_prefix(client, prefix: str) -> None:
    keys = [k async for k in client.scan_iter(match=f"{prefix}:*", count=500)]
    if keys:
        await client.delete(*keys)
