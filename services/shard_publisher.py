"""Telemetry to the bus, one message per shard for whatever arrived together.

Why: a remote-write request touches every shard, so each request became one message per
partition, and with several senders the broker and the writer handled many small
messages (the ingest benchmark ran 28% faster when a request made one message instead of
four; docs/adr/0013-ingest-hot-path.md). Here, while a shard's message is on its way,
the batches that arrive for that shard wait, and go together as one message when it has
been acknowledged. The first batch for an idle shard is sent at once, so a quiet API
adds no delay; a busy one sends fewer, larger messages, each caller still answered only
after the broker acknowledged its samples.

What may travel together: batches of one tenant whose series do not overlap (a format 3
message holds a series once), up to ``max_samples``. The others wait for the next
message of that shard.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from ports.bus import MessageBus
from ports.columnar import ColumnarBatch
from services.codec import encode_columns


@dataclass
class _Waiting:
    batch: ColumnarBatch
    done: asyncio.Future = field(default_factory=lambda: asyncio.get_running_loop().create_future())


class ShardPublisher:
    def __init__(self, bus: MessageBus, topic: str, max_samples: int = 100_000) -> None:
        self._bus = bus
        self._topic = topic
        self._max_samples = max_samples
        self._waiting: dict[int, list[_Waiting]] = {}
        self._sending: set[int] = set()
        self._senders: set[asyncio.Task] = set()  # referenced until done (the loop keeps weak ones)

    async def publish(self, shard: int, batch: ColumnarBatch) -> None:
        """Returns once the bus acknowledged a message holding ``batch``."""
        item = _Waiting(batch)
        self._waiting.setdefault(shard, []).append(item)
        if shard not in self._sending:
            self._sending.add(shard)
            sender = asyncio.get_running_loop().create_task(self._send(shard), name=f"telemetry-shard-{shard}")
            self._senders.add(sender)
            sender.add_done_callback(self._senders.discard)
        await asyncio.shield(item.done)  # a caller that gives up does not take its neighbours' send with it

    async def _send(self, shard: int) -> None:
        try:
            while waiting := self._waiting.pop(shard, None):
                groups = together(waiting, self._max_samples)
                await asyncio.gather(*(self._send_one(shard, group) for group in groups))
        finally:
            self._sending.discard(shard)

    async def _send_one(self, shard: int, group: list[_Waiting]) -> None:
        try:
            batch = group[0].batch if len(group) == 1 else ColumnarBatch.concat([w.batch for w in group])
            await self._bus.publish(self._topic, batch.tenant.encode(), encode_columns(batch), partition=shard)
        except asyncio.CancelledError:  # shutting down: the callers are cancelled too
            for w in group:
                w.done.cancel()
            raise
        except Exception as exc:  # every caller of the group hears it (and its sender retries)
            for w in group:
                if not w.done.done():
                    w.done.set_exception(exc)
                    w.done.exception()  # marks it retrieved (a caller that gave up must not log it); awaiting still raises
            return
        for w in group:
            if not w.done.done():
                w.done.set_result(None)


def together(waiting: list[_Waiting], max_samples: int) -> list[list[_Waiting]]:
    """``waiting`` in arrival order cut into groups that may share a message: one tenant,
    no series twice, at most ``max_samples`` (a batch larger than that goes alone)."""
    groups: list[list[_Waiting]] = []
    open_groups: dict[str, tuple[list[_Waiting], set[int], int]] = {}
    for w in waiting:
        b = w.batch
        ids = set(b.series_ids.tolist()) if len(waiting) > 1 else set()
        current = open_groups.get(b.tenant)
        if current is not None:
            members, seen, samples = current
            if samples + b.sample_count <= max_samples and seen.isdisjoint(ids):
                members.append(w)
                seen |= ids
                open_groups[b.tenant] = (members, seen, samples + b.sample_count)
                continue
        members = [w]
        groups.append(members)
        open_groups[b.tenant] = (members, ids, b.sample_count)
    return groups
