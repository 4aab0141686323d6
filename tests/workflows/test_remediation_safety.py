"""Remediation safety through the REST API on Temporal: runbooks come from the
catalogue by id, the requester cannot approve their own gate (403, and the workflow
refuses it too), the embedded infrastructure is a dry run that says so in the run's
state and in the incident's timeline, and the tenant's namespaces bound what runs."""

from __future__ import annotations

import gc
from datetime import timedelta

import httpx
import pytest
from dependency_injector import providers
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from adapters.temporal.engine import TemporalWorkflowEngine
from adapters.temporal.servers import TEST_SERVER, shipped_binary
from domain.errors import PermissionDenied
from domain.incidents.incident import Severity
from domain.remediation.policy import RemediationPolicy
from entrypoints.container import build_container
from entrypoints.runtime import build_app
from entrypoints.settings import Settings
from entrypoints.temporal_worker import activities
from services.incidents import IncidentService
from services.runbooks import RunbookService
from tests.workflows.harness import HOUR, MIN, TENANT, harness
from tests.workflows.scenarios_response import _incident, _remediate
from workflows.common import TASK_QUEUE
from workflows.registry import WORKFLOWS

GATED = {"id": "rb-restart", "name": "Restart web", "steps": [
    {"id": "restart", "kind": "restart", "params": {"namespace": "prod", "deployment": "web"},
     "approval": {"timeout_ms": 3_600_000, "roles": ["admin"]}}]}


async def test_a_gated_run_needs_a_second_person_and_the_dry_run_says_so(tmp_path) -> None:
    env = await WorkflowEnvironment.start_time_skipping(test_server_existing_path=shipped_binary(TEST_SERVER))
    try:
        settings = Settings(data_dir=tmp_path, agent=False, workflows="temporal", notifier="log",
                            remediation_namespaces={"default": ["prod"]})
        container = build_container(settings)
        container.workflows.override(providers.Object(TemporalWorkflowEngine(env.client, TASK_QUEUE)))
        await container.tenants().bootstrap_tenant("default")
        _, alice = await container.api_keys().create_api_key("default", "alice", ["admin"])
        _, bob = await container.api_keys().create_api_key("default", "bob", ["admin"])
        app = build_app(container, with_agent=False)
        transport = httpx.ASGITransport(app=app)
        async with Worker(env.client, task_queue=TASK_QUEUE, workflows=WORKFLOWS, activities=activities(container).all()):
            async with httpx.AsyncClient(transport=transport, base_url="http://test",
                                         headers={"Authorization": f"Bearer {alice}"}) as as_alice, \
                    httpx.AsyncClient(transport=transport, base_url="http://test",
                                      headers={"Authorization": f"Bearer {bob}"}) as as_bob:
                now = int((await env.get_current_time()).timestamp() * 1000)
                incident, _ = await container.incidents().open_or_attach("default", "grp", "fp-1", "web down",
                                                                         Severity.SEV2, now)
                await container.outbox_relay().drain()  # the workflow's start, left in the outbox
                url = f"/api/v1/incidents/{incident.id}"
                await env.sleep(timedelta(minutes=1))

                # A namespace outside the tenant's is refused where the runbook is written.
                elsewhere = {**GATED, "id": "rb-other", "steps": [{**GATED["steps"][0],
                                                                   "params": {"namespace": "kube-system", "deployment": "dns"}}]}
                refused = await as_alice.post("/api/v1/runbooks", json=elsewhere)
                assert refused.status_code == 422 and refused.json()["field"] == "steps[0].params.namespace"
                assert (await as_alice.post("/api/v1/runbooks", json=GATED)).status_code == 201

                started = await as_alice.post(f"{url}/remediations", json={"runbook_id": "rb-restart"})
                assert started.status_code == 200, started.text
                run = started.json()["data"]["workflow_id"]
                await env.sleep(timedelta(seconds=5))
                step = f"{url}/remediations/{run}/steps/restart/approve"

                own = await as_alice.post(step)
                assert own.status_code == 403 and "cannot approve" in own.json()["detail"]
                approved = await as_bob.post(step)
                assert approved.status_code == 202
                result = await env.client.get_workflow_handle(run).result()
                assert result["status"] == "succeeded"

                state = (await as_alice.get(f"{url}/remediations/{run}")).json()["data"]
                assert state["requested_by"].startswith("api_key:")
                assert state["decisions"]["restart"]["by"] not in (None, state["requested_by"])
                [done] = state["steps"]
                assert done["detail"]["dry_run"] is True and "dry run" in done["detail"]["note"]
                await env.sleep(timedelta(seconds=5))
                [entry] = (await as_alice.get(url)).json()["data"]["workflow"]["remediations"]
                assert entry["status"] == "succeeded" and "dry run" in entry["note"]
                timeline = await env.client.get_workflow_handle(incident.id).query("timeline")
                finished = [e for e in timeline if e["kind"] == "remediation_finished"]
                assert finished and "dry run" in finished[-1]["text"]
    finally:
        await env.shutdown()
        del env
        gc.collect()


async def test_the_workflow_itself_refuses_the_requesters_approval() -> None:
    """Signalled directly (not through the service's check), the requester's approval is
    refused and logged by the run; a second person's goes through."""
    async with harness() as h:
        iid = await _incident(h)
        runbook = {"id": "rb-api", "steps": [{"id": "restart-api", "kind": "restart",
                                                "params": {"namespace": "prod", "deployment": "api"},
                                                "approval": {"timeout_ms": HOUR, "roles": ["admin"]}}]}
        rid = (await _remediate(h, iid, runbook))["workflow_id"]
        await h.sleep(MIN)
        with pytest.raises(PermissionDenied):
            await h.incidents.decide_step(TENANT, iid, rid, "approve", "restart-api", "alice", "admin")
        await h.engine.signal(rid, "approve", "restart-api", "alice", "admin")  # around the service
        await h.sleep(MIN)
        state = await h.incidents.remediation_state(TENANT, iid, rid)
        assert state.decisions == {} and state.refusals[-1]["by"] == "alice"
        assert state.runbook_version == 1  # the catalogue version the run executed
        assert "cannot approve" in state.refusals[-1]["reason"]
        await h.incidents.decide_step(TENANT, iid, rid, "approve", "restart-api", "bob", "admin")
        result = await h.client.get_workflow_handle(rid).result()
    assert result["status"] == "succeeded" and h.infra.restarts["prod/api"]


async def test_a_run_outside_the_current_policy_is_forbidden() -> None:
    """The policy may shrink after a runbook was written: the run is then refused (403)."""
    async with harness() as h:
        iid = await _incident(h)
        await h.runbooks.create(TENANT, "admin", {"id": "rb-web", "steps": [
            {"id": "r", "kind": "restart", "params": {"namespace": "prod", "deployment": "web"}}]})
        shrunk = IncidentService(h.uow, h.engine, h.clock, orchestrated=True,
                                 runbooks=RunbookService(h.catalogue, h.clock, RemediationPolicy()))
        with pytest.raises(PermissionDenied) as refused:
            await shrunk.remediate(TENANT, iid, "alice", "rb-web", dry_run=False)
    assert "namespace 'prod'" in str(refused.value)
