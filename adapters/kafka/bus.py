"""ports.bus.MessageBus on Kafka (aiokafka).

One producer per process (acks=all: ``publish`` returns once every in-sync replica has
the message, which is what lets ingest answer 2xx), one AIOKafkaConsumer per
``subscribe`` (its own group member), topics created with the configured partition
count on start. Everything is started lazily on first use, or explicitly with
``start()`` so a process fails fast when the broker is not there.

Lag (ingest's backpressure signal) is end offsets minus the group's committed offsets.
Asking the broker on every ingest request would double its load, so the figures are
cached for ``lag_cache_s``; within that window this process' own publishes and
commits are folded in, so the figure never trails what this process did itself.
"""

from __future__ import annotations

import asyncio
import logging
import time
import weakref
from collections.abc import Mapping
from dataclasses import dataclass, field

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from adapters.kafka.config import GroupHooks, KafkaConfig, KafkaUnavailable
from adapters.kafka.consumer import KafkaConsumer
from ports.bus import Message, PoisonPolicy

log = logging.getLogger(__name__)

_TOPIC_EXISTS = 36


@dataclass
class _LagState:
    at: float
    ends: dict[int, int] = field(default_factory=dict)
    floors: dict[int, int] = field(default_factory=dict)  # committed, else the log start

    def total(self) -> int:
        return sum(max(0, end - self.floors.get(p, 0)) for p, end in self.ends.items())


