"""Configuration of the Kafka bus and the hooks a consumer group can be given.

Kept apart from the clients so the composition root can build both without touching
aiokafka, and so the adapter's knobs are documented in one place.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ports.bus import ALERTS_TOPIC, DEAD_LETTERS_TOPIC, EVENTS_TOPIC, TELEMETRY_TOPIC


@dataclass(frozen=True, slots=True)
class KafkaConfig:
    bootstrap: str = "127.0.0.1:9092"
    # Partition count of every topic the bus creates (an existing topic keeps its own:
    # the bus always asks the broker, so shards map to the partitions that exist).
    partitions: int = 4
    replication: int = 1
    # Idempotent producer (no duplicates on producer retries). On by default for real
    # Kafka; brokers without InitProducerId (tansu) need it off.
    idempotence: bool = True
    # Telemetry payloads are zlib-compressed by services/codec.py already, so broker-side
    # compression mostly costs CPU; "gzip" is there for the alerts and events topics.
    compression: str | None = None
    topics: tuple[str, ...] = (TELEMETRY_TOPIC, ALERTS_TOPIC, EVENTS_TOPIC, DEAD_LETTERS_TOPIC)
    # Small values make failover fast (and tansu's join wait is about half of it); real
    # deployments keep Kafka's 10 s so a GC pause or slow flush does not cause a rebalance.
    session_timeout_ms: int = 10_000
    heartbeat_interval_ms: int | None = None  # None: a third of the session timeout
    # Ingest asks the lag on every request; the broker is asked at most this often.
    lag_cache_s: float = 0.5
    max_message_bytes: int = 16 * 1024 * 1024
    # How long the producer waits to batch sends to one partition (ADR 0013): a few ms
    # let concurrent ingest requests share a produce request.
    linger_ms: int = 0
    request_timeout_ms: int = 30_000
    client_id: str = "observer-eye"
    # Credentials, passed to every client as they are: aiokafka's security_protocol,
    # ssl_context, sasl_mechanism, sasl_plain_username/password (entrypoints/credentials.py).
    security: Mapping[str, Any] = field(default_factory=dict)

    @property
    def heartbeat_ms(self) -> int:
        return self.heartbeat_interval_ms or max(self.session_timeout_ms // 3, 100)


PositionSource = Callable[[str], Awaitable[Mapping[int, int]]]


@dataclass(frozen=True, slots=True)
class GroupHooks:
    """What the composition root lets a consumer group do around rebalances.

    ``positions(topic)`` gives the authoritative next offset per partition (the writer:
    the sample store's offset table). It is read at *every* assignment, so a partition
    that moves here from another member resumes where the store says, not where the
    bus commit says (the commit may run ahead of a store that buffers).

    ``before_revoke()`` runs before partitions leave this member (the writer: flush the
    store's head), so the next owner finds the work durable instead of redoing it.
    """

    positions: PositionSource | None = None
    before_revoke: Callable[[], Awaitable[None]] | None = None


class KafkaUnavailable(RuntimeError):
    """The broker could not be reached or refused to set up the clients."""
