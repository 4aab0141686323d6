"""The loop every bus consumer runs: poll, handle a batch of messages, commit, repeat;
and the guard that keeps one bad message from stalling a partition.

**Poison messages.** A batch that fails is taken apart: its messages are handled one
at a time, so the one that fails is known. Each failure of a message counts a try; a
message that failed ``max_tries`` times goes to the dead-letter topic (the consumer
publishes it: ``Consumer.dead_letter``; ``services.dead_letters`` lists and replays
them) and counts as handled, so the partition moves on. A *transient* failure (the
database, the broker or the cache unreachable: ``OSError`` and what the composition
root adds) is the infrastructure's, not the message's: it is retried with backoff for
as long as it lasts and never dead-letters anything. The consumer carries the policy
(``ports.bus.PoisonPolicy``), so every consumer group gets it without asking.
See docs/adr/0014-one-alert-path.md.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field

from ports.bus import Consumer, Message, PoisonPolicy

log = logging.getLogger(__name__)

Handler = Callable[[Sequence[Message]], Awaitable[None]]
DeadLetterSink = Callable[[Message, str, int], Awaitable[None]]  # (message, error, tries)
MessageId = tuple[str, int, int]  # topic, partition, offset


class MessageFailed(Exception):
    """A message of the batch failed and is to be tried again (the guard counted it)."""


@dataclass
class PoisonGuard:
    """Counts the failures of the messages of one consumer group and dead-letters
    those that failed ``max_tries`` times (no ``sink``: retries until they go through)."""

    group: str
    sink: DeadLetterSink | None = None
    max_tries: int = 5
    transient: tuple[type[BaseException], ...] = PoisonPolicy().transient
    tries: dict[MessageId, int] = field(default_factory=dict)
    isolating: bool = False  # after a failure: one message at a time, until a batch goes through

    @classmethod
    def of(cls, consumer: Consumer) -> "PoisonGuard":
        """The guard of ``consumer``'s group, as its bus configured it."""
        return cls(consumer.group, consumer.dead_letter, consumer.poison.max_tries, consumer.poison.transient)

    def is_transient(self, exc: BaseException) -> bool:
        return isinstance(exc, self.transient)

    async def handle(self, messages: Sequence[Message], handler: Handler) -> int:
        """Handle ``messages`` in order; how many of them are done (handled, or
        dead-lettered). Fewer than all: the next one failed and is to be retried (after
        a backoff); the caller keeps the rest. Transient failures are raised."""
        if not self.isolating or len(messages) == 1:
            try:
                await handler(messages)
                self._forget(messages)
                return len(messages)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                if self.sink is None or self.is_transient(exc):
                    raise
                if len(messages) == 1:
                    return await self._failed(messages[0], exc)
                self.isolating = True
                log.warning("group %s: a batch of %d messages failed (%s: %s); handling them one at a time",
                            self.group, len(messages), type(exc).__name__, exc)
        done = 0
        for m in messages:
            try:
                await handler([m])
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                if self.is_transient(exc):
                    raise
                taken = await self._failed(m, exc)
                done += taken
                if not taken:
                    return done
                continue
            self._forget([m])
            done += 1
        self.isolating = False
        return done

    async def _failed(self, m: Message, exc: Exception) -> int:
        """1 if ``m`` went to the dead letters (done), 0 if it is to be tried again."""
        key = (m.topic, m.partition, m.offset)
        tries = self.tries.get(key, 0) + 1
        error = f"{type(exc).__name__}: {exc}"
        if self.sink is None or tries < self.max_tries:
            self.tries[key] = tries
            log.warning("group %s: %s[%d]@%d failed (try %d of %d): %s", self.group, m.topic, m.partition, m.offset,
                        tries, self.max_tries, error)
            return 0
        await self.sink(m, error, tries)
        self.tries.pop(key, None)
        self.isolating = False
        log.error("group %s: %s[%d]@%d failed %d times: moved to the dead letters (%s)", self.group, m.topic,
                  m.partition, m.offset, tries, error)
        return 1

    def _forget(self, messages: Sequence[Message]) -> None:
        for m in messages:
            self.tries.pop((m.topic, m.partition, m.offset), None)


async def run_consumer(consumer: Consumer, handle: Handler, stop: asyncio.Event, *, max_records: int = 500,
                       poll_timeout_s: float = 0.2) -> None:
    """At-least-once: offsets are committed only after ``handle`` returned (or the
    message went to the dead letters), so the handler must be idempotent."""
    guard = PoisonGuard.of(consumer)
    backoff = 0.1
    pending: list[Message] = []
    while not stop.is_set():
        if not pending:
            pending = await consumer.poll(max_records=max_records, timeout_s=poll_timeout_s)
            if not pending:
                continue
        try:
            done = await guard.handle(pending, handle)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("consumer handler failed; retrying the same %d messages", len(pending))
            done = 0
        if done:
            await consumer.commit(next_offsets(pending[:done]))
            pending = pending[done:]
        if pending:
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, 5.0)
        else:
            backoff = 0.1


def next_offsets(messages: Sequence[Message]) -> dict[tuple[str, int], int]:
    """(topic, partition) -> the offset after the last of ``messages`` there."""
    offsets: dict[tuple[str, int], int] = {}
    for m in messages:
        key = (m.topic, m.partition)
        offsets[key] = max(offsets.get(key, 0), m.offset + 1)
    return offsets
