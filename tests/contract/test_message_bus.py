"""Contract of ports.bus.MessageBus / Consumer, run against every adapter.

To cover a new adapter, append one async context manager factory to BUSES: it yields a
bus and cleans up after the test. Topics and groups are unique per test, so a shared
broker needs no cleaning between tests. Every topic needs at least 2 partitions.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from contextlib import asynccontextmanager

import pytest

from adapters.memory.bus import MemoryBus
from ports.bus import Consumer, Message, MessageBus


@asynccontextmanager
async def memory_bus():
    yield MemoryBus(partitions=4)


@asynccontextmanager
async def kafka_bus():
    """Kafka (aiokafka) against the test process' tansu broker (tests/support/tansu.py).

    Idempotence is off because tansu lacks the idempotent producer; the short session
    timeout keeps group joins at about a second on it."""
    from adapters.kafka import KafkaBus, KafkaConfig
    from tests.support.tansu import shared_broker

    bus = KafkaBus(KafkaConfig(bootstrap=shared_broker(), partitions=4, idempotence=False, session_timeout_ms=2000))
    await bus.start()
    try:
        yield bus
    finally:
        await bus.close()


BUSES = [pytest.param(memory_bus, id="memory"), pytest.param(kafka_bus, id="kafka")]


@pytest.fixture(params=BUSES)
async def bus(request) -> MessageBus:
    async with request.param() as b:
        yield b


@pytest.fixture
def topic() -> str:
    return f"contract-{uuid.uuid4().hex[:10]}"


@pytest.fixture
async def consumers():
    """Opens consumers and closes every one of them at the end of the test."""
    opened: list[Consumer] = []

    async def open_(bus: MessageBus, topics: list[str], group: str) -> Consumer:
        c = await bus.subscribe(topics, group)
        opened.append(c)
        return c

    yield open_
    for c in opened:
        await c.close()


def group() -> str:
    return f"g-{uuid.uuid4().hex[:10]}"


async def poll_n(consumer: Consumer, n: int, timeout_s: float = 5.0) -> list[Message]:
    """Poll until ``n`` messages arrived (fails after ``timeout_s``)."""
    got: list[Message] = []
    deadline = time.monotonic() + timeout_s
    while len(got) < n:
        remaining = deadline - time.monotonic()
        assert remaining > 0, f"only {len(got)} of {n} messages arrived"
        got.extend(await consumer.poll(max_records=n - len(got), timeout_s=min(remaining, 0.5)))
    return got


async def publish_values(bus: MessageBus, topic: str, partition: int, values: list[bytes]) -> None:
    for v in values:
        await bus.publish(topic, b"k", v, partition=partition)


def values(n: int, tag: str = "m") -> list[bytes]:
    return [f"{tag}{i}".encode() for i in range(n)]


def test_every_topic_has_at_least_one_partition(bus, topic):
    assert bus.partitions(topic) >= 1


async def test_messages_keep_their_order_per_partition_with_offsets_from_zero(bus, topic, consumers):
    assert bus.partitions(topic) >= 2, "this suite needs topics with at least 2 partitions"
    c = await consumers(bus, [topic], group())
    await publish_values(bus, topic, 0, values(10, "p0-"))
    await publish_values(bus, topic, 1, values(5, "p1-"))

    got = await poll_n(c, 15)

    for partition, expected in [(0, values(10, "p0-")), (1, values(5, "p1-"))]:
        mine = [m for m in got if m.partition == partition]
        assert [m.offset for m in mine] == list(range(len(expected)))
        assert [m.value for m in mine] == expected
        assert all(m.topic == topic and m.key == b"k" for m in mine)


async def test_the_same_key_always_lands_on_the_same_partition(bus, topic, consumers):
    c = await consumers(bus, [topic], group())
    for i in range(20):
        await bus.publish(topic, b"series-42", str(i).encode())

    got = await poll_n(c, 20)

    assert len({m.partition for m in got}) == 1
    assert [m.value for m in got] == [str(i).encode() for i in range(20)]


async def test_poll_respects_max_records(bus, topic, consumers):
    c = await consumers(bus, [topic], group())
    await publish_values(bus, topic, 0, values(10))
    first = await c.poll(max_records=3, timeout_s=1.0)
    assert 1 <= len(first) <= 3
    rest = await poll_n(c, 10 - len(first))
    assert [m.value for m in first + rest] == values(10)


async def test_poll_returns_empty_after_the_timeout_when_nothing_arrives(bus, topic, consumers):
    c = await consumers(bus, [topic], group())
    started = time.monotonic()
    assert await c.poll(timeout_s=0.1) == []
    assert time.monotonic() - started < 2.0


async def test_a_waiting_poll_wakes_up_when_a_message_arrives(bus, topic, consumers):
    c = await consumers(bus, [topic], group())
    waiting = asyncio.create_task(c.poll(timeout_s=10.0))
    await asyncio.sleep(0.05)
    started = time.monotonic()
    await bus.publish(topic, b"k", b"hello", partition=0)
    got = await asyncio.wait_for(waiting, 5.0)
    assert [m.value for m in got] == [b"hello"]
    assert time.monotonic() - started < 5.0


async def test_a_new_consumer_in_the_group_resumes_from_the_committed_offset(bus, topic, consumers):
    g = group()
    first = await consumers(bus, [topic], g)
    await publish_values(bus, topic, 0, values(10))
    got = await poll_n(first, 10)
    assert [m.offset for m in got] == list(range(10))
    await first.commit({(topic, 0): 6})  # processed 0..5; 6..9 were polled, never committed
    await first.close()

    second = await consumers(bus, [topic], g)
    redelivered = await poll_n(second, 4)

    assert [(m.offset, m.value) for m in redelivered] == list(zip(range(6, 10), values(10)[6:]))
    assert await second.poll(timeout_s=0.1) == []


async def test_without_a_commit_everything_is_redelivered(bus, topic, consumers):
    g = group()
    first = await consumers(bus, [topic], g)
    await publish_values(bus, topic, 1, values(3))
    await poll_n(first, 3)
    await first.close()

    second = await consumers(bus, [topic], g)
    assert [m.offset for m in await poll_n(second, 3)] == [0, 1, 2]


async def test_consumer_groups_are_independent(bus, topic, consumers):
    one = await consumers(bus, [topic], group())
    two = await consumers(bus, [topic], group())
    await publish_values(bus, topic, 0, values(5))

    await one.commit({(topic, 0): [m.offset for m in await poll_n(one, 5)][-1] + 1})

    assert [m.value for m in await poll_n(two, 5)] == values(5)
    assert await one.poll(timeout_s=0.1) == []


async def test_seek_moves_the_read_position(bus, topic, consumers):
    c = await consumers(bus, [topic], group())
    await publish_values(bus, topic, 0, values(6))
    await poll_n(c, 6)

    await c.seek(topic, 0, 2)
    again = await poll_n(c, 4)
    assert [m.offset for m in again] == [2, 3, 4, 5]

    await c.seek(topic, 0, 5)
    assert [m.offset for m in await poll_n(c, 1)] == [5]


async def test_lag_counts_published_but_uncommitted_messages(bus, topic, consumers):
    g = group()
    c = await consumers(bus, [topic], g)
    await publish_values(bus, topic, 0, values(6))
    await publish_values(bus, topic, 1, values(4))
    assert await bus.lag(topic, g) == 10

    await poll_n(c, 10)
    assert await bus.lag(topic, g) == 10, "polling is not committing"

    await c.commit({(topic, 0): 6, (topic, 1): 1})
    assert await bus.lag(topic, g) == 3
    await c.commit({(topic, 1): 4})
    assert await bus.lag(topic, g) == 0


@pytest.mark.parametrize("bad", ["too_high", "negative"])
async def test_publishing_to_a_partition_that_does_not_exist_raises(bus, topic, bad):
    partition = bus.partitions(topic) if bad == "too_high" else -1
    with pytest.raises(ValueError):
        await bus.publish(topic, b"k", b"v", partition=partition)


async def test_read_returns_messages_published_at_the_same_moment_to_one_partition(bus, topic):
    # Concurrent sends to one partition travel as one multi-record batch on Kafka; the
    # dead letters of two consumer groups giving up at once did (test_poison_messages).
    await asyncio.gather(*(bus.publish(topic, b"k", v, partition=1) for v in values(5)))
    assert sorted(m.value for m in await bus.read(topic)) == sorted(values(5))


@asynccontextmanager
async def memory_producers():
    shared = MemoryBus(partitions=4)
    yield shared, shared


@asynccontextmanager
async def kafka_producers():
    async with kafka_bus() as one, kafka_bus() as two:
        yield one, two


@pytest.mark.parametrize("producers", [pytest.param(memory_producers, id="memory"), pytest.param(kafka_producers, id="kafka")])
async def test_a_group_sees_every_message_that_two_processes_sent_to_one_partition_at_once(producers, topic, consumers):
    """Two API processes publish to the same partition while the writer consumes: no
    offset may be skipped (tansu can show a batch before an earlier, concurrent one;
    the consumer fetches the hole again: adapters/kafka/gaps.py)."""
    lanes, per_lane, pad = 16, 150, b"x" * 20_000
    async with producers() as (one, two):
        consumer = await consumers(one, [topic], group())

        async def lane(k: int) -> None:
            for i in range(per_lane):
                await (one, two)[k % 2].publish(topic, b"k", f"{k}-{i}|".encode() + pad, partition=1)

        sending = asyncio.gather(*(lane(k) for k in range(lanes)))
        got: list[Message] = []
        deadline = time.monotonic() + 20
        while len(got) < lanes * per_lane and time.monotonic() < deadline:
            got += await consumer.poll(max_records=500, timeout_s=0.5)  # the writer's poll
        await sending
    assert sorted(m.value.split(b"|")[0] for m in got) == sorted(f"{k}-{i}".encode() for k in range(lanes) for i in range(per_lane))
