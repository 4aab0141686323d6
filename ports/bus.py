"""The telemetry and event bus: partitioned, ordered per partition, at-least-once.

Payloads are bytes (services/codec.py encodes them), so the in-process bus and Kafka
carry exactly the same messages.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Protocol

TELEMETRY_TOPIC = "telemetry"
ALERTS_TOPIC = "alerts"
EVENTS_TOPIC = "events"
DEAD_LETTERS_TOPIC = "dead-letters"  # messages a consumer group gave up on (services/dead_letters.py)


@dataclass(frozen=True, slots=True)
class Message:
    topic: str
    partition: int
    offset: int
    key: bytes
    value: bytes


@dataclass(frozen=True, slots=True)
class PoisonPolicy:
    """When a consumer gives up on a message (services/consumer_loop.py): after
    ``max_tries`` failures, unless the failure is ``transient`` (the infrastructure's,
    not the message's: retried as long as it lasts)."""

    max_tries: int = 5
    transient: tuple[type[BaseException], ...] = field(default=(OSError, TimeoutError, ConnectionError))


class Consumer(Protocol):
    group: str
    poison: PoisonPolicy

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

    async def dead_letter(self, message: Message, error: str, tries: int) -> None:
        """Publish ``message``, which this group gave up on, to ``DEAD_LETTERS_TOPIC``
        with the error (services/dead_letters.py: the envelope)."""
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

    async def read(self, topic: str, max_messages: int = 10_000) -> list[Message]:
        """The messages ``topic`` retains, oldest first per partition, at most
        ``max_messages``, read outside any consumer group (nothing is committed): for
        operators' tools such as the dead-letter list."""
        ...
