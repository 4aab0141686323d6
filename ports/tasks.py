"""Background tasks (Celery in production): retried, each with an idempotency key."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Protocol

TaskHandler = Callable[[Mapping[str, Any]], Awaitable[None]]


class TaskQueue(Protocol):
    def register(self, name: str, handler: TaskHandler, *, max_retries: int = 5) -> None: ...

    async def enqueue(self, name: str, payload: Mapping[str, Any], *, idempotency_key: str, delay_s: float = 0.0) -> bool:
        """Queue a task; False if a task with this idempotency key was queued before."""
        ...
