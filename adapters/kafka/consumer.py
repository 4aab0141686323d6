"""One consumer-group member on aiokafka, behind ports.bus.Consumer.

Why the extra machinery around AIOKafkaConsumer:

* Assignment is asynchronous and changes on every rebalance, but the port's ``seek``
  is called right after ``subscribe``. A seek on a partition this member does not own
  yet is kept as *pending* and applied when the partition is assigned (before anything
  is fetched from it: aiokafka runs the listener before fetching).
* The group's ``GroupHooks.positions`` is read on every assignment, so partitions that
  arrive from another member resume at the sample store's offsets.
* A fetch that skipped an offset is cut there and the partition fetched again from the
  hole (``gaps.OffsetGaps``): the test broker can show a batch before an earlier one.
* A commit that races a rebalance is not an error for at-least-once processing: the
  new owner resumes from the last successful commit (or the store's offsets) and the
  handlers are idempotent. It is logged and dropped instead of killing the loop.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Mapping

from aiokafka import AIOKafkaConsumer, ConsumerRebalanceListener, TopicPartition
from aiokafka.errors import CommitFailedError, ConsumerStoppedError, IllegalStateError

from adapters.kafka.config import GroupHooks, KafkaConfig
from adapters.kafka.gaps import OffsetGaps
from ports.bus import DEAD_LETTERS_TOPIC, Message, PoisonPolicy
from services.dead_letters import envelope

log = logging.getLogger(__name__)

OnCommit = Callable[[str, Mapping[tuple[str, int], int]], None]
Publish = Callable[[str, bytes, bytes], Awaitable[None]]


class KafkaConsumer:
    def __init__(self, config: KafkaConfig, topics: list[str], group: str, hooks: GroupHooks | None, on_commit: OnCommit,
                 publish: Publish | None = None, poison: PoisonPolicy | None = None) -> None:
        self._config = config
        self._topics = list(topics)
        self.group = group
        self.poison = poison or PoisonPolicy()
        self._publish = publish
        self._hooks = hooks or GroupHooks()
        self._on_commit = on_commit
        self._pending: dict[TopicPartition, int] = {}
        self._consumer: AIOKafkaConsumer | None = None
        self._closed = False
        self._gaps = OffsetGaps(group)

    async def start(self) -> None:
        """Join the group; returns once the first assignment is in place."""
        c = self._config
        self._consumer = AIOKafkaConsumer(
            bootstrap_servers=c.bootstrap,
            client_id=c.client_id,
            group_id=self.group,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            session_timeout_ms=c.session_timeout_ms,
            heartbeat_interval_ms=c.heartbeat_ms,
            rebalance_timeout_ms=c.session_timeout_ms,
            request_timeout_ms=c.request_timeout_ms,
            fetch_max_wait_ms=200,
            **c.security,
        )
        self._consumer.subscribe(self._topics, listener=_Listener(self))
        await self._consumer.start()

    # ------------------------------------------------------------------ the port

    async def poll(self, max_records: int = 500, timeout_s: float = 1.0) -> list[Message]:
        if self._closed or self._consumer is None:
            return []
        try:
            got = await self._consumer.getmany(timeout_ms=max(int(timeout_s * 1000), 0), max_records=max_records)
        except ConsumerStoppedError:
            return []
        out: list[Message] = []
        refetching = False
        for tp in sorted(got, key=lambda t: (t.topic, t.partition)):
            records, again = self._gaps.contiguous(tp, got[tp])
            out.extend(Message(tp.topic, tp.partition, r.offset, r.key or b"", r.value or b"") for r in records)
            if again is not None and tp in self._consumer.assignment():
                self._consumer.seek(tp, again)
                refetching = True
        if refetching and not out:
            await asyncio.sleep(0.005)  # give the broker a moment to show the missing batch
        return out

    async def commit(self, offsets: Mapping[tuple[str, int], int]) -> None:
        if self._consumer is None or not offsets:
            return
        owned = self._consumer.assignment()
        mine = {TopicPartition(t, p): o for (t, p), o in offsets.items() if TopicPartition(t, p) in owned}
        if len(mine) < len(offsets):
            log.info("group %s: not committing partitions no longer assigned here: %s", self.group,
                     sorted(k for k in offsets if TopicPartition(*k) not in owned))
        if not mine:
            return
        try:
            await self._consumer.commit(mine)
        except (CommitFailedError, IllegalStateError) as exc:
            log.warning("group %s: commit dropped, the group rebalanced (%s); the next owner resumes from the last commit", self.group, exc)
            return
        self._on_commit(self.group, {(tp.topic, tp.partition): o for tp, o in mine.items()})

    async def seek(self, topic: str, partition: int, offset: int) -> None:
        tp = TopicPartition(topic, partition)
        if self._consumer is not None and tp in self._consumer.assignment():
            self._pending.pop(tp, None)
            self._consumer.seek(tp, offset)
            self._gaps.expect(tp, offset)
        else:
            self._pending[tp] = offset

    async def dead_letter(self, message: Message, error: str, tries: int) -> None:
        if self._publish is None:
            raise RuntimeError(f"group {self.group}: this consumer has no producer to dead-letter with")
        key, value = envelope(self.group, message, error, tries, int(time.time() * 1000))
        await self._publish(DEAD_LETTERS_TOPIC, key, value)

    async def close(self) -> None:
        """Leave the group (the others take the partitions over at once)."""
        if self._closed:
            return
        self._closed = True
        if self._consumer is not None:
            await self._consumer.stop()

    # -------------------------------------------------------------- rebalancing

    async def _assigned(self, assigned: set[TopicPartition]) -> None:
        positions = await self._authoritative_positions({tp.topic for tp in assigned}) if assigned else {}
        for tp in assigned:
            offset = self._pending.pop(tp, None)
            offset = positions.get(tp, offset)  # read now, so fresher than a pending seek
            if offset is not None and self._consumer is not None:
                self._consumer.seek(tp, offset)
                self._gaps.expect(tp, offset)
        log.info("group %s: assigned %s", self.group, _names(assigned))

    async def _authoritative_positions(self, topics: set[str]) -> dict[TopicPartition, int]:
        """The hook's offsets; retried until they come, because resuming from the bus
        commit instead could skip what a buffering store had not made durable."""
        source = self._hooks.positions
        if source is None:
            return {}
        delay = 0.2
        while True:
            try:
                out: dict[TopicPartition, int] = {}
                for topic in topics:
                    out.update({TopicPartition(topic, p): o for p, o in (await source(topic)).items()})
                return out
            except asyncio.CancelledError:
                raise
            except Exception:
                if self._closed:
                    raise
                log.exception("group %s: reading the resume positions failed; retrying in %.1fs", self.group, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)

    async def _revoked(self, revoked: set[TopicPartition]) -> None:
        if revoked and self._hooks.before_revoke is not None:
            try:
                await self._hooks.before_revoke()
            except Exception:
                # Not fatal: the next owner replays from the store's durable offsets.
                log.exception("group %s: before_revoke hook failed", self.group)
        for tp in revoked:
            self._gaps.forget(tp)
        if revoked:
            log.info("group %s: revoked %s", self.group, _names(revoked))


class _Listener(ConsumerRebalanceListener):
    def __init__(self, owner: KafkaConsumer) -> None:
        self._owner = owner

    async def on_partitions_revoked(self, revoked) -> None:
        await self._owner._revoked(set(revoked))

    async def on_partitions_assigned(self, assigned) -> None:
        await self._owner._assigned(set(assigned))


def _names(tps: set[TopicPartition]) -> str:
    return ", ".join(f"{tp.topic}[{tp.partition}]" for tp in sorted(tps, key=lambda t: (t.topic, t.partition))) or "nothing"
