"""Contract of ports.tasks.TaskQueue, run against every adapter.

To cover a new adapter, append one async context manager factory to QUEUES: it yields
``QueueCase(queue, settle)`` where ``await settle()`` returns once every task queued so
far has finished (succeeded or given up after its retries). Retry backoff must be short.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass

import pytest

from adapters.memory.tasks import InProcessTaskQueue
from ports.tasks import TaskQueue


@dataclass
class QueueCase:
    queue: TaskQueue
    settle: Callable[[], Awaitable[None]]


@asynccontextmanager
async def in_process_queue():
    queue = InProcessTaskQueue(base_backoff_s=0.001)
    yield QueueCase(queue, queue.drain)
    await queue.drain()


class _StartsWorkerOnFirstUse:
    """The Celery queue, with an in-process worker started on the first enqueue: a
    Celery worker only runs the tasks registered when it starts, and the contract
    registers its handlers inside each test."""

    def __init__(self, queue, stack, backend) -> None:
        self.queue, self._stack, self._backend = queue, stack, backend
        self.keys: list[str] = []
        self.names: set[str] = set()
        self.started = False

    def register(self, name, handler, *, max_retries=5):
        self.queue.register(name, handler, max_retries=max_retries)
        self.names.add(name)

    async def enqueue(self, name, payload, *, idempotency_key, delay_s=0.0):
        from celery.contrib.testing.worker import start_worker

        if name in self.names and not self.started:
            self.started = True
            self._stack.enter_context(start_worker(self.queue.app, pool="solo", perform_ping_check=False,
                                                   loglevel="WARNING", queues=[self.queue.queue]))
        # Task ids are the idempotency keys, which repeat from run to run: forget an
        # earlier run's result so settle() waits for this one.
        if idempotency_key not in self.keys:
            self._backend.delete(f"celery-task-meta-{idempotency_key}")
        queued = await self.queue.enqueue(name, payload, idempotency_key=idempotency_key, delay_s=delay_s)
        if queued:
            self.keys.append(idempotency_key)
        return queued


@asynccontextmanager
async def celery_queue():
    """Celery on a real Redis (fails, not skips, without one)."""
    import contextlib
    import os
    import uuid

    import redis

    from adapters.celery.app import create_celery_app
    from adapters.celery.tasks import CeleryTaskQueue

    url = os.environ.get("OBSERVER_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except Exception as exc:
        pytest.fail(f"Redis is not reachable at {url} ({exc}): the Celery task queue contract needs it", pytrace=False)
    name = f"oe-contract-{uuid.uuid4().hex[:10]}"
    queue = CeleryTaskQueue(create_celery_app(url, queue=name), url, queue=name, backoff_base_s=0.01, backoff_max_s=0.05)
    with contextlib.ExitStack() as stack:
        backend = redis.Redis.from_url(url)
        wrapper = _StartsWorkerOnFirstUse(queue, stack, backend)

        async def settle() -> None:
            from celery.result import AsyncResult

            deadline = asyncio.get_running_loop().time() + 30
            while not all(AsyncResult(k, app=queue.app).ready() for k in wrapper.keys):
                assert asyncio.get_running_loop().time() < deadline, "Celery tasks did not finish in 30 s"
                await asyncio.sleep(0.02)

        try:
            yield QueueCase(wrapper, settle)
            await settle()
        finally:
            stack.close()
            queue.close()
            for key in [*backend.scan_iter(f"*{name}*"), *(f"celery-task-meta-{k}" for k in wrapper.keys)]:
                backend.delete(key)


QUEUES = [pytest.param(in_process_queue, id="memory"), pytest.param(celery_queue, id="celery")]


@pytest.fixture(params=QUEUES)
async def tasks(request) -> QueueCase:
    async with request.param() as case:
        yield case


class Flaky:
    """A handler that fails its first ``failures`` calls; records calls and effects."""

    def __init__(self, failures: int = 0) -> None:
        self.failures = failures
        self.calls: list[dict] = []
        self.effects: list[dict] = []

    async def __call__(self, payload) -> None:
        self.calls.append(dict(payload))
        if len(self.calls) <= self.failures:
            raise RuntimeError(f"transient failure {len(self.calls)}")
        self.effects.append(dict(payload))


async def test_a_task_runs_with_its_payload(tasks):
    handler = Flaky()
    tasks.queue.register("send_report", handler)

    assert await tasks.queue.enqueue("send_report", {"tenant": "acme", "n": 3}, idempotency_key="report-1") is True
    await tasks.settle()

    assert handler.effects == [{"tenant": "acme", "n": 3}]


async def test_a_task_failing_twice_runs_three_times_and_takes_effect_once(tasks):
    handler = Flaky(failures=2)
    tasks.queue.register("deliver", handler, max_retries=5)

    await tasks.queue.enqueue("deliver", {"id": "n-1"}, idempotency_key="deliver-n-1")
    await tasks.settle()

    assert handler.calls == [{"id": "n-1"}] * 3
    assert handler.effects == [{"id": "n-1"}]


async def test_retries_stop_after_max_retries(tasks):
    handler = Flaky(failures=1_000)
    tasks.queue.register("doomed", handler, max_retries=2)

    await tasks.queue.enqueue("doomed", {}, idempotency_key="doomed-1")
    await tasks.settle()

    assert len(handler.calls) == 3  # the first attempt and two retries
    assert handler.effects == []


async def test_the_same_idempotency_key_runs_once(tasks):
    handler = Flaky()
    tasks.queue.register("page", handler)

    first = await tasks.queue.enqueue("page", {"attempt": 1}, idempotency_key="page-inc-1")
    second = await tasks.queue.enqueue("page", {"attempt": 2}, idempotency_key="page-inc-1")
    await tasks.settle()
    third = await tasks.queue.enqueue("page", {"attempt": 3}, idempotency_key="page-inc-1")
    await tasks.settle()

    assert (first, second, third) == (True, False, False)
    assert handler.effects == [{"attempt": 1}]


async def test_different_keys_each_run(tasks):
    handler = Flaky()
    tasks.queue.register("page", handler)

    results = [await tasks.queue.enqueue("page", {"i": i}, idempotency_key=f"k-{i}") for i in range(5)]
    await tasks.settle()

    assert results == [True] * 5
    assert sorted(e["i"] for e in handler.effects) == list(range(5))


async def test_enqueueing_an_unregistered_task_raises_lookup_error(tasks):
    with pytest.raises(LookupError):
        await tasks.queue.enqueue("no_such_task", {}, idempotency_key="x-1")


async def test_an_unregistered_name_does_not_burn_the_idempotency_key(tasks):
    with pytest.raises(LookupError):
        await tasks.queue.enqueue("late", {}, idempotency_key="late-1")
    handler = Flaky()
    tasks.queue.register("late", handler)
    assert await tasks.queue.enqueue("late", {"ok": True}, idempotency_key="late-1") is True
    await tasks.settle()
    assert handler.effects == [{"ok": True}]


async def test_a_delayed_task_runs_later(tasks):
    handler = Flaky()
    tasks.queue.register("later", handler)

    await tasks.queue.enqueue("later", {"x": 1}, idempotency_key="later-1", delay_s=0.2)
    await asyncio.sleep(0.02)
    assert handler.calls == []
    await tasks.settle()

    assert handler.effects == [{"x": 1}]


async def test_the_payload_is_captured_at_enqueue_time(tasks):
    handler = Flaky()
    tasks.queue.register("snap", handler)
    payload = {"state": "before"}

    await tasks.queue.enqueue("snap", payload, idempotency_key="snap-1", delay_s=0.05)
    payload["state"] = "after"
    await tasks.settle()

    assert handler.effects == [{"state": "before"}]
