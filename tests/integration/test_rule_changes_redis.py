"""A rule changed through the API in one process reaches the evaluator of another within
its next batch, over Redis pub/sub and the ConfigWatcher, with no restart: the evaluator
refreshes on its own only every 10 minutes here, so only the announcement can explain
that it evaluates the new rule at once, and stops evaluating a disabled one."""

from __future__ import annotations

import asyncio

import pytest

from adapters.memory.bus import MemoryBus
from adapters.memory.cache import MemoryRateLimiter
from adapters.memory.repositories import MemoryUnitOfWorkRunner
from adapters.redis import connect
from adapters.redis.pubsub import RedisPubSub
from domain.alerts.rules import ThresholdRule
from ports.bus import ALERTS_TOPIC, TELEMETRY_TOPIC
from services.codec import decode_transition
from services.config_changes import ConfigWatcher
from services.evaluator import RuleEvaluator
from services.identity.audit import Actor
from services.ingest import IngestLimits, IngestService, RawSeries
from services.rules import RuleService
from tests.support.clock import FakeClock
from tests.support.redis_server import delete_prefix, redis_url, unique_prefix

pytestmark = pytest.mark.integration
NOW = 1_800_000_000_000


async def test_a_rule_change_reaches_another_process_evaluator_at_once():
    client, prefix = connect(redis_url()), unique_prefix()
    api_pubsub, consumer_pubsub = RedisPubSub(client, prefix), RedisPubSub(connect(redis_url()), prefix)
    clock, uow, bus = FakeClock(NOW), MemoryUnitOfWorkRunner(), MemoryBus(partitions=1)
    rules = RuleService(uow, clock, api_pubsub)  # the API process
    evaluator = RuleEvaluator(bus, uow, clock, rules_refresh_s=600)  # the evaluator process
    watcher = ConfigWatcher(consumer_pubsub)
    watcher.on("rules", evaluator.on_rules_changed)
    heard = asyncio.Event()
    watcher.on("rules", lambda tenant: heard.set())  # called after the evaluator's reloader
    stop = asyncio.Event()
    listening = asyncio.create_task(watcher.run(stop))
    ingest = IngestService(bus, clock, MemoryRateLimiter(), IngestLimits())
    consumer = await bus.subscribe([TELEMETRY_TOPIC], "evaluator")
    alerts = await bus.subscribe([ALERTS_TOPIC], "check")
    try:
        async def send(ts: int) -> None:
            await ingest.ingest("t1", [RawSeries("cpu", {"host": "a"}, [[ts, 0.99]])])
            await evaluator.handle(await consumer.poll(timeout_s=0.05))

        await send(NOW - 60_000)  # read the rules (none yet); the next read is 10 minutes away
        await asyncio.sleep(0.1)  # the watcher has subscribed
        admin = Actor("usr-admin", "admin", "t1")
        await rules.create(admin, ThresholdRule(id="r1", tenant="t1", name="HighCpu", selector="cpu",
                                                aggregation="last", window_ms=60_000, comparison=">", threshold=0.9))
        await asyncio.wait_for(heard.wait(), 10)  # bounded: a lost announcement fails instead of hanging
        heard.clear()
        await send(NOW - 50_000)
        [fired] = [decode_transition(m.value)[0] for m in await alerts.poll(timeout_s=0.05)]
        assert fired.to_state.value == "firing"

        await rules.set_enabled(admin, "t1", "r1", False, 1)
        await asyncio.wait_for(heard.wait(), 10)
        await send(NOW - 40_000)
        [resolved] = [decode_transition(m.value)[0] for m in await alerts.poll(timeout_s=0.05)]
        assert (resolved.from_state.value, resolved.to_state.value) == ("firing", "resolved")
    finally:
        stop.set()
        await listening
        await api_pubsub.close()
        await consumer_pubsub.close()
        await delete_prefix(client, prefix)
        await client.aclose()
