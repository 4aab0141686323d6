"""Contract of ports.cache (LatestValueCache, PubSub, RateLimiter), run against every
adapter.

To cover a new adapter, append one factory per protocol to CACHES, PUBSUBS and
LIMITERS. Each is an async context manager:

* CACHES yields an empty LatestValueCache;
* PUBSUBS yields ``PubSubCase(pubsub, bound)``: ``bound`` is the most messages a
  subscriber that stops reading is ever holding (its queue size);
* LIMITERS yields ``LimiterCase(limiter, advance)``: ``await advance(seconds)`` makes
  that much time pass for the limiter (a fake clock, or a real sleep).
"""

from __future__ import annotations

import asyncio
import math
import uuid
from collections.abc import Awaitable, Callable
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass

import hypothesis.strategies as st
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings

from adapters.memory.cache import MemoryLatestValueCache, MemoryPubSub, MemoryRateLimiter
from domain.metrics.samples import Sample
from ports.cache import LatestValueCache, PubSub, RateLimiter


@dataclass
class PubSubCase:
    pubsub: PubSub
    bound: int


@dataclass
class LimiterCase:
    limiter: RateLimiter
    advance: Callable[[float], Awaitable[None]]


@asynccontextmanager
async def memory_cache():
    yield MemoryLatestValueCache()


@asynccontextmanager
async def memory_pubsub():
    yield PubSubCase(MemoryPubSub(queue_size=16), bound=16)


@asynccontextmanager
async def memory_limiter():
    now = [1000.0]

    async def advance(seconds: float) -> None:
        now[0] += seconds

    yield LimiterCase(MemoryRateLimiter(monotonic=lambda: now[0]), advance)


@asynccontextmanager
async def _redis():
    """A client on the test Redis (tests/support/redis_server.py) and a key prefix of
    this test's own, deleted afterwards."""
    from adapters.redis import connect
    from tests.support.redis_server import delete_prefix, redis_url, unique_prefix

    client, prefix = connect(redis_url()), unique_prefix()
    try:
        yield client, prefix
    finally:
        await delete_prefix(client, prefix)
        await client.aclose()


@asynccontextmanager
async def redis_cache():
    from adapters.redis import RedisLatestValueCache

    async with _redis() as (client, prefix):
        yield RedisLatestValueCache(client, prefix)


@asynccontextmanager
async def redis_pubsub():
    from adapters.redis import RedisPubSub

    async with _redis() as (client, prefix):
        ps = RedisPubSub(client, prefix, queue_size=16)
        try:
            # The queue holds 16; the subscriber's iterator may hold one more, taken off
            # the queue by the reader task while the test was not reading.
            yield PubSubCase(ps, bound=17)
        finally:
            await ps.close()


@asynccontextmanager
async def redis_limiter():
    """The bucket script runs in Redis; its clock is the fake one passed in (in
    production the script reads Redis' TIME, shared by every API replica)."""
    from adapters.redis import RedisRateLimiter

    now = [1000.0]

    async def advance(seconds: float) -> None:
        now[0] += seconds

    async with _redis() as (client, prefix):
        yield LimiterCase(RedisRateLimiter(client, prefix, monotonic=lambda: now[0]), advance)


CACHES = [pytest.param(memory_cache, id="memory"), pytest.param(redis_cache, id="redis")]
PUBSUBS = [pytest.param(memory_pubsub, id="memory"), pytest.param(redis_pubsub, id="redis")]
LIMITERS = [pytest.param(memory_limiter, id="memory"), pytest.param(redis_limiter, id="redis")]


@pytest.fixture(params=CACHES)
async def cache(request) -> LatestValueCache:
    async with request.param() as c:
        yield c


@pytest.fixture(params=PUBSUBS)
async def pubsub(request) -> PubSubCase:
    async with request.param() as case:
        yield case


@pytest.fixture(params=LIMITERS)
async def limiter(request) -> LimiterCase:
    async with request.param() as case:
        yield case


# ------------------------------------------------------------------ latest values


async def test_a_newer_sample_replaces_and_an_older_one_never_does(cache):
    await cache.set_latest("acme", [(1, Sample(2_000, 2.0))])
    await cache.set_latest("acme", [(1, Sample(1_000, 1.0))])
    assert await cache.get_latest("acme", [1]) == {1: Sample(2_000, 2.0)}
    await cache.set_latest("acme", [(1, Sample(3_000, 3.0))])
    assert await cache.get_latest("acme", [1]) == {1: Sample(3_000, 3.0)}


async def test_within_one_call_the_newest_sample_wins(cache):
    await cache.set_latest("acme", [(7, Sample(5_000, 5.0)), (7, Sample(4_000, 4.0))])
    assert await cache.get_latest("acme", [7]) == {7: Sample(5_000, 5.0)}


