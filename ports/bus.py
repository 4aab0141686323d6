"""The telemetry and event bus: partitioned, ordered per partition, at-least-once.

Payloads are bytes (services/codec.py encodes them), so the in-process bus and Kafka
carry exactly the same messages.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

TELEMETRY_TOPIC = "telemetry"
ALERTS_TOPIC = "alerts"
EVENTS_TOPIC = "events"


@dataclass(frozen=True, slots=True)
class Message:
    topic: str
    partition: int
    offset: int
    key: bytes
    value: bytes


class Consumer(Protocol):
    async def poll(self, max_records: int = 500, timeout_s: float = 1.0) -> list[Message]:
        """Next messages after the last polled position (empty on timeout)."""
        ...

    async def commit(self, offsets: Mapping[tuple[str, int], int]) -> None:
        """Record (topic, partition) -> next offset for this group."""
        ...

    async def seek(self, topic: str, partition: int, offset: int) -> None:
        """Resume reading ``topic``/``partition`` at ``offset`` (used when the sample
        store holds the authoritative offsets)."""
        ...

    async def close(self) -> None: ...


class MessageBus(Protocol):
    def partitions(self, topic: str) -> int: ...

    async def publish(self, topic: str, key: bytes, value: bytes, partition: int | None = None) -> None:
        """Returns once the message is durably accepted (Kafka: acks=all)."""
        ...

    async def subscribe(self, topics: list[str], group: str) -> Consumer: ...

    async def lag(self, topic: str, group: str) -> int:
        """Messages published but not yet committed by ``group`` (drives backpressure)."""
        ...
