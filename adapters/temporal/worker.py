"""A Temporal worker for the given workflows and activities (the composition root
passes them in: adapters do not import the workflows package)."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from temporalio.client import Client
from temporalio.worker import Worker
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions

# The sandbox re-imports every module a workflow imports for each workflow run, so one
# run cannot leak state into another; the exceptions are the standard library and
# temporalio (passed through by default) and the pure code the workflows call: the
# domain, the services and the ports, which keep no mutable module state (workflow
# modules import them inside ``workflow.unsafe.imports_passed_through()``, the idiom of
# temporalio's samples). Everything else, the workflow modules first, stays isolated,
# and calls the sandbox refuses (wall clock, randomness, I/O) are refused in passed
# through modules too.
PASSED_THROUGH = ("domain", "services", "ports")
RUNNER = SandboxedWorkflowRunner(restrictions=SandboxRestrictions.default.with_passthrough_modules(*PASSED_THROUGH))


def build_worker(client: Client, task_queue: str, workflows: Sequence[type], activities: Sequence[Any], *,
                 max_concurrent_activities: int = 200, sticky_timeout_s: float = 10.0,
                 identity: str | None = None) -> Worker:
    """``sticky_timeout_s``: how long the server waits for the worker that cached a
    workflow before handing its next task to any worker (a dead worker costs that)."""
    return Worker(
        client, task_queue=task_queue, workflows=list(workflows), activities=list(activities), workflow_runner=RUNNER,
        max_concurrent_activities=max_concurrent_activities,
        sticky_queue_schedule_to_start_timeout=timedelta(seconds=sticky_timeout_s),
        graceful_shutdown_timeout=timedelta(seconds=5),
        **({"identity": identity} if identity else {}),
    )


async def run_until(worker: Worker, stop: asyncio.Event) -> None:
    """Poll until ``stop`` is set, then shut down gracefully (running activities get
    the graceful timeout to finish)."""
    async with worker:
        await stop.wait()
