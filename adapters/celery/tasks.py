"""``ports.tasks.TaskQueue`` on Celery.

* ``enqueue`` claims the idempotency key with a Redis ``SET NX`` (kept a week) and sends
  the task with the key as its Celery task id: a key queued once is never queued again,
  from any process. If sending fails the claim is dropped, so the key is not burned.
* ``register`` makes a Celery task of an async handler (run on the worker's loop thread).
  A handler that raises is retried with exponential backoff, ``backoff_s * 2**retry``
  capped at ``backoff_max_s``, with "equal jitter" (between half and all of it), up to
  ``max_retries`` times. (Celery's own ``retry_backoff`` only takes whole seconds; this
  is the same policy with sub-second bases allowed, which the tests use.)

The producer and the workers register the same names: the producer to know what it
may enqueue, the workers to run it.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Mapping
from typing import Any

import redis
from celery import Celery

from adapters.celery.loop import LoopThread
from ports.tasks import TaskHandler

log = logging.getLogger(__name__)


def backoff_s(retries: int, base_s: float, max_s: float, jitter: bool = True) -> float:
    countdown = min(max_s, base_s * (2**retries))
    return random.uniform(countdown / 2, countdown) if jitter else countdown


class CeleryTaskQueue:
    def __init__(
        self, app: Celery, redis_url: str, *, queue: str = "observer-eye", backoff_base_s: float = 1.0,
        backoff_max_s: float = 600.0, jitter: bool = True, key_ttl_s: int = 7 * 86_400, handler_timeout_s: float = 300.0,
        redis_options: Mapping[str, Any] | None = None,
    ) -> None:
        self.app = app
        self.queue = queue
        self._redis = redis.Redis.from_url(redis_url, **(redis_options or {}))
        self._prefix = f"observer-eye:{queue}:queued:"
        self._base = backoff_base_s
        self._max = backoff_max_s
        self._jitter = jitter
        self._key_ttl_s = key_ttl_s
        self._handler_timeout_s = handler_timeout_s
        self._names: set[str] = set()
        self.loop = LoopThread()

    def register(self, name: str, handler: TaskHandler, *, max_retries: int = 5) -> None:
        queue = self

        def run(task: Any, payload: dict[str, Any]) -> None:
            try:
                queue.loop.run(handler(payload), queue._handler_timeout_s)
            except Exception as exc:
                retries = task.request.retries
                if retries >= task.max_retries:
                    log.error("task %s (%s) failed after %d attempts: %s", name, task.request.id, retries + 1, exc)
                    raise
                countdown = backoff_s(retries, queue._base, queue._max, queue._jitter)
                log.warning("task %s (%s) attempt %d failed, retrying in %.2fs: %s",
                            name, task.request.id, retries + 1, countdown, exc)
                raise task.retry(exc=exc, countdown=countdown) from None

        run.__name__ = run.__qualname__ = name.replace(".", "_")
        if name in self.app.tasks:
            self.app.tasks.unregister(name)  # registering again replaces (Celery would keep the first)
        # shared=False: Celery otherwise copies the task into every app created later.
        self.app.task(name=name, bind=True, max_retries=max_retries, acks_late=True, reject_on_worker_lost=True,
                      shared=False)(run)
        self._names.add(name)

    async def enqueue(self, name: str, payload: Mapping[str, Any], *, idempotency_key: str, delay_s: float = 0.0) -> bool:
        if name not in self._names:
            raise LookupError(f"no task registered as {name!r}")
        return await asyncio.to_thread(self._enqueue, name, dict(payload), idempotency_key, delay_s)

    def _enqueue(self, name: str, payload: dict[str, Any], key: str, delay_s: float) -> bool:
        marker = self._prefix + key
        if not self._redis.set(marker, name, nx=True, ex=self._key_ttl_s):
            return False
        try:
            self.app.send_task(name, args=[payload], task_id=key, countdown=delay_s or None, queue=self.queue)
        except BaseException:
            self._redis.delete(marker)
            raise
        return True

    def close(self) -> None:
        self.loop.stop()
        self._redis.close()
