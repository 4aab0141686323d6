"""services/shard_publisher.py: while a shard's message is on its way, what arrives for
that shard waits and goes together in one message; every caller returns after the bus
acknowledged its samples, or hears the bus' error."""

from __future__ import annotations

import asyncio

import hypothesis.strategies as st
import numpy as np
import pytest
from hypothesis import given, settings

from ports.columnar import ColumnarBatch
from services.codec import decode_columns
from services.shard_publisher import ShardPublisher


class GatedBus:
    """Records each message; a publish waits until the test opens the gate."""

    def __init__(self) -> None:
        self.sent: list[tuple[int, ColumnarBatch]] = []
        self.gate = asyncio.Event()
        self.gate.set()
        self.fail: Exception | None = None

    async def publish(self, topic: str, key: bytes, value: bytes, partition: int | None = None) -> None:
        await self.gate.wait()
        if self.fail is not None:
            raise self.fail
        batch = decode_columns(value)
        assert key == batch.tenant.encode()
        self.sent.append((partition, batch))


def batch(tenant: str, ids: list[int], per_series: int = 2) -> ColumnarBatch:
    n = len(ids)
    return ColumnarBatch.assemble(
        tenant, np.array(ids, dtype=np.int64), np.full(n, per_series, dtype=np.int64),
        np.arange(n * per_series, dtype=np.int64), np.arange(n * per_series, dtype=np.float64) / 2,
        [f"series {i}".encode() for i in ids],
    )


async def settle() -> None:
    for _ in range(5):
        await asyncio.sleep(0)


async def test_a_batch_for_an_idle_shard_is_sent_at_once_and_alone():
    bus = GatedBus()
    await ShardPublisher(bus, "telemetry").publish(2, batch("acme", [1, 2]))
    assert [(p, b.series_ids.tolist()) for p, b in bus.sent] == [(2, [1, 2])]


async def test_what_arrives_while_a_message_is_on_its_way_goes_together_once_it_is_acknowledged():
    bus, pub = GatedBus(), None
    pub = ShardPublisher(bus, "telemetry")
    bus.gate.clear()
    first = asyncio.create_task(pub.publish(0, batch("acme", [1])))
    await settle()
    later = [asyncio.create_task(pub.publish(0, batch("acme", [k, k + 100]))) for k in (2, 3, 4)]
    await settle()
    assert not bus.sent and not any(t.done() for t in [first, *later])
    bus.gate.set()
    await asyncio.gather(first, *later)
    assert [b.series_ids.tolist() for _, b in bus.sent] == [[1], [2, 102, 3, 103, 4, 104]]
    together = bus.sent[1][1]
    assert [together.descriptor(i) for i in range(len(together))] == [f"series {i}".encode() for i in (2, 102, 3, 103, 4, 104)]
    assert together.values.tolist() == [0.0, 0.5, 1.0, 1.5] * 3


async def test_other_tenants_overlapping_series_and_the_size_cap_make_separate_messages():
    bus = GatedBus()
    pub = ShardPublisher(bus, "telemetry", max_samples=6)
    bus.gate.clear()
    first = asyncio.create_task(pub.publish(1, batch("acme", [1])))
    await settle()
    waiting = [
        pub.publish(1, batch("acme", [5])),
        pub.publish(1, batch("globex", [5])),   # another tenant: its own message
        pub.publish(1, batch("acme", [5, 6])),  # series 5 again: a new message
        pub.publish(1, batch("acme", [7])),     # joins [5, 6]: 6 samples, the cap
        pub.publish(1, batch("acme", [8])),     # over the cap: a new message
        pub.publish(1, batch("acme", [9])),     # joins [8]
    ]
    tasks = [asyncio.create_task(w) for w in waiting]
    await settle()
    bus.gate.set()
    await asyncio.gather(first, *tasks)
    got = sorted((b.tenant, b.series_ids.tolist()) for _, b in bus.sent)
    assert got == sorted([("acme", [1]), ("acme", [5]), ("globex", [5]), ("acme", [5, 6, 7]), ("acme", [8, 9])])


async def test_every_caller_of_a_failed_message_hears_the_error_and_the_shard_goes_on():
    bus = GatedBus()
    pub = ShardPublisher(bus, "telemetry")
    bus.gate.clear()
    first = asyncio.create_task(pub.publish(0, batch("acme", [1])))
    await settle()
    later = [asyncio.create_task(pub.publish(0, batch("acme", [k]))) for k in (2, 3)]
    await settle()
    bus.fail = ConnectionError("broker down")
    bus.gate.set()
    results = await asyncio.gather(first, *later, return_exceptions=True)
    assert all(isinstance(r, ConnectionError) for r in results)
    bus.fail = None
    await pub.publish(0, batch("acme", [4]))
    assert [b.series_ids.tolist() for _, b in bus.sent] == [[4]]


async def test_a_caller_that_gives_up_does_not_cancel_the_message_it_shares():
    bus = GatedBus()
    pub = ShardPublisher(bus, "telemetry")
    bus.gate.clear()
    first = asyncio.create_task(pub.publish(0, batch("acme", [1])))
    await settle()
    quitter = asyncio.create_task(pub.publish(0, batch("acme", [2])))
    stayer = asyncio.create_task(pub.publish(0, batch("acme", [3])))
    await settle()
    quitter.cancel()
    bus.gate.set()
    await asyncio.gather(first, stayer)
    assert [b.series_ids.tolist() for _, b in bus.sent] == [[1], [2, 3]]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["acme", "globex"]), st.sets(st.integers(0, 12), min_size=1, max_size=4),
                          st.integers(0, 2)), min_size=1, max_size=12),
       st.integers(2, 30))
def test_every_sample_is_sent_once_to_its_shard_and_no_message_repeats_a_series(requests, cap):
    async def run() -> list[tuple[int, ColumnarBatch]]:
        bus = GatedBus()
        pub = ShardPublisher(bus, "telemetry", max_samples=cap)
        bus.gate.clear()
        tasks = []
        for tenant, ids, shard in requests:
            tasks.append(asyncio.create_task(pub.publish(shard, batch(tenant, sorted(ids), 1))))
            await asyncio.sleep(0)
        bus.gate.set()
        await asyncio.gather(*tasks)
        return bus.sent

    sent = asyncio.run(run())
    want = sorted((shard, tenant, i) for tenant, ids, shard in requests for i in ids)
    assert sorted((p, b.tenant, i) for p, b in sent for i in b.series_ids.tolist()) == want
    for _, b in sent:
        assert len(set(b.series_ids.tolist())) == len(b)
        assert b.sample_count <= max(cap, max(len(ids) for _, ids, _ in requests))
