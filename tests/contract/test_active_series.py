"""Contract of ``ports.active_series.ActiveSeries``, on every adapter (memory, Redis)."""

from __future__ import annotations

import uuid
from contextlib import asynccontextmanager

import hypothesis.strategies as st
import pytest
from hypothesis import HealthCheck, given, settings

from adapters.memory.active_series import MemoryActiveSeries
from ports.active_series import ActiveSeries

HOUR = 3_600_000


@asynccontextmanager
async def memory():
    yield MemoryActiveSeries()


@asynccontextmanager
async def redis():
    from adapters.redis import RedisActiveSeries, connect
    from tests.support.redis_server import delete_prefix, redis_url, unique_prefix

    client, prefix = connect(redis_url()), unique_prefix()
    try:
        yield RedisActiveSeries(client, prefix)
    finally:
        await delete_prefix(client, prefix)
        await client.aclose()


ADAPTERS = [pytest.param(memory, id="memory"), pytest.param(redis, id="redis")]


@pytest.fixture(params=ADAPTERS)
async def active(request) -> ActiveSeries:
    async with request.param() as a:
        yield a


async def test_new_series_are_admitted_up_to_the_limit_and_none_beyond(active):
    assert await active.admit("t1", [1, 2, 3], 4, 1_000, HOUR) is None
    assert await active.admit("t1", [3, 4, 5], 4, 2_000, HOUR) == 3  # 4 and 5 would make 5: all refused
    assert await active.admit("t1", [1, 2, 3, 4], 4, 3_000, HOUR) is None  # 4 alone fits
    assert await active.admit("t1", [1, 2, 3, 4], 4, 4_000, HOUR) is None  # known ones never count twice
    assert await active.admit("t2", [5, 6, 7, 8], 4, 4_000, HOUR) is None  # another tenant, its own count


async def test_series_stop_counting_a_window_after_they_were_last_recorded(active):
    assert await active.admit("t1", [1, 2], 2, 1_000, HOUR) is None
    assert await active.admit("t1", [2], 2, 1_000 + HOUR // 2, HOUR) is None  # 2 refreshed
    assert await active.admit("t1", [3], 2, 1_000 + HOUR - 1, HOUR) == 2
    assert await active.admit("t1", [3], 2, 1_000 + HOUR, HOUR) is None  # 1 expired, 2 still active
    assert await active.admit("t1", [4], 2, 1_000 + HOUR, HOUR) == 2


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=st.lists(st.tuples(st.lists(st.integers(0, 9), max_size=5), st.integers(0, 400)), max_size=12))
async def test_the_count_matches_a_model(active, steps):
    tenant = f"model-{uuid.uuid4().hex}"  # a fresh tenant per example: the fixture outlives it
    last: dict[int, int] = {}
    now = 10_000
    for ids, advance in steps:
        now += advance
        alive = {s for s, t in last.items() if t > now - 1_000}
        fresh = set(ids) - alive
        got = await active.admit(tenant, ids, 5, now, 1_000)
        if len(alive) + len(fresh) > 5:
            assert got == len(alive)
        else:
            assert got is None
            last.update(dict.fromkeys(ids, now))