class KafkaBus:
    """``poison``: when its consumers give up on a message (they then publish it to
    ``DEAD_LETTERS_TOPIC`` through this bus' producer)."""

    def __init__(self, config: KafkaConfig, hooks: Mapping[str, GroupHooks] | None = None,
                 poison: PoisonPolicy | None = None) -> None:
        self.poison = poison or PoisonPolicy()
        self._config = config
        self._hooks = dict(hooks or {})
        self._counts: dict[str, int] = {}
        self._producer: AIOKafkaProducer | None = None
        self._admin: AIOKafkaAdminClient | None = None
        self._offsets: AIOKafkaConsumer | None = None  # group-less: end and start offsets
        self._probes: dict[str, AIOKafkaConsumer] = {}  # group -> reads its commits, never joins
        self._consumers: weakref.WeakSet[KafkaConsumer] = weakref.WeakSet()
        self._lag: dict[tuple[str, str], _LagState] = {}
        self._lag_refresh: dict[tuple[str, str], asyncio.Future[_LagState]] = {}
        self._start_lock = asyncio.Lock()
        self._topic_lock = asyncio.Lock()
        self._closed = False

    # ---------------------------------------------------------------- lifecycle

    async def start(self) -> None:
        """Connect and create the configured topics (idempotent)."""
        if self._producer is not None:
            return
        async with self._start_lock:
            if self._producer is not None:
                return
            if self._closed:
                raise KafkaUnavailable("the Kafka bus is closed")
            c = self._config
            common = {"bootstrap_servers": c.bootstrap, "client_id": c.client_id, "request_timeout_ms": c.request_timeout_ms,
                      **c.security}
            admin = AIOKafkaAdminClient(**common)
            producer = AIOKafkaProducer(
                **common, acks="all", enable_idempotence=c.idempotence, compression_type=c.compression,
                max_request_size=c.max_message_bytes, linger_ms=c.linger_ms,
            )
            offsets = AIOKafkaConsumer(**common, group_id=None, enable_auto_commit=False)
            started: list = []
            try:
                for client in (admin, producer, offsets):
                    await client.start()
                    started.append(client)
            except Exception as exc:
                for client in (offsets, producer, admin):  # started or not: aiokafka warns about unclosed ones
                    await _stop(client)
                hint = ""
                if c.idempotence and admin in started and producer not in started:
                    hint = " (if the broker lacks the idempotent producer, e.g. tansu, set OBSERVER_KAFKA_IDEMPOTENCE=false)"
                raise KafkaUnavailable(f"cannot start the Kafka clients for {c.bootstrap}: {exc!r}{hint}") from exc
            self._admin, self._offsets = admin, offsets
            self._producer = producer
        await self._ensure(list(self._config.topics))

    async def close(self) -> None:
        """Leave every group, flush the producer, close connections."""
        self._closed = True
        for consumer in list(self._consumers):
            await consumer.close()
        clients = [*self._probes.values(), self._offsets, self._producer, self._admin]
        self._probes.clear()
        self._producer = self._admin = self._offsets = None
        for client in clients:
            if client is not None:
                await _stop(client)

    async def __aenter__(self) -> "KafkaBus":
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    # --------------------------------------------------------------- the port

    def partitions(self, topic: str) -> int:
        # Known from the broker once the topic was seen; otherwise what it will be created with.
        return self._counts.get(topic, self._config.partitions)

    async def publish(self, topic: str, key: bytes, value: bytes, partition: int | None = None) -> None:
        await self.start()
        await self._ensure([topic])
        n = self._counts[topic]
        if partition is not None and not 0 <= partition < n:
            raise ValueError(f"topic {topic!r} has no partition {partition} (it has {n})")
        assert self._producer is not None
        # An empty key spreads round-robin, as on the in-process bus.
        meta = await self._producer.send_and_wait(topic, value, key=key or None, partition=partition)
        for (t, _), state in self._lag.items():
            if t == topic:
                state.ends[meta.partition] = max(state.ends.get(meta.partition, 0), meta.offset + 1)

    async def subscribe(self, topics: list[str], group: str) -> KafkaConsumer:
        await self.start()
        await self._ensure(topics)
        consumer = KafkaConsumer(self._config, topics, group, self._hooks.get(group), self._committed, self.publish,
                                 self.poison)
        try:
            await consumer.start()
        except Exception:
            await consumer.close()
            raise
        self._consumers.add(consumer)
        return consumer

    async def read(self, topic: str, max_messages: int = 10_000) -> list[Message]:
        """A group-less consumer reads every partition from its start to (at least) the end
        offset it had when the read began (messages published meanwhile are not waited for)."""
        await self.start()
        await self._ensure([topic])
        c = self._config
        reader = AIOKafkaConsumer(bootstrap_servers=c.bootstrap, client_id=c.client_id, group_id=None,
                                  enable_auto_commit=False, request_timeout_ms=c.request_timeout_ms)
        await reader.start()
        try:
            tps = [TopicPartition(topic, p) for p in range(self._counts[topic])]
            reader.assign(tps)
            ends = await reader.end_offsets(tps)
            await reader.seek_to_beginning(*tps)
            left = {tp for tp in tps if ends[tp] > await reader.position(tp)}
            out: list[Message] = []
            while left and len(out) < max_messages:
                got = await reader.getmany(*left, timeout_ms=1000, max_records=max_messages - len(out))
                # What the fetch returned is kept even past the end offset read above: a
                # broker may count a multi-record batch's end short (tansu's memory engine
                # reports base offset + 1), and dropping those records would hide them.
                for tp, records in got.items():
                    out.extend(Message(tp.topic, tp.partition, r.offset, r.key or b"", r.value or b"")
                               for r in records)
                for tp in list(left):
                    if await reader.position(tp) >= ends[tp]:
                        left.discard(tp)
            return sorted(out[:max_messages], key=lambda m: (m.partition, m.offset))
        finally:
            await _stop(reader)

    async def lag(self, topic: str, group: str) -> int:
        await self.start()
        await self._ensure([topic])
        key = (topic, group)
        state = self._lag.get(key)
        if state is None or time.monotonic() - state.at >= self._config.lag_cache_s:
            state = await self._refresh_lag(key)
        return state.total()

    # ---------------------------------------------------------------- helpers

    async def _ensure(self, topics: list[str]) -> None:
        """Create missing topics with the configured partition count; learn the real one."""
        if all(t in self._counts for t in topics):
            return
        async with self._topic_lock:
            missing = [t for t in dict.fromkeys(topics) if t not in self._counts]
            if not missing:
                return
            assert self._admin is not None and self._producer is not None
            c = self._config
            resp = await self._admin.create_topics([
                NewTopic(t, c.partitions, c.replication, topic_configs={"max.message.bytes": str(c.max_message_bytes)})
                for t in missing
            ])
            for err in resp.topic_errors:
                name, code = err[0], err[1]
                if code not in (0, _TOPIC_EXISTS):
                    raise KafkaUnavailable(f"cannot create topic {name!r}: error {code} {err[2] if len(err) > 2 else ''}")
            for t in missing:
                parts = await self._producer.partitions_for(t)
                self._counts[t] = len(parts)
                if len(parts) != c.partitions:
                    log.warning("topic %r has %d partitions, not the configured %d: shards follow the topic", t, len(parts), c.partitions)

    async def _refresh_lag(self, key: tuple[str, str]) -> _LagState:
        """One broker round per key at a time: concurrent callers share it."""
        running = self._lag_refresh.get(key)
        if running is None:
            running = self._lag_refresh[key] = asyncio.ensure_future(self._fetch_lag(*key))
            running.add_done_callback(lambda _f: self._lag_refresh.pop(key, None))
        state = await asyncio.shield(running)
        self._lag[key] = state
        return state

    async def _fetch_lag(self, topic: str, group: str) -> _LagState:
        assert self._offsets is not None
        at = time.monotonic()
        tps = [TopicPartition(topic, p) for p in range(self._counts[topic])]
        ends = await self._offsets.end_offsets(tps)
        starts = await self._offsets.beginning_offsets(tps)
        probe = await self._probe(group)
        committed = await asyncio.gather(*(probe.committed(tp) for tp in tps))
        return _LagState(
            at,
            ends={tp.partition: ends[tp] for tp in tps},
            floors={tp.partition: c if c is not None else starts[tp] for tp, c in zip(tps, committed)},
        )

    async def _probe(self, group: str) -> AIOKafkaConsumer:
        probe = self._probes.get(group)
        if probe is None:
            c = self._config
            probe = AIOKafkaConsumer(bootstrap_servers=c.bootstrap, client_id=c.client_id, group_id=group,
                                     enable_auto_commit=False, request_timeout_ms=c.request_timeout_ms, **c.security)
            await probe.start()
            if group in self._probes:  # another caller won the race
                await _stop(probe)
                return self._probes[group]
            self._probes[group] = probe
        return probe

    def _committed(self, group: str, offsets: Mapping[tuple[str, int], int]) -> None:
        for (topic, p), offset in offsets.items():
            state = self._lag.get((topic, group))
            if state is not None:
                state.floors[p] = max(state.floors.get(p, 0), offset)


async def _stop(client) -> None:
    stop = getattr(client, "stop", None) or client.close
    try:
        await stop()
    except Exception as exc:  # shutting down: nothing useful to do with it
        log.debug("closing a Kafka client: %r", exc)
