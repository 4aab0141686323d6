"""Remediation, postmortem and scheduled-job scenarios (see ``scenarios.py``)."""

from __future__ import annotations

from typing import Any

from domain.incidents.escalation import Target
from tests.workflows.harness import HOUR, MIN, TENANT, Harness, simple_policy
from tests.workflows.scenarios import Outcome
from workflows.common import TASK_QUEUE
from workflows.remediation.types import RemediationResult

DAY = 24 * HOUR
WEB = {"namespace": "prod", "deployment": "web"}
API = {"namespace": "prod", "deployment": "api"}


def scale_web(replicas: int = 6) -> dict[str, Any]:
    return {"id": "scale-web", "kind": "scale", "params": {**WEB, "replicas": replicas},
            "compensation": {"kind": "scale", "params": {**WEB, "replicas": "previous"}}}


async def _remediate(h: Harness, iid: str, runbook: dict[str, Any], *, dry_run: bool = False) -> dict[str, Any]:
    """An admin puts the runbook in the catalogue; alice runs it by id."""
    await h.runbooks.create(TENANT, "admin", runbook)
    return await h.incidents.remediate(TENANT, iid, "alice", runbook["id"], dry_run=dry_run)


async def _incident(h: Harness) -> str:
    h.directory.set_policy(simple_policy(([Target.user("alice")], 30 * MIN)))
    incident = await h.open_incident()
    await h.sleep(MIN)
    await h.incidents.acknowledge(TENANT, incident.id, "alice")
    return incident.id


async def approval_timeout(h: Harness) -> Outcome:
    """The approval of step 3 times out: the run aborts and step 1 is undone."""
    iid = await _incident(h)
    runbook = {"id": "rb-restart", "name": "Scale out and restart", "steps": [
        scale_web(),
        {"id": "flush", "kind": "task", "params": {"name": "cache.flush", "payload": {"region": "eu"}}},
        {"id": "restart-api", "kind": "restart", "params": API,
         "approval": {"timeout_ms": 30 * MIN, "roles": ["admin"], "on_timeout": "abort"}},
    ]}
    started = await _remediate(h, iid, runbook)
    await h.sleep(HOUR)
    rid = started["workflow_id"]
    state = await h.incidents.remediation_state(TENANT, iid, rid)
    incident_state = await h.state(iid)
    return Outcome(iid, 0, [iid, rid], {"started": started, "state": state, "incident_state": incident_state})


async def failed_step_compensates(h: Harness) -> Outcome:
    """Step 4 fails for good: the compensations of steps 2 and 1 run, in that order."""
    iid = await _incident(h)
    h.infra.fail("restart", "prod/api", times=None)
    runbook = {"id": "rb-drain", "name": "Drain, scale, restart", "steps": [
        scale_web(),
        {"id": "drain", "kind": "http", "params": {"method": "POST", "url": "https://lb.example/drain/web"},
         "compensation": {"kind": "http", "params": {"method": "POST", "url": "https://lb.example/undrain/web"}}},
        {"id": "settle", "kind": "wait", "params": {"duration_ms": 5 * MIN}},
        {"id": "restart-api", "kind": "restart", "params": API, "retries": 2},
    ]}
    started = await _remediate(h, iid, runbook)
    await h.sleep(10 * MIN)
    rid = started["workflow_id"]
    result = await h.client.get_workflow_handle(rid, result_type=RemediationResult).result()
    incident_state = await h.state(iid)
    return Outcome(iid, 0, [iid, rid], {"result": result, "incident_state": incident_state})


