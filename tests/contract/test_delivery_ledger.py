"""Contract of ports.notify.DeliveryLedger (who may send a notification), run against
every adapter: in memory, and Redis (which needs a Redis: it fails, never skips)."""

from __future__ import annotations

import asyncio
import os
import uuid
from contextlib import asynccontextmanager

import pytest

from adapters.memory.notify import MemoryDeliveryLedger
from ports.notify import Claim, DeliveryLedger


@asynccontextmanager
async def memory():
    yield MemoryDeliveryLedger()


@asynccontextmanager
async def redis_ledger():
    import redis

    from adapters.celery.ledger import RedisDeliveryLedger

    url = os.environ.get("OBSERVER_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except Exception as exc:
        pytest.fail(f"Redis is not reachable at {url} ({exc}): the ledger contract needs it", pytrace=False)
    namespace = f"oe-contract-{uuid.uuid4().hex[:10]}"
    yield RedisDeliveryLedger(url, namespace=namespace)
    r = redis.Redis.from_url(url)
    for key in r.scan_iter(f"{namespace}:*"):
        r.delete(key)


@pytest.fixture(params=[pytest.param(memory, id="memory"), pytest.param(redis_ledger, id="redis")])
async def ledger(request) -> DeliveryLedger:
    async with request.param() as adapter:
        yield adapter


async def test_one_claim_at_a_time_and_sent_is_forever(ledger):
    assert await ledger.claim("k1", "a", 30) is Claim.CLAIMED
    assert await ledger.claim("k1", "b", 30) is Claim.BUSY
    assert await ledger.claim("k1", "a", 30) is Claim.CLAIMED  # the holder may renew
    await ledger.mark_sent("k1", "a")
    assert await ledger.claim("k1", "b", 30) is Claim.SENT
    assert await ledger.claim("k1", "a", 30) is Claim.SENT
    assert await ledger.claim("k2", "b", 30) is Claim.CLAIMED  # keys are independent


async def test_a_released_claim_can_be_taken_and_only_the_holder_releases(ledger):
    assert await ledger.claim("k", "a", 30) is Claim.CLAIMED
    await ledger.release("k", "b")  # not b's to release
    assert await ledger.claim("k", "b", 30) is Claim.BUSY
    await ledger.release("k", "a")
    assert await ledger.claim("k", "b", 30) is Claim.CLAIMED


async def test_a_claim_expires(ledger):
    assert await ledger.claim("k", "crashed-worker", 0.2) is Claim.CLAIMED
    await asyncio.sleep(0.3)
    assert await ledger.claim("k", "next", 30) is Claim.CLAIMED


async def test_concurrent_claims_have_one_winner(ledger):
    results = await asyncio.gather(*(ledger.claim("race", f"w{i}", 30) for i in range(20)))
    assert results.count(Claim.CLAIMED) == 1 and results.count(Claim.BUSY) == 19
