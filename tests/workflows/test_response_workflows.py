"""Remediation (approvals, retries, saga compensation, dry run), postmortem (draft,
owner, reminders, publish closes the incident) and the scheduled workflows, on the
time-skipping test server."""

from __future__ import annotations

import pytest
from temporalio.client import WorkflowExecutionStatus

from domain.errors import NotFound, ValidationError
from domain.incidents.incident import IncidentStatus
from tests.workflows import scenarios_response as sc
from tests.workflows.harness import TENANT, harness


async def test_an_approval_that_times_out_aborts_and_compensates() -> None:
    async with harness() as h:
        out = await sc.approval_timeout(h)
    state, started = out.extra["state"], out.extra["started"]
    assert [p["step"] for p in started["plan"]] == ["scale-web", "flush", "restart-api"]
    assert state["phase"] == "aborted"
    assert [s["status"] for s in state["steps"]] == ["done", "done", "not approved"]
    assert "timed out" in state["steps"][-1]["detail"]
    assert [c["step"] for c in state["compensated"]] == ["scale-web.undo"]
    # scaled out, then put back to the count read before; the restart never ran
    assert h.infra.calls == [("scale", "prod/web", 6), ("scale", "prod/web", 3)]
    assert h.infra.deployments["prod/web"] == 3 and "prod/api" not in h.infra.restarts
    assert h.task_payloads == [{"region": "eu", "incident_id": out.incident_id, "step": "flush"}]
    assert [n.subject for n in h.notifier.to("alice") if "/approval" in n.idempotency_key] == [
        "Approval needed: rolling restart of deployment prod/api"]
    [entry] = out.extra["incident_state"]["remediations"]
    assert entry["status"] == "aborted" and entry["failed_step"] == "restart-api"


async def test_compensation_runs_in_reverse_after_a_failed_step() -> None:
    async with harness() as h:
        out = await sc.failed_step_compensates(h)
    r = out.extra["result"]
    assert r.status == "failed" and r.failed_step == "restart-api"
    assert [s["step"] for s in r.steps] == ["scale-web", "drain", "settle", "restart-api"]
    assert [c["step"] for c in r.compensated] == ["drain.undo", "scale-web.undo"]
    assert [c["status"] for c in r.compensated] == ["done", "done"]
    assert [req.url for req in h.http.requests] == ["https://lb.example/drain/web", "https://lb.example/undrain/web"]
    assert h.http.requests[0].idempotency_key.endswith("/drain")
    # a permanent failure is not retried; the scale-out is undone last
    assert [c[:2] for c in h.infra.calls] == [("scale", "prod/web"), ("restart", "prod/api"), ("scale", "prod/web")]
    assert h.infra.deployments["prod/web"] == 3
    assert out.extra["incident_state"]["remediations"][0]["status"] == "failed"


async def test_an_escalated_approval_a_refused_role_retries_and_a_manual_step() -> None:
    async with harness() as h:
        out = await sc.escalated_approval(h)
    r, state = out.extra["result"], out.extra["state"]
    assert r.status == "succeeded" and r.compensated == []
    assert [n.target["user"] for n in h.notifier.calls if "/approval" in n.idempotency_key] == ["alice", "manager"]
    assert state["refusals"][0]["by"] == "bob" and "may not approve" in state["refusals"][0]["reason"]
    assert state["decisions"]["restart-api"]["by"] == "manager"
    assert len([c for c in h.infra.calls if c[0] == "restart"]) == 3  # two transient failures, then success
    assert len(h.infra.restarts["prod/api"]) == 1  # one stamp: one rollout, however many attempts
    assert r.steps[1]["detail"] == {"done_by": "alice", "note": "error rate normal"}


async def test_a_dry_run_shows_the_plan_and_touches_nothing() -> None:
    async with harness() as h:
        out = await sc.dry_run(h)
        with pytest.raises(ValidationError) as bad:
            await h.runbooks.create(TENANT, "admin", {"id": "x", "steps": [{"id": "a"}]})
        with pytest.raises(ValidationError) as unknown:
            await h.incidents.remediate(TENANT, out.incident_id, "alice", "no-such-runbook", False)
        with pytest.raises(NotFound):
            await h.incidents.decide_step(TENANT, out.incident_id, "inc-other.remediation.1", "approve", "a", "b", "admin")
    answer = out.extra["answer"]
    assert answer["dry_run"] and answer["plan"][0]["action"] == "scale deployment prod/web to 8 replicas"
    assert answer["plan"][0]["compensation"] == "scale deployment prod/web to its previous count replicas"
    assert h.infra.calls == []
    assert bad.value.field == "steps[0].kind" and unknown.value.field == "runbook_id"


async def test_resolving_drafts_a_postmortem_and_publishing_closes_the_incident() -> None:
    async with harness() as h:
        out = await sc.postmortem_published(h)
        row = await h.row(out.incident_id)
        desc = await h.client.get_workflow_handle(out.incident_id).describe()
        [stored] = await h.postmortems.for_incident(TENANT, out.incident_id)
    drafted = out.extra["drafted"]["postmortem"]
    assert drafted["status"] == "open" and drafted["workflow_id"] == f"{out.incident_id}.postmortem.0"
    assert [n.idempotency_key.split("/")[-1] for n in h.notifier.to("alice")][-3:] == [
        "assigned", "reminder-1", "reminder-2"]
    assert out.extra["reminded_early"] == [f"Postmortem of incident {out.incident_id} is due soon"]
    assert stored.owner == "alice" and stored.status == "published" and stored.published_by == "alice"
    assert "root cause: config" in stored.body
    assert out.extra["doc"]["status"] == "published"
    assert out.extra["final"]["status"] == "closed" and row.status is IncidentStatus.CLOSED
    assert desc.status is WorkflowExecutionStatus.COMPLETED


async def test_the_draft_is_built_from_the_timeline() -> None:
    async with harness() as h:
        out = await sc.postmortem_published(h)
    draft = out.extra["draft"]
    assert draft.status == "draft" and draft.owner == "alice"  # the first acknowledger owns it
    body = draft.body
    assert body.startswith("# Postmortem: checkout is down")
    for line in ("**paged** by escalation: paged alice via user:alice", "**acknowledged** by alice",
                 "**mitigated** by bob: rolled back", "**resolved** by bob: fixed the config", "## Action items"):
        assert line in body
    assert "(after 0h 01m 00s)" in body  # time to acknowledge


async def test_a_maintenance_window_opens_and_closes_and_compliance_runs() -> None:
    async with harness() as h:
        out = await sc.maintenance_window(h)
    during, after = out.extra["during"], out.extra["after"]
    assert during.is_active(out.extra["at_during"]) and during.comment == "weekly DB patching"
    assert not after.is_active(out.extra["result"]["closed_at_ms"])
    assert out.extra["result"]["closed_at_ms"] - out.extra["result"]["opened_at_ms"] >= 2 * 3_600_000
    assert out.extra["compliance"] == {"tenant": TENANT, "evaluated": 3, "failed": 1}
    assert [t for t, _ in h.compliance.calls] == [TENANT]