async def escalated_approval(h: Harness) -> Outcome:
    """Nobody approves in time: the gate escalates to the manager, who is an admin;
    a responder's approval is refused; the admin's goes through; transient failures
    are retried; then a manual step is reported done."""
    iid = await _incident(h)
    h.infra.fail("restart", "prod/api", times=2)
    runbook = {"id": "rb-api", "name": "Restart the API", "steps": [
        {"id": "restart-api", "kind": "restart", "params": API, "retries": 3, "retry_backoff_ms": 1000,
         "approval": {"timeout_ms": 30 * MIN, "roles": ["admin"], "on_timeout": "escalate",
                      "escalate_to": ["manager"], "notify": ["alice"]}},
        {"id": "check", "kind": "manual", "params": {"instructions": "check the error rate"}, "timeout_ms": HOUR},
    ]}
    started = await _remediate(h, iid, runbook)
    rid = started["workflow_id"]
    await h.sleep(35 * MIN)
    await h.incidents.decide_step(TENANT, iid, rid, "approve", "restart-api", "bob", "responder")
    await h.incidents.decide_step(TENANT, iid, rid, "approve", "restart-api", "manager", "admin")
    await h.sleep(MIN)
    await h.incidents.decide_step(TENANT, iid, rid, "complete_step", "check", "alice", True, "error rate normal")
    result = await h.client.get_workflow_handle(rid, result_type=RemediationResult).result()
    state = await h.incidents.remediation_state(TENANT, iid, rid)
    return Outcome(iid, 0, [iid, rid], {"result": result, "state": state})


async def dry_run(h: Harness) -> Outcome:
    iid = await _incident(h)
    runbook = {"id": "rb-dry", "name": "Plan only", "steps": [scale_web(8)]}
    answer = await _remediate(h, iid, runbook, dry_run=True)
    return Outcome(iid, 0, [iid, answer["workflow_id"]], {"answer": answer})


async def postmortem_published(h: Harness) -> Outcome:
    """Resolve -> draft, owner told, reminded before and on the due date; publishing
    closes the incident and ends its workflow."""
    iid = await _incident(h)
    await h.incidents.mitigate(TENANT, iid, "bob", "rolled back")
    await h.incidents.resolve(TENANT, iid, "bob", "fixed the config")
    await h.sleep(MIN)
    drafted = await h.state(iid)
    [draft] = await h.postmortems.for_incident(TENANT, iid)
    await h.sleep(4 * DAY + HOUR)
    reminded = [n.subject for n in h.notifier.to("alice") if "reminder" in n.idempotency_key]
    await h.sleep(DAY)
    await h.incidents.publish_postmortem(TENANT, iid, "alice", "# Postmortem\nroot cause: config")
    pm_id = drafted["postmortem"]["workflow_id"]
    doc = await h.client.get_workflow_handle(pm_id).result()
    final = await h.client.get_workflow_handle(iid).result()
    return Outcome(iid, 0, [iid, pm_id], {"drafted": drafted, "draft": draft, "reminded_early": reminded, "doc": doc, "final": final})


async def maintenance_window(h: Harness) -> Outcome:
    spec = {"tenant": TENANT, "window_id": "db-patch", "duration_ms": 2 * HOUR, "created_by": "ops",
            "matchers": [{"name": "service", "op": "=", "value": "db"}], "comment": "weekly DB patching"}
    handle = await h.client.start_workflow("MaintenanceWindowWorkflow", spec, id="maintenance.acme.db-patch.run-1",
                                           task_queue=TASK_QUEUE)
    await h.sleep(30 * MIN)
    window = await handle.query("window")
    during = await h.uow.run(lambda uow: uow.silences.get(TENANT, window["silence_id"]))
    at_during = await h.now_ms()
    result = await handle.result()
    after = await h.uow.run(lambda uow: uow.silences.get(TENANT, window["silence_id"]))
    compliance = await h.client.execute_workflow("ComplianceEvaluationWorkflow", TENANT, id="compliance.acme.run-1",
                                                 task_queue=TASK_QUEUE)
    return Outcome("", 0, [handle.id, "compliance.acme.run-1"],
                   {"during": during, "at_during": at_during, "after": after, "result": result, "compliance": compliance})
