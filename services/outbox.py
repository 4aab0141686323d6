"""The outbox relay: handles what units of work left in the transactional outbox, after
they committed (docs/adr/0014-one-alert-path.md).

A use case that must tell or ask something outside its transaction (publish a domain
event, start or update a workflow) writes an ``OutboxMessage`` in the same unit of
work instead of calling out: the change and the message commit together or not at all,
and the use case never waits on the outside world. The relay claims due messages per
topic (a lease, so several relays may run: each message is handled by one at a time),
hands them to the topic's handler, removes the handled ones and schedules a retry of
the failed ones with exponential backoff. Messages of one key are handled in order;
a key whose message failed waits for it.

The relay polls, and in-process producers ``wake`` it after they committed, so what
one process writes is handled at once and what another wrote within ``poll_s``.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from ports.clock import Clock
from ports.repositories import OutboxMessage, UnitOfWork, UnitOfWorkRunner

log = logging.getLogger(__name__)


@dataclass
class Handled:
    """What a handler did with the messages it was given: ``done`` ids are removed,
    ``failed`` ones (id -> error) retried later; any other was not tried (released)."""

    done: list[int] = field(default_factory=list)
    failed: dict[int, str] = field(default_factory=dict)


class OutboxHandler(Protocol):
    topic: str

    async def handle(self, messages: Sequence[OutboxMessage]) -> Handled:
        """Handle ``messages`` (oldest first); within a key, stop at the first failure."""
        ...


class OutboxSignal:
    """Producers in this process tell the relay there is work (an asyncio event)."""

    def __init__(self) -> None:
        self._event = asyncio.Event()

    def wake(self) -> None:
        self._event.set()

    async def wait(self, timeout_s: float) -> None:
        try:
            await asyncio.wait_for(self._event.wait(), timeout_s)
        except TimeoutError:
            pass
        self._event.clear()


@dataclass(frozen=True)
class RelayPolicy:
    poll_s: float = 0.5
    lease_s: float = 60.0  # longer than a handler takes: a lapsed lease lets another relay take the messages
    batch: int = 500
    backoff_s: float = 0.5
    backoff_max_s: float = 60.0

    def retry_in_ms(self, attempts: int) -> int:
        """After the ``attempts``-th failure (1 for the first)."""
        return int(min(self.backoff_max_s, self.backoff_s * 2 ** max(attempts - 1, 0)) * 1000)


class OutboxRelay:
    def __init__(self, uow: UnitOfWorkRunner, clock: Clock, handlers: Sequence[OutboxHandler],
                 signal: OutboxSignal | None = None, policy: RelayPolicy | None = None) -> None:
        self._uow = uow
        self._clock = clock
        self._handlers: Mapping[str, OutboxHandler] = {h.topic: h for h in handlers}
        self.signal = signal or OutboxSignal()
        self._policy = policy or RelayPolicy()
        self._owner = f"relay-{secrets.token_hex(6)}"
        self._lock = asyncio.Lock()  # one pass at a time in this process

    def wake(self) -> None:
        self.signal.wake()

    async def run(self, stop: asyncio.Event) -> None:
        """Handle messages until ``stop`` is set; a failing pass is logged and retried."""
        while not stop.is_set():
            try:
                busy = await self.relay_once()
            except Exception:
                log.exception("outbox relay pass failed")
                busy = 0
            if not busy:
                await self.signal.wait(self._policy.poll_s)

    async def drain(self, topics: Sequence[str] | None = None, max_passes: int = 1000) -> int:
        """Handle everything due now, pass after pass (tests, shutdown); how many were done."""
        total = 0
        for _ in range(max_passes):
            done = await self.relay_once(topics)
            total += done
            if not done:
                break
        return total

    async def relay_once(self, topics: Sequence[str] | None = None) -> int:
        """One pass over every topic (or ``topics``); how many messages were handled."""
        total = 0
        async with self._lock:
            for topic, handler in self._handlers.items():
                if topics is None or topic in topics:
                    total += await self._pass(topic, handler)
        return total

    async def _pass(self, topic: str, handler: OutboxHandler) -> int:
        p = self._policy
        now = self._clock.now_ms()
        claimed = await self._uow.run(
            lambda uow: uow.outbox.claim(topic, self._owner, now, int(p.lease_s * 1000), p.batch))
        if not claimed:
            return 0
        try:
            result = await handler.handle(claimed)
        except Exception as exc:  # the handler itself broke: every message is retried
            log.exception("outbox handler of %s failed on %d messages", topic, len(claimed))
            result = Handled(failed={claimed[0].id: f"{type(exc).__name__}: {exc}"})
        by_id = {m.id: m for m in claimed}
        now = self._clock.now_ms()
        retries = {i: (err, now + p.retry_in_ms(by_id[i].attempts + 1)) for i, err in result.failed.items() if i in by_id}
        untried = [i for i in by_id if i not in retries and i not in result.done]

        def settle(uow: UnitOfWork) -> None:
            uow.outbox.done(result.done)
            for i, (err, at) in retries.items():
                uow.outbox.retry(i, err, at)
            uow.outbox.release(untried)

        await self._uow.run(settle)
        for i, (err, at) in retries.items():
            m = by_id[i]
            log.warning("outbox %s message %s (key %s) failed, attempt %d, next in %d ms: %s",
                        topic, m.dedup, m.key, m.attempts + 1, at - now, err)
        return len(result.done)
