"""Two evaluator instances sharing their checkpoints in Redis: one handles part of a
stream, the other takes over, and together they publish exactly the transitions one
uninterrupted evaluator publishes (no cold start, no duplicate, nothing missed).

The instances share the bus and the alert repository as production members share Kafka
and PostgreSQL; what moves between them is only what is in Redis. Redis is the server
of OBSERVER_TEST_REDIS_URL; if it does not answer these tests fail saying so.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator

import pytest

from adapters.memory.bus import MemoryBus
from adapters.memory.cache import MemoryRateLimiter
from tests.support.clock import FakeClock
from adapters.memory.repositories import MemoryUnitOfWorkRunner
from adapters.redis import connect
from adapters.redis.state import RedisEvaluatorStateStore
from domain.alerts.rules import AnomalyRule, Comparison, ThresholdRule
from domain.metrics.aggregations import Aggregation
from domain.metrics.query import Selector
from ports.bus import ALERTS_TOPIC, TELEMETRY_TOPIC
from services.codec import decode_transition
from services.evaluator import EVALUATOR_GROUP, RuleEvaluator
from services.ingest import IngestLimits, IngestService, RawSeries
from tests.support.redis_server import delete_prefix, redis_url, unique_prefix

pytestmark = pytest.mark.integration

NOW_MS = 1_800_000_000_000
HOSTS = ("a", "b", "c")
STEP_MS = 10_000
N = 480  # samples per series: 80 minutes
CHUNK = 20  # samples per series per ingest request


def rules() -> list:
    return [
        ThresholdRule(id="avg", tenant="t1", name="LatencyHigh", selector=Selector.parse("latency"), for_ms=60_000,
                      aggregation=Aggregation.AVG, window_ms=300_000, comparison=Comparison.GT, threshold=13.0),
        AnomalyRule(id="odd", tenant="t1", name="LatencyOdd", selector=Selector.parse("latency"),
                    detector="ewma", level=0.99),
    ]


def stream() -> list[list[RawSeries]]:
    """Noise around 10, a spike per host now and then, and a ten-minute plateau at 16."""
    t0 = NOW_MS - N * STEP_MS
    rng = random.Random(11)
    series = {}
    for h, host in enumerate(HOSTS):
        values = [10.0 + rng.gauss(0, 1) for _ in range(N)]
        for at in (90 + h * 7, 200 + h * 11, 330 + h * 5, 430):
            values[at] = 40.0
        for i in range(260 + 10 * h, 320 + 10 * h):
            values[i] = 16.0 + rng.gauss(0, 0.5)
        series[host] = [(t0 + i * STEP_MS, v) for i, v in enumerate(values)]
    return [[RawSeries("latency", {"host": host}, [list(s) for s in series[host][i:i + CHUNK]]) for host in HOSTS]
            for i in range(0, N, CHUNK)]


class Members:
    """The shared bus, repository and clock; evaluators join with their Redis store."""

    def __init__(self, store: RedisEvaluatorStateStore | None) -> None:
        self.clock = FakeClock(NOW_MS)
        self.bus = MemoryBus(partitions=2, retain=100_000, max_retain=100_000)
        self.uow = MemoryUnitOfWorkRunner()
        self.store = store
        self.ingest = IngestService(self.bus, self.clock, MemoryRateLimiter(), IngestLimits())

    async def setup(self) -> "Members":
        for rule in rules():
            await self.uow.run(lambda uow, r=rule: uow.rules.add(r))
        await (await self.bus.subscribe([TELEMETRY_TOPIC], EVALUATOR_GROUP)).close()  # the group exists: lag counts
        return self

    def evaluator(self, **options) -> RuleEvaluator:
        return RuleEvaluator(self.bus, self.uow, self.clock, state=self.store, **options)

    async def publish(self, requests: list[list[RawSeries]]) -> None:
        for raw in requests:
            await self.ingest.ingest("t1", raw)

    async def transitions(self) -> list[tuple]:
        consumer = await self.bus.subscribe([ALERTS_TOPIC], "reader")
        out = []
        while msgs := await consumer.poll(max_records=1000, timeout_s=0.01):
            for m in msgs:
                t, _ = decode_transition(m.value)
                out.append((t.at_ms, t.rule_id, t.labels.get("host"), t.from_state.value, t.to_state.value, t.value))
        await consumer.close()
        return sorted(out)

    async def lag(self) -> int:
        return await self.bus.lag(TELEMETRY_TOPIC, EVALUATOR_GROUP)


@pytest.fixture
async def redis_store() -> AsyncIterator[RedisEvaluatorStateStore]:
    client, prefix = connect(redis_url()), unique_prefix()
    try:
        yield RedisEvaluatorStateStore(client, prefix)
    finally:
        await delete_prefix(client, prefix)
        await client.aclose()


@pytest.fixture(scope="module")
def expected() -> list[tuple]:
    """What one evaluator that never stopped publishes."""

    async def uninterrupted() -> list[tuple]:
        m = await Members(None).setup()
        await m.publish(stream())
        await drive(m, m.evaluator(), group=EVALUATOR_GROUP, checkpoint_every=None)
        return await m.transitions()

    got = asyncio.run(uninterrupted())
    kinds = {(rule, to) for _, rule, _, _, to, _ in got}
    assert {("avg", "pending"), ("avg", "firing"), ("avg", "resolved"), ("odd", "firing")} <= kinds, got
    return got


async def drive(m: Members, evaluator: RuleEvaluator, *, group: str, checkpoint_every: int | None,
                limit: int | None = None) -> None:
    """The member's protocol by hand (what ``run`` does): handle batches, and every
    ``checkpoint_every`` batches save the state and only then commit the offsets. Stops
    after ``limit`` batches without a last checkpoint: a crash."""
    consumer = await m.bus.subscribe([TELEMETRY_TOPIC], group)
    handled: dict[tuple[str, int], int] = {}
    count = 0
    while (limit is None or count < limit) and (msgs := await consumer.poll(max_records=2, timeout_s=0.01)):
        await evaluator.handle(msgs)
        count += 1
        for x in msgs:
            handled[(x.topic, x.partition)] = x.offset + 1
        if checkpoint_every is None or count % checkpoint_every == 0:
            await evaluator.checkpoint()
            await consumer.commit(handled)
    await consumer.close()


async def test_a_graceful_handover_through_run(redis_store, expected):
    m = await Members(redis_store).setup()
    requests = stream()
    first, stop_first = m.evaluator(checkpoint_interval_s=0.05), asyncio.Event()
    task = asyncio.create_task(first.run(stop_first))
    split = 16  # just before the spikes: a cold start would still be warming up then
    await m.publish(requests[:split])
    await until(lambda: m.lag(), "the first member caught up")
    assert len(first.watches) == 2 * len(HOSTS)
    stop_first.set()
    await asyncio.wait_for(task, 10)

    second, stop_second = m.evaluator(checkpoint_interval_s=0.05), asyncio.Event()
    task = asyncio.create_task(second.run(stop_second))
    await m.publish(requests[split:])
    await until(lambda: m.lag(), "the second member caught up")
    stop_second.set()
    await asyncio.wait_for(task, 10)
    assert await m.transitions() == expected


@pytest.mark.parametrize("crash_after", [5, 16, 17])
async def test_a_crashed_member_is_replaced_from_its_last_checkpoint(redis_store, expected, crash_after):
    """The first member checkpoints every 4 batches and dies ``crash_after`` batches in:
    what it handled after its last checkpoint was not committed, so the second member
    replays it, on state loaded from Redis."""
    m = await Members(redis_store).setup()
    await m.publish(stream())
    await drive(m, m.evaluator(), group=EVALUATOR_GROUP, checkpoint_every=4, limit=crash_after)
    assert await m.lag() > 0
    await drive(m, m.evaluator(), group=EVALUATOR_GROUP, checkpoint_every=4)
    assert await m.transitions() == expected


async def test_partitions_moving_back_and_forth(redis_store, expected):
    """A rebalance hands the stream from one member to the other and back: each releases
    (checkpoint, forget) before it loses the partitions, so neither acts on a stale copy."""
    m = await Members(redis_store).setup()
    requests = stream()
    a, b = m.evaluator(), m.evaluator()
    for i, owner in enumerate([a, b, a, b]):
        part = len(requests) // 4
        await m.publish(requests[i * part: (i + 1) * part if i < 3 else None])
        await drive(m, owner, group=EVALUATOR_GROUP, checkpoint_every=3)
        await owner.release()
        assert len(owner.watches) == 0
    assert await m.transitions() == expected


async def test_without_the_checkpoints_the_second_member_starts_cold(expected):
    """The control: the same handover with no state store differs from the uninterrupted
    run (the window and the detector start empty), which is what the store prevents."""
    m = await Members(None).setup()
    await m.publish(stream())
    await drive(m, m.evaluator(), group=EVALUATOR_GROUP, checkpoint_every=4, limit=16)  # just before spikes
    await drive(m, m.evaluator(), group=EVALUATOR_GROUP, checkpoint_every=4)
    assert await m.transitions() != expected


async def until(lag, what: str, timeout_s: float = 20.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout_s
    while await lag() > 0:
        assert asyncio.get_running_loop().time() < deadline, f"{what}: not within {timeout_s}s"
        await asyncio.sleep(0.02)


async def test_members_joining_and_leaving_a_kafka_group(redis_store, expected):
    """Real rebalances: two evaluators in one Kafka consumer group (the tansu broker),
    sharing Redis. The second joins mid-stream and leaves again, so partitions move to
    it and back; the bus' revoke hook makes each member release (checkpoint, commit,
    forget) before its partitions move, so the first never resumes on its stale copy of
    what the second changed. Together they publish exactly what one uninterrupted
    evaluator publishes."""
    from adapters.kafka import GroupHooks, KafkaBus, KafkaConfig
    from tests.support.tansu import Tansu

    with Tansu() as broker:
        config = KafkaConfig(bootstrap=broker.bootstrap, idempotence=False, session_timeout_ms=2000, partitions=4,
                             lag_cache_s=0)
        m = Members(redis_store)
        await m.setup()
        handled: dict[str, set[int]] = {"a": set(), "b": set()}

        def member(name: str) -> tuple[KafkaBus, RuleEvaluator]:
            hook: list[RuleEvaluator] = []

            async def before_revoke() -> None:
                await hook[0].release()

            bus = KafkaBus(config, hooks={EVALUATOR_GROUP: GroupHooks(before_revoke=before_revoke)})
            evaluator = RuleEvaluator(bus, m.uow, m.clock, state=redis_store, checkpoint_interval_s=0.5)
            hook.append(evaluator)
            inner = evaluator._handle

            async def spy(messages):
                handled[name].update(x.partition for x in messages)
                await inner(messages)

            evaluator._handle = spy  # type: ignore[method-assign]
            return bus, evaluator

        async with KafkaBus(config) as producer:
            m.ingest = IngestService(producer, m.clock, MemoryRateLimiter(), IngestLimits())
            (bus_a, a), (bus_b, b) = member("a"), member("b")
            stop_a, stop_b = asyncio.Event(), asyncio.Event()
            requests = stream()

            async def kafka_lag() -> int:
                return await producer.lag(TELEMETRY_TOPIC, EVALUATOR_GROUP)

            task_a = asyncio.create_task(a.run(stop_a))
            await m.publish(requests[:8])
            await until(kafka_lag, "the first member caught up", 30)
            task_b = asyncio.create_task(b.run(stop_b))
            sent = 8
            deadline = asyncio.get_running_loop().time() + 30
            while not handled["b"]:  # the stream flows on while b joins and takes partitions
                assert asyncio.get_running_loop().time() < deadline and sent < 16, "b never got a partition"
                await m.publish(requests[sent:sent + 1])
                sent += 1
                await asyncio.sleep(0.4)
            await m.publish(requests[sent:sent + 2])
            sent += 2
            await until(kafka_lag, "both members caught up", 30)
            await m.publish(requests[sent:sent + 2])
            sent += 2
            await asyncio.sleep(0.3)
            stop_b.set()  # b leaves mid-stream: a gets b's partitions back, and must not trust its old copy
            await asyncio.wait_for(task_b, 20)
            await m.publish(requests[sent:])
            await until(kafka_lag, "the remaining member caught up", 30)
            stop_a.set()
            await asyncio.wait_for(task_a, 20)
            await bus_a.close()
            await bus_b.close()
            assert handled["a"] and handled["b"], handled

            reader = await producer.subscribe([ALERTS_TOPIC], "reader")
            got = []
            while len(got) < len(expected) + 5 and (msgs := await reader.poll(max_records=1000, timeout_s=3.0)):
                for x in msgs:
                    t, _ = decode_transition(x.value)
                    got.append((t.at_ms, t.rule_id, t.labels.get("host"), t.from_state.value, t.to_state.value, t.value))
            await reader.close()
        assert sorted(got) == expected
