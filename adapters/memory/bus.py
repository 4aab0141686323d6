"""In-process bus with Kafka's semantics: partitioned logs, per-group committed offsets,
consumers that resume from the committed offset.

Retention, like Kafka's, is by size: the newest ``retain`` messages of a partition are
always kept (a group that subscribes later still reads them), older ones go once every
group that subscribed has committed past them, and nothing beyond ``max_retain`` is kept
at all, so memory stays bounded even if a consumer dies."""

from __future__ import annotations

import asyncio
import time
import zlib
from collections.abc import Mapping
from dataclasses import dataclass, field

from ports.bus import DEAD_LETTERS_TOPIC, Message, PoisonPolicy
from services.dead_letters import envelope


@dataclass
class _Partition:
    base: int = 0  # offset of messages[0]
    messages: list[Message] = field(default_factory=list)

    @property
    def end(self) -> int:
        return self.base + len(self.messages)


class MemoryBus:
    """``poison``: when its consumers give up on a message (they then publish it to
    ``DEAD_LETTERS_TOPIC``)."""

    def __init__(self, partitions: int = 4, retain: int = 1_000, max_retain: int = 50_000,
                 poison: PoisonPolicy | None = None) -> None:
        self.poison = poison or PoisonPolicy()
        self._default_partitions = partitions
        self._retain = retain
        self._max_retain = max_retain
        self._topics: dict[str, list[_Partition]] = {}
        self._committed: dict[str, dict[tuple[str, int], int]] = {}  # group -> (topic, p) -> offset
        self._changed = asyncio.Condition()
        self._rr = 0

    def partitions(self, topic: str) -> int:
        return len(self._topic(topic))

    def _topic(self, topic: str) -> list[_Partition]:
        if topic not in self._topics:
            self._topics[topic] = [_Partition() for _ in range(self._default_partitions)]
        return self._topics[topic]

    async def publish(self, topic: str, key: bytes, value: bytes, partition: int | None = None) -> None:
        parts = self._topic(topic)
        if partition is None:
            partition = zlib.crc32(key) % len(parts) if key else self._next_rr(len(parts))
        if not 0 <= partition < len(parts):
            raise ValueError(f"topic {topic!r} has no partition {partition}")
        p = parts[partition]
        p.messages.append(Message(topic, partition, p.end, key, value))
        if len(p.messages) > self._max_retain:
            self._drop(p, p.end - self._max_retain)
        async with self._changed:
            self._changed.notify_all()

    def _next_rr(self, n: int) -> int:
        self._rr = (self._rr + 1) % n
        return self._rr

    async def subscribe(self, topics: list[str], group: str) -> "MemoryConsumer":
        committed = self._committed.setdefault(group, {})
        for t in topics:
            for i, _ in enumerate(self._topic(t)):
                committed.setdefault((t, i), 0)
        return MemoryConsumer(self, topics, group)

    async def read(self, topic: str, max_messages: int = 10_000) -> list[Message]:
        out: list[Message] = []
        for p in self._topic(topic):
            out.extend(p.messages[: max(max_messages - len(out), 0)])
        return out

    async def lag(self, topic: str, group: str) -> int:
        committed = self._committed.get(group)
        if committed is None:
            return 0
        return sum(p.end - committed.get((topic, i), 0) for i, p in enumerate(self._topic(topic)))

    def _commit(self, group: str, offsets: Mapping[tuple[str, int], int]) -> None:
        committed = self._committed.setdefault(group, {})
        for key, offset in offsets.items():
            committed[key] = max(committed.get(key, 0), offset)
        self._truncate()

    def _truncate(self) -> None:
        """Drop what every group has committed, beyond the newest ``retain`` messages."""
        for topic, parts in self._topics.items():
            for i, p in enumerate(parts):
                floors = [c[(topic, i)] for c in self._committed.values() if (topic, i) in c]
                if floors:
                    self._drop(p, min(min(floors), p.end - self._retain))

    @staticmethod
    def _drop(p: _Partition, upto: int) -> None:
        drop = upto - p.base
        if drop > 0:
            del p.messages[:drop]
            p.base = upto


class MemoryConsumer:
    def __init__(self, bus: MemoryBus, topics: list[str], group: str) -> None:
        self._bus = bus
        self._group = group
        self.group = group
        self.poison = bus.poison
        self._topics = topics
        committed = bus._committed[group]
        self._position = {(t, i): committed.get((t, i), 0) for t in topics for i in range(bus.partitions(t))}
        self._closed = False

    def _take(self, max_records: int) -> list[Message]:
        out: list[Message] = []
        for (topic, i), pos in self._position.items():
            p = self._bus._topics[topic][i]
            start = max(pos, p.base) - p.base
            chunk = p.messages[start:start + (max_records - len(out))]
            if chunk:
                out.extend(chunk)
                self._position[(topic, i)] = chunk[-1].offset + 1
            if len(out) >= max_records:
                break
        return out

    async def poll(self, max_records: int = 500, timeout_s: float = 1.0) -> list[Message]:
        got = self._take(max_records)
        if got or self._closed:
            return got
        try:
            async with self._bus._changed:
                await asyncio.wait_for(self._bus._changed.wait(), timeout_s)
        except TimeoutError:
            return []
        return self._take(max_records)

    async def commit(self, offsets: Mapping[tuple[str, int], int]) -> None:
        self._bus._commit(self._group, offsets)

    async def seek(self, topic: str, partition: int, offset: int) -> None:
        self._position[(topic, partition)] = offset

    async def dead_letter(self, message: Message, error: str, tries: int) -> None:
        key, value = envelope(self._group, message, error, tries, int(time.time() * 1000))
        await self._bus.publish(DEAD_LETTERS_TOPIC, key, value)

    async def close(self) -> None:
        self._closed = True
