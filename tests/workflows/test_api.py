"""Responders act through the REST API, which updates or signals the incident's
workflow; reading an incident shows the workflow's state. The composition root is
configured for Temporal, its engine pointed at the time-skipping test server, and the
worker's activities are bound to the same container (same repositories)."""

from __future__ import annotations

import gc
from datetime import timedelta

import httpx
from dependency_injector import providers
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from adapters.temporal.engine import TemporalWorkflowEngine
from adapters.temporal.servers import TEST_SERVER, shipped_binary
from domain.identity import Role, User
from domain.incidents.incident import Severity
from entrypoints.container import build_container
from entrypoints.runtime import build_app
from entrypoints.settings import Settings
from services.identity import Actor
from entrypoints.temporal_worker import activities
from workflows.common import TASK_QUEUE
from workflows.registry import WORKFLOWS

RUNBOOK = {"id": "rb-1", "name": "Scale out", "steps": [
    {"id": "scale", "kind": "scale", "params": {"namespace": "prod", "deployment": "web", "replicas": 4}}]}


async def test_responders_drive_the_workflow_through_the_api(tmp_path) -> None:
    env = await WorkflowEnvironment.start_time_skipping(test_server_existing_path=shipped_binary(TEST_SERVER))
    try:
        container = build_container(Settings(data_dir=tmp_path, agent=False, workflows="temporal", notifier="log",
                                             remediation_namespaces={"default": ["prod"]}))
        container.workflows.override(providers.Object(TemporalWorkflowEngine(env.client, TASK_QUEUE)))
        await container.tenants().bootstrap_tenant("default")
        _, key = await container.api_keys().create_api_key("default", "responder", ["admin"])
        await container.uow().run(lambda u: u.users.add(User("responder", "default", "responder", "r@example.com",
                                                             "Responder", Role.RESPONDER, created_at_ms=0)))
        await container.oncall_config().create(Actor.system("test"), "default", "policy", {
            "id": "p", "name": "Page the responder",
            "levels": [{"timeout_ms": 15 * 60_000, "targets": [{"kind": "user", "ref": "responder"}]}]})
        app = build_app(container, with_agent=False)
        async with Worker(env.client, task_queue=TASK_QUEUE, workflows=WORKFLOWS, activities=activities(container).all()):
            async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test",
                                         headers={"Authorization": f"Bearer {key}"}) as api:
                now = int((await env.get_current_time()).timestamp() * 1000)
                incident, _ = await container.incidents().open_or_attach(
                    "default", "grp", "fp-1", "disk full on db-1", Severity.SEV2, now)
                await container.outbox_relay().drain()  # the workflow's start, left in the outbox as the pipeline does
                url = f"/api/v1/incidents/{incident.id}"
                await env.sleep(timedelta(minutes=1))

                shown = (await api.get(url)).json()["data"]
                assert shown["status"] == "triggered"
                assert shown["workflow"]["escalation"]["awaiting"] and shown["workflow"]["pages"][0]["user"] == "responder"
                await container.task_queue().drain()
                pages = (await api.get("/api/v1/notifications/deliveries", params={"incident": incident.id})).json()["data"]
                assert [(d["recipient"], d["status"], d["channel"]) for d in pages] == [("responder", "sent", "log")]
                assert pages[0]["idempotency_key"] == shown["workflow"]["pages"][0]["key"]

                acked = await api.post(f"{url}/acknowledge")
                assert acked.status_code == 200 and acked.json()["data"]["status"] == "acknowledged"
                again = await api.post(f"{url}/acknowledge")
                assert again.status_code == 409 and again.headers["content-type"] == "application/problem+json"
                assert again.json()["state"] == "acknowledged"
                bad = await api.post(f"{url}/severity", json={"severity": "SEV7"})
                assert bad.status_code == 422 and bad.json()["field"] == "severity"

                assert (await api.post("/api/v1/runbooks", json=RUNBOOK)).status_code == 201
                plan = await api.post(f"{url}/remediations", json={"runbook_id": "rb-1", "dry_run": True})
                assert plan.status_code == 200 and plan.json()["data"]["plan"][0]["action"] == \
                    "scale deployment prod/web to 4 replicas"
                written = await api.post(f"{url}/remediations", json={"runbook": RUNBOOK, "runbook_id": "rb-1"})
                assert written.status_code == 422 and written.json()["field"] == "runbook"  # no caller-written runbooks
                unknown = await api.post(f"{url}/remediations", json={"runbook_id": "rb-9"})
                assert unknown.status_code == 422 and unknown.json()["field"] == "runbook_id"

                assert (await api.post(f"{url}/mitigate", json={"note": "failover"})).status_code == 200
                assert (await api.post(f"{url}/resolve", json={"note": "disk grown"})).status_code == 200
                await env.sleep(timedelta(minutes=1))
                pm = (await api.get(url)).json()["data"]["workflow"]["postmortem"]
                assert pm["status"] == "open"

                published = await api.post(f"{url}/postmortem/publish", json={"body": "# What happened"})
                assert published.status_code == 200, published.text
                await env.client.get_workflow_handle(incident.id).result()
                final = (await api.get(url)).json()["data"]
                assert final["status"] == "closed" and final["closed_at_ms"] is not None
                # the workflow has ended: later notes go to the row directly
                noted = await api.post(f"{url}/notes", json={"text": "follow-up filed"})
                assert noted.status_code == 200 and noted.json()["data"]["timeline"][-1]["text"] == "follow-up filed"
    finally:
        await env.shutdown()
        del env
        gc.collect()
