"""The loop every bus consumer runs: poll, handle a batch of messages, commit, repeat."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence

from ports.bus import Consumer, Message

log = logging.getLogger(__name__)

Handler = Callable[[Sequence[Message]], Awaitable[None]]


async def run_consumer(consumer: Consumer, handle: Handler, stop: asyncio.Event, *, max_records: int = 500, poll_timeout_s: float = 0.2) -> None:
    """At-least-once: offsets are committed only after ``handle`` returned.

    A failing batch is retried (with backoff) rather than skipped, so no message is lost;
    the handler must therefore be idempotent.
    """
    backoff = 0.1
    pending: list[Message] = []
    while not stop.is_set():
        if not pending:
            pending = await consumer.poll(max_records=max_records, timeout_s=poll_timeout_s)
            if not pending:
                continue
        try:
            await handle(pending)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("consumer handler failed; retrying the same %d messages", len(pending))
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, 5.0)
            continue
        backoff = 0.1
        offsets: dict[tuple[str, int], int] = {}
        for m in pending:
            key = (m.topic, m.partition)
            offsets[key] = max(offsets.get(key, 0), m.offset + 1)
        await consumer.commit(offsets)
        pending = []
