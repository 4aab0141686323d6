"""The Redis adapters where more than one process is involved, which the contract suite
(one client, one process) cannot show: API replicas sharing a tenant's rate limit,
live updates fanned out across replicas, the server's clock, racing writers, and what
happens when Redis is down. Redis is the server of OBSERVER_TEST_REDIS_URL; if it does
not answer these tests fail saying so."""

from __future__ import annotations

import asyncio
import json
import random
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, suppress
from pathlib import Path

import httpx
import pytest
import redis
import redis.exceptions

from adapters.redis import RedisLatestValueCache, RedisPubSub, RedisRateLimiter, connect
from domain.metrics.samples import Sample
from services.writer import series_channel
from tests.support.pipeline import Api
from tests.support.redis_server import redis_url, unique_prefix
from tests.support.tansu import free_port

pytestmark = pytest.mark.integration


@pytest.fixture
def prefix() -> Iterator[str]:
    """A key prefix of this test's own; its keys are deleted afterwards."""
    url, p = redis_url(), unique_prefix()
    yield p
    sync = redis.Redis.from_url(url)
    keys = list(sync.scan_iter(match=f"{p}:*"))
    if keys:
        sync.delete(*keys)
    sync.close()


@asynccontextmanager
async def client() -> AsyncIterator:
    c = connect(redis_url())
    try:
        yield c
    finally:
        await c.aclose()


def body(i: int, series: int = 8, per_series: int = 5) -> dict:
    now = int(time.time() * 1000)
    return {"series": [{"name": "replica_probe", "labels": {"s": str(s)},
                        "samples": [[now - 60_000 + i * per_series + j, 1.0] for j in range(per_series)]}
                       for s in range(series)]}


def test_api_replicas_share_one_ingest_rate_limit_per_tenant(prefix, tmp_path: Path):
    common = {"cache": "redis", "redis_url": redis_url(), "redis_prefix": prefix, "agent": False,
              "ingest_rate_samples_per_s": 1.0, "ingest_rate_burst": 100}
    with Api(data_dir=tmp_path / "a", **common) as a, Api(data_dir=tmp_path / "b", **common) as b:
        ca, cb = (httpx.Client(base_url=x.url, headers={"Authorization": f"Bearer {x.key}"}, timeout=10) for x in (a, b))
        assert ca.post("/api/v1/ingest", json=body(0)).status_code == 202  # 40 of 100 tokens
        assert cb.post("/api/v1/ingest", json=body(1)).status_code == 202  # 80: the same bucket
        refused = ca.post("/api/v1/ingest", json=body(2))
        assert refused.status_code == 429, refused.text
        assert refused.json()["limit"] == "rate_samples_per_s"
        # 20 tokens left, 40 needed, 1 per second: about 20 s.
        assert 15 <= int(refused.headers["Retry-After"]) <= 21
        assert cb.post("/api/v1/ingest", json=body(3)).status_code == 429


async def test_the_token_bucket_refills_on_the_redis_servers_clock(prefix):
    async with client() as c:
        one, two = RedisRateLimiter(c, prefix), RedisRateLimiter(c, prefix)  # two replicas, no clock of their own
        assert (await one.acquire("t", 1, rate_per_s=20.0, burst=2)).allowed
        assert (await two.acquire("t", 1, rate_per_s=20.0, burst=2)).allowed
        refused = await one.acquire("t", 1, rate_per_s=20.0, burst=2)
        assert not refused.allowed and 0 < refused.retry_after_s <= 0.06
        await asyncio.sleep(refused.retry_after_s + 0.02)
        assert (await two.acquire("t", 1, rate_per_s=20.0, burst=2)).allowed
        assert 0 < await c.pttl(f"{prefix}:rate:t") <= 1100, "idle buckets expire"


async def test_racing_writers_never_move_a_latest_value_backwards(prefix):
    stamps = list(range(1, 201))
    random.Random(7).shuffle(stamps)

    async def writer(chunk: list[int]) -> None:
        async with client() as c:
            cache = RedisLatestValueCache(c, prefix)
            for ts in chunk:
                await cache.set_latest("acme", [(1, Sample(ts, float(ts))), (2, Sample(ts, -float(ts)))])

    await asyncio.gather(*(writer(stamps[i::8]) for i in range(8)))
    async with client() as c:
        assert await RedisLatestValueCache(c, prefix).get_latest("acme", [1, 2]) == {1: Sample(200, 200.0), 2: Sample(200, -200.0)}


async def test_a_subscriber_on_one_replica_gets_what_another_replica_publishes(prefix):
    async with client() as ca, client() as cb:
        publisher, reader = RedisPubSub(ca, prefix), RedisPubSub(cb, prefix)
        live = reader.subscribe(["series:acme"])
        waiting = asyncio.ensure_future(anext(live))
        try:
            deadline = time.monotonic() + 5
            while not waiting.done():  # until the subscription is live on the server
                assert time.monotonic() < deadline, "the subscription never became live"
                await publisher.publish("series:acme", b"update")
                await asyncio.wait({waiting}, timeout=0.05)
            assert waiting.result() == ("series:acme", b"update")
        finally:
            await live.aclose()
        assert (await cb.pubsub_numsub(f"{prefix}:live:series:acme"))[0][1] == 0, "the last subscriber gone: unsubscribed"
        await reader.close()


def test_live_updates_from_the_writer_reach_a_redis_subscriber(prefix, tmp_path: Path):
    """The embedded stack with cache=redis: ingest → writer → Redis pub/sub and latest values."""
    with Api(data_dir=tmp_path, agent=False, cache="redis", redis_url=redis_url(), redis_prefix=prefix) as api:
        http = httpx.Client(base_url=api.url, headers={"Authorization": f"Bearer {api.key}"}, timeout=10)

        async def scenario() -> dict:
            async with client() as c:
                ps = RedisPubSub(c, prefix)
                live = ps.subscribe([series_channel("default")])
                first = asyncio.ensure_future(anext(live))
                try:
                    deadline, i = time.monotonic() + 10, 0
                    while not first.done():  # ingest until an update arrives (the subscription is live by then)
                        assert time.monotonic() < deadline, "no live update arrived"
                        assert (await asyncio.to_thread(http.post, "/api/v1/ingest", json=body(i, series=2))).status_code == 202
                        i += 1
                        await asyncio.wait({first}, timeout=0.2)
                    return json.loads(first.result()[1])
                finally:
                    with suppress(Exception):
                        await live.aclose()
                    await ps.close()

        update = asyncio.run(scenario())
        assert update["type"] == "samples" and {s["name"] for s in update["series"]} == {"replica_probe"}


async def test_with_redis_down_limits_fail_open_live_updates_drop_and_the_cache_says_so(prefix):
    down = connect(f"redis://127.0.0.1:{free_port()}/0")
    try:
        assert (await RedisRateLimiter(down, prefix).acquire("t", 1, 1.0, 1)).allowed
        await RedisPubSub(down, prefix).publish("series:acme", b"lost")  # logged, not raised
        with pytest.raises(redis.exceptions.ConnectionError):
            await RedisLatestValueCache(down, prefix).set_latest("acme", [(1, Sample(1, 1.0))])
    finally:
        await down.aclose()
