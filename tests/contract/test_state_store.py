"""Contract of ports.state.EvaluatorStateStore, run against every adapter.

To cover a new adapter, append a factory to STORES: an async context manager yielding
``StoreCase(store, advance)``, an empty store and ``await advance(seconds)``, which
makes that much time pass for the store's expiry (a fake clock, or a real sleep).
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass

import pytest

from adapters.memory.state import MemoryEvaluatorStateStore
from ports.state import EvaluatorStateStore

TTL = 3600.0


@dataclass
class StoreCase:
    store: EvaluatorStateStore
    advance: Callable[[float], Awaitable[None]]


@asynccontextmanager
async def memory_store():
    now = [1000.0]

    async def advance(seconds: float) -> None:
        now[0] += seconds

    yield StoreCase(MemoryEvaluatorStateStore(monotonic=lambda: now[0], sweep_every=3), advance)


@asynccontextmanager
async def redis_store():
    """The test Redis (tests/support/redis_server.py: fails, never skips, if it is down),
    under a key prefix of this test's own. Expiry is Redis' own: time passes for real."""
    from adapters.redis import connect
    from adapters.redis.state import RedisEvaluatorStateStore
    from tests.support.redis_server import delete_prefix, redis_url, unique_prefix

    client, prefix = connect(redis_url()), unique_prefix()
    try:
        yield StoreCase(RedisEvaluatorStateStore(client, prefix), asyncio.sleep)
    finally:
        await delete_prefix(client, prefix)
        await client.aclose()


STORES = [pytest.param(memory_store, id="memory"), pytest.param(redis_store, id="redis")]


@pytest.fixture(params=STORES)
async def case(request) -> StoreCase:
    async with request.param() as c:
        yield c


def window_state(n: int) -> dict:
    return {"v": 1, "last": 1_000 + n, "w": {"t0": 1_000, "dt": [1] * n, "v": "AAAA"}, "d": None}


async def test_nothing_is_stored_at_first(case: StoreCase):
    assert await case.store.load([("t1", "r1", 1), ("t1", "r1", -1)]) == {}
    assert await case.store.load([]) == {}


async def test_saved_state_loads_back_equal_and_independent(case: StoreCase):
    state = {"kind": "ewma", "n": 3, "params": {"alpha": 0.1}, "xs": [1.5, -2.0, 0.0], "prev": None, "flag": True}
    await case.store.save({("t1", "r1", 42): state}, TTL)
    loaded = await case.store.load([("t1", "r1", 42), ("t1", "r1", 43)])
    assert loaded == {("t1", "r1", 42): state}
    loaded[("t1", "r1", 42)]["xs"].append(9.0)
    state["n"] = 99
    assert (await case.store.load([("t1", "r1", 42)]))[("t1", "r1", 42)]["n"] == 3
    assert (await case.store.load([("t1", "r1", 42)]))[("t1", "r1", 42)]["xs"] == [1.5, -2.0, 0.0]


async def test_nan_and_infinities_round_trip(case: StoreCase):
    await case.store.save({("t1", "r1", 1): {"a": math.nan, "b": math.inf, "c": -math.inf, "d": 1e-300}}, TTL)
    got = (await case.store.load([("t1", "r1", 1)]))[("t1", "r1", 1)]
    assert math.isnan(got["a"]) and got["b"] == math.inf and got["c"] == -math.inf and got["d"] == 1e-300


async def test_a_save_replaces_the_whole_state(case: StoreCase):
    await case.store.save({("t1", "r1", 1): {"a": 1, "b": 2}}, TTL)
    await case.store.save({("t1", "r1", 1): {"a": 3}}, TTL)
    assert await case.store.load([("t1", "r1", 1)]) == {("t1", "r1", 1): {"a": 3}}


async def test_keys_differ_by_tenant_rule_and_slot_even_with_separators_in_names(case: StoreCase):
    keys = [("a", "b:c", 1), ("a:b", "c", 1), ("a", "b", 1), ("a", "b", -1), ("b", "a", 1), ("a", "b", 2), ("a%3Ab", "c", 1)]
    await case.store.save({k: {"i": i} for i, k in enumerate(keys)}, TTL)
    loaded = await case.store.load(keys)
    assert {k: v["i"] for k, v in loaded.items()} == {k: i for i, k in enumerate(keys)}


async def test_state_expires_ttl_after_its_last_save(case: StoreCase):
    await case.store.save({("t1", "r1", 1): {"a": 1}, ("t1", "r1", 2): {"a": 2}}, 0.6)
    await case.advance(0.3)
    await case.store.save({("t1", "r1", 2): {"a": 2}}, 0.6)  # saved again: its expiry moves
    await case.advance(0.45)
    assert await case.store.load([("t1", "r1", 1), ("t1", "r1", 2)]) == {("t1", "r1", 2): {"a": 2}}
    await case.advance(0.3)
    assert await case.store.load([("t1", "r1", 1), ("t1", "r1", 2)]) == {}


async def test_delete_forgets_only_the_given_keys(case: StoreCase):
    await case.store.save({("t1", "r1", 1): {"a": 1}, ("t1", "r1", 2): {"a": 2}}, TTL)
    await case.store.delete([("t1", "r1", 1), ("t1", "r9", 7)])
    assert await case.store.load([("t1", "r1", 1), ("t1", "r1", 2)]) == {("t1", "r1", 2): {"a": 2}}
    await case.store.delete([])


async def test_many_keys_in_one_call(case: StoreCase):
    items = {("t1", "r1", sid): window_state(sid % 50) for sid in range(2_500)}
    await case.store.save(items, TTL)
    keys = list(items) + [("t1", "r1", 10_000 + i) for i in range(100)]
    assert await case.store.load(keys) == items


async def test_a_value_that_is_not_json_is_refused(case: StoreCase):
    with pytest.raises(TypeError):
        await case.store.save({("t1", "r1", 1): {"a": object()}}, TTL)


async def test_a_ttl_must_be_positive(case: StoreCase):
    with pytest.raises(ValueError):
        await case.store.save({("t1", "r1", 1): {"a": 1}}, 0)