async def test_get_latest_returns_only_the_ids_asked_that_are_known(cache):
    await cache.set_latest("acme", [(1, Sample(1_000, 1.0)), (2, Sample(1_000, 2.0)), (-3, Sample(1_000, 3.0))])
    assert await cache.get_latest("acme", [2, -3, 99]) == {2: Sample(1_000, 2.0), -3: Sample(1_000, 3.0)}
    assert await cache.get_latest("acme", []) == {}


async def test_latest_values_are_isolated_by_tenant(cache):
    await cache.set_latest("acme", [(1, Sample(1_000, 1.0))])
    await cache.set_latest("globex", [(1, Sample(5_000, 9.0))])
    assert await cache.get_latest("acme", [1]) == {1: Sample(1_000, 1.0)}
    assert await cache.get_latest("initech", [1]) == {}


async def test_special_values_are_cached(cache):
    await cache.set_latest("acme", [(1, Sample(1_000, math.nan)), (2, Sample(1_000, -math.inf))])
    got = await cache.get_latest("acme", [1, 2])
    assert math.isnan(got[1].value) and got[1].timestamp_ms == 1_000
    assert got[2] == Sample(1_000, -math.inf)


async def test_columns_keep_each_series_newest_sample_across_chunks(cache):
    """More series than one script chunk (2,000), each twice in the call, some older
    than what is stored: every id ends with its newest sample."""
    n = 4_500
    ids = np.arange(-n // 2, n - n // 2, dtype=np.int64) * 7_919_000_000_003
    await cache.set_latest_columns("acme", ids, np.full(n, 5_000, dtype=np.int64), np.full(n, 5.0))
    both = np.concatenate([ids, ids])
    ts = np.concatenate([np.full(n, 4_000), np.where(np.arange(n) % 2 == 0, 6_000, 3_000)]).astype(np.int64)
    await cache.set_latest_columns("acme", both, ts, ts.astype(np.float64))
    got = await cache.get_latest("acme", ids.tolist())
    want = {int(s): (Sample(6_000, 6_000.0) if k % 2 == 0 else Sample(5_000, 5.0)) for k, s in enumerate(ids)}
    assert got == want


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(calls=st.lists(
    st.lists(st.tuples(st.integers(-3, 3), st.integers(-(2**62), 2**62) | st.integers(-2, 2), st.floats(allow_nan=False)),
             max_size=8),
    max_size=6,
))
async def test_latest_values_match_a_model(cache, calls):
    """Whatever the calls (ids repeated, timestamps equal or negative, either method),
    each series holds its newest sample, a tie going to the later one."""
    tenant = f"model-{uuid.uuid4().hex}"  # a fresh tenant per example: the fixture outlives it
    model: dict[int, Sample] = {}
    for k, call in enumerate(calls):
        for sid, t, v in call:
            if sid not in model or t >= model[sid].timestamp_ms:
                model[sid] = Sample(t, v)
        if k % 2:
            await cache.set_latest(tenant, [(sid, Sample(t, v)) for sid, t, v in call])
        elif call:
            ids, ts, vs = (np.array(c, dtype=d) for c, d in zip(zip(*call), (np.int64, np.int64, np.float64)))
            await cache.set_latest_columns(tenant, ids, ts, vs)
    assert await cache.get_latest(tenant, list(range(-3, 4))) == model


# ------------------------------------------------------------------------ pub/sub

PROBE = b"\x00contract-probe"


class Subscription:
    def __init__(self, iterator) -> None:
        self._it = iterator

    async def next(self, timeout_s: float = 5.0) -> tuple[str, bytes]:
        """The next message that is not a readiness probe."""
        while True:
            channel, payload = await asyncio.wait_for(anext(self._it), timeout_s)
            if payload != PROBE:
                return channel, payload

    async def drain(self, quiet_s: float = 0.3) -> list[tuple[str, bytes]]:
        """Everything that arrives until nothing has for ``quiet_s`` (ends the subscription)."""
        out = []
        with suppress(TimeoutError, StopAsyncIteration):
            while True:
                out.append(await self.next(quiet_s))
        return out


@asynccontextmanager
async def subscribed(ps: PubSub, channels: list[str], timeout_s: float = 5.0):
    """A subscription known to be live: probes are published until one arrives, so a
    message published afterwards must be delivered (whatever the adapter's latency)."""
    iterator = ps.subscribe(channels)

    async def first():
        return await anext(iterator)

    waiting = asyncio.ensure_future(first())
    try:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout_s
        while not waiting.done():
            assert loop.time() < deadline, f"subscription to {channels} never became live"
            for c in channels:
                await ps.publish(c, PROBE)
            await asyncio.wait({waiting}, timeout=0.02)
        assert waiting.result()[1] == PROBE
        yield Subscription(iterator)
    finally:
        if not waiting.done():
            waiting.cancel()
            with suppress(asyncio.CancelledError):
                await waiting
        await iterator.aclose()


def channel() -> str:
    return f"live-{uuid.uuid4().hex[:8]}"


async def test_every_subscriber_of_a_channel_gets_each_message(pubsub):
    ps, c = pubsub.pubsub, channel()
    async with subscribed(ps, [c]) as one, subscribed(ps, [c]) as two:
        await ps.publish(c, b"hello")
        assert await one.next() == (c, b"hello")
        assert await two.next() == (c, b"hello")


async def test_a_channel_with_a_subscriber_is_listened_and_one_without_is_not(pubsub):
    ps, mine, other = pubsub.pubsub, channel(), channel()
    assert not await ps.listened(other)
    async with subscribed(ps, [mine]) as sub:
        await ps.publish(mine, b"marker")
        assert await sub.next() == (mine, b"marker")
        assert await ps.listened(mine)
        assert not await ps.listened(other)


async def test_subscribers_of_other_channels_get_nothing(pubsub):
    ps, mine, other = pubsub.pubsub, channel(), channel()
    async with subscribed(ps, [mine]) as sub:
        await ps.publish(other, b"not for you")
        await ps.publish(mine, b"marker")
        assert await sub.next() == (mine, b"marker")


async def test_messages_published_before_subscribing_are_not_delivered(pubsub):
    ps, c = pubsub.pubsub, channel()
    await ps.publish(c, b"too early")
    async with subscribed(ps, [c]) as sub:
        await ps.publish(c, b"on time")
        assert await sub.next() == (c, b"on time")


async def test_one_subscription_to_several_channels_names_the_channel(pubsub):
    ps, a, b = pubsub.pubsub, channel(), channel()
    async with subscribed(ps, [a, b]) as sub:
        await ps.publish(a, b"1")
        await ps.publish(b, b"2")
        assert {await sub.next(), await sub.next()} == {(a, b"1"), (b, b"2")}


async def test_messages_of_one_publisher_arrive_in_order(pubsub):
    ps, c = pubsub.pubsub, channel()
    n = min(pubsub.bound, 10)
    async with subscribed(ps, [c]) as sub:
        for i in range(n):
            await ps.publish(c, str(i).encode())
        assert [await sub.next() for _ in range(n)] == [(c, str(i).encode()) for i in range(n)]


async def test_a_subscriber_that_stops_reading_holds_a_bounded_backlog_ending_with_the_newest(pubsub):
    ps, c = pubsub.pubsub, channel()
    published = [str(i).encode() for i in range(pubsub.bound * 20)]
    async with subscribed(ps, [c]) as slow, subscribed(ps, [c]) as fast:
        for payload in published:  # nobody reads while these go out
            await ps.publish(c, payload)
        got = [payload for _, payload in await slow.drain()]
        assert 1 <= len(got) <= pubsub.bound, f"{len(got)} messages held for a subscriber bounded at {pubsub.bound}"
        assert got[-1] == published[-1], "the freshest update must reach a slow subscriber"
        assert got == sorted(got, key=published.index), "what is kept stays in order"
        await ps.publish(c, b"after")
        assert (await fast.drain())[-1] == (c, b"after"), "the other subscriber still works"


# -------------------------------------------------------------------- rate limits


async def test_the_burst_is_allowed_and_then_refused_with_a_retry_time(limiter):
    rl = limiter.limiter
    decisions = [await rl.acquire("tenant:acme", 1, rate_per_s=2.0, burst=5) for _ in range(5)]
    assert all(d.allowed for d in decisions)

    refused = await rl.acquire("tenant:acme", 1, rate_per_s=2.0, burst=5)
    assert not refused.allowed
    assert 0 < refused.retry_after_s <= 0.5 + 0.05  # one token at 2/s


async def test_tokens_refill_over_time_up_to_the_burst(limiter):
    rl = limiter.limiter
    for _ in range(4):
        assert (await rl.acquire("k", 1, rate_per_s=4.0, burst=4)).allowed
    refused = await rl.acquire("k", 1, rate_per_s=4.0, burst=4)
    assert not refused.allowed

    await limiter.advance(refused.retry_after_s)
    assert (await rl.acquire("k", 1, rate_per_s=4.0, burst=4)).allowed

    await limiter.advance(100.0)  # a long pause never banks more than the burst
    allowed = [(await rl.acquire("k", 1, rate_per_s=4.0, burst=4)).allowed for _ in range(6)]
    assert allowed == [True] * 4 + [False] * 2


async def test_cost_takes_several_tokens_and_a_refusal_takes_none(limiter):
    rl = limiter.limiter
    assert (await rl.acquire("k", 3, rate_per_s=1.0, burst=5)).allowed
    refused = await rl.acquire("k", 3, rate_per_s=1.0, burst=5)
    assert not refused.allowed and refused.retry_after_s > 0
    assert (await rl.acquire("k", 2, rate_per_s=1.0, burst=5)).allowed


async def test_keys_have_separate_buckets(limiter):
    rl = limiter.limiter
    assert (await rl.acquire("tenant:acme", 2, rate_per_s=1.0, burst=2)).allowed
    assert not (await rl.acquire("tenant:acme", 1, rate_per_s=1.0, burst=2)).allowed
    assert (await rl.acquire("tenant:globex", 2, rate_per_s=1.0, burst=2)).allowed
