"""In-process task queue: asyncio tasks with retries, exponential backoff and
idempotency keys (a key queued once is never queued again)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ports.tasks import TaskHandler

log = logging.getLogger(__name__)


@dataclass
class _Registered:
    handler: TaskHandler
    max_retries: int


class InProcessTaskQueue:
    def __init__(self, base_backoff_s: float = 0.5, max_backoff_s: float = 60.0) -> None:
        self._handlers: dict[str, _Registered] = {}
        self._seen: set[str] = set()
        self._running: set[asyncio.Task[None]] = set()
        self._base = base_backoff_s
        self._max = max_backoff_s
        self.failed: list[tuple[str, str, str]] = []  # (name, key, error) after the last retry

    def register(self, name: str, handler: TaskHandler, *, max_retries: int = 5) -> None:
        self._handlers[name] = _Registered(handler, max_retries)

    async def enqueue(self, name: str, payload: Mapping[str, Any], *, idempotency_key: str, delay_s: float = 0.0) -> bool:
        if name not in self._handlers:
            raise LookupError(f"no task registered as {name!r}")
        if idempotency_key in self._seen:
            return False
        self._seen.add(idempotency_key)
        task = asyncio.create_task(self._run(name, dict(payload), idempotency_key, delay_s))
        self._running.add(task)
        task.add_done_callback(self._running.discard)
        return True

    async def _run(self, name: str, payload: dict[str, Any], key: str, delay_s: float) -> None:
        reg = self._handlers[name]
        if delay_s:
            await asyncio.sleep(delay_s)
        for attempt in range(reg.max_retries + 1):
            try:
                await reg.handler(payload)
                return
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                if attempt == reg.max_retries:
                    log.error("task %s (%s) failed after %d attempts: %s", name, key, attempt + 1, exc)
                    self.failed.append((name, key, str(exc)))
                    return
                await asyncio.sleep(min(self._base * 2**attempt, self._max))

    async def drain(self) -> None:
        """Wait for every queued task (tests and shutdown)."""
        while self._running:
            await asyncio.gather(*list(self._running), return_exceptions=True)
