"""Incidents and the responder actions on them."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, ConfigDict, Field

from adapters.http.deps import ApiServices, require, services
from domain.identity.permissions import Permission
from domain.identity.principal import Principal
from domain.incidents.analytics import mtta_ms, mttr_ms
from domain.incidents.incident import Incident, IncidentStatus

router = APIRouter(prefix="/api/v1/incidents", tags=["incidents"])


def incident_out(i: Incident, *, timeline: bool = False) -> dict:
    out = {
        "id": i.id, "title": i.title, "severity": i.severity.value, "status": i.status.value,
        "opened_at_ms": i.opened_at_ms, "acknowledged_at_ms": i.acknowledged_at_ms,
        "mitigated_at_ms": i.mitigated_at_ms, "resolved_at_ms": i.resolved_at_ms, "closed_at_ms": i.closed_at_ms,
        "alerts": list(i.alerts), "summary": i.summary, "version": i.version,
        "allowed_actions": [a.value for a in i.allowed_actions()],
        "mtta_ms": mtta_ms(i), "mttr_ms": mttr_ms(i),
    }
    if timeline:
        out["timeline"] = [
            {"at_ms": e.at_ms, "kind": e.kind, "actor": e.actor, "text": e.text, "data": dict(e.data)} for e in i.timeline
        ]
    return out


@router.get("", summary="Incidents, newest first")
async def list_incidents(
    principal: Annotated[Principal, Depends(require(Permission.READ_INCIDENTS))],
    svc: Annotated[ApiServices, Depends(services)],
    status: Annotated[list[IncidentStatus], Query()] = [],
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> dict:
    return {"data": [incident_out(i) for i in await svc.incidents.list(principal.tenant, status, limit)]}


@router.get("/{incident_id}", summary="One incident with its timeline")
async def get_incident(
    incident_id: str,
    principal: Annotated[Principal, Depends(require(Permission.READ_INCIDENTS))],
    svc: Annotated[ApiServices, Depends(services)],
) -> dict:
    out = incident_out(await svc.incidents.get(principal.tenant, incident_id), timeline=True)
    # The incident's workflow: escalation (step, next page, pause), pages sent,
    # remediation runs, postmortem; null when none runs (closed, or no engine).
    out["workflow"] = await svc.incidents.workflow_state(principal.tenant, incident_id)
    return {"data": out}


class NoteIn(BaseModel):
    note: str = ""


class TextIn(BaseModel):
    text: str = Field(min_length=1)


class SeverityIn(BaseModel):
    severity: str


Responder = Annotated[Principal, Depends(require(Permission.ACT_ON_INCIDENTS))]
Manager = Annotated[Principal, Depends(require(Permission.MANAGE_INCIDENTS))]
Svc = Annotated[ApiServices, Depends(services)]


@router.post("/{incident_id}/acknowledge", summary="Acknowledge: stops escalation")
async def acknowledge(incident_id: str, principal: Responder, svc: Svc) -> dict:
    return {"data": incident_out(await svc.incidents.acknowledge(principal.tenant, incident_id, principal.subject), timeline=True)}


@router.post("/{incident_id}/mitigate", summary="Mark as mitigated")
async def mitigate(incident_id: str, principal: Responder, svc: Svc, body: NoteIn | None = None) -> dict:
    note = body.note if body else ""
    return {"data": incident_out(await svc.incidents.mitigate(principal.tenant, incident_id, principal.subject, note), timeline=True)}


@router.post("/{incident_id}/resolve", summary="Resolve")
async def resolve(incident_id: str, principal: Responder, svc: Svc, body: NoteIn | None = None) -> dict:
    note = body.note if body else ""
    return {"data": incident_out(await svc.incidents.resolve(principal.tenant, incident_id, principal.subject, note), timeline=True)}


@router.post("/{incident_id}/reopen", summary="Reopen a resolved incident")
async def reopen(incident_id: str, principal: Responder, svc: Svc, body: TextIn) -> dict:
    return {"data": incident_out(await svc.incidents.reopen(principal.tenant, incident_id, principal.subject, body.text), timeline=True)}


@router.post("/{incident_id}/close", summary="Close a resolved incident")
async def close(incident_id: str, principal: Manager, svc: Svc) -> dict:
    return {"data": incident_out(await svc.incidents.close(principal.tenant, incident_id, principal.subject), timeline=True)}


@router.post("/{incident_id}/notes", summary="Add a note to the timeline")
async def add_note(incident_id: str, principal: Responder, svc: Svc, body: TextIn) -> dict:
    return {"data": incident_out(await svc.incidents.add_note(principal.tenant, incident_id, principal.subject, body.text), timeline=True)}


@router.post("/{incident_id}/severity", summary="Change the severity")
async def change_severity(incident_id: str, principal: Manager, svc: Svc, body: SeverityIn) -> dict:
    return {"data": incident_out(await svc.incidents.change_severity(principal.tenant, incident_id, principal.subject, body.severity), timeline=True)}


# ------------------------------------------- escalation, remediation, postmortem


class RemediationIn(BaseModel):
    # Runbooks come from the catalogue (/api/v1/runbooks) only: a body carrying its own
    # runbook is refused (extra fields forbidden).
    model_config = ConfigDict(extra="forbid")
    runbook_id: str = Field(min_length=1, description="a runbook of the catalogue (GET /api/v1/runbooks)")
    dry_run: bool = Field(False, description="answer the plan only; nothing runs")


class DecisionIn(BaseModel):
    reason: str = ""


class CompletionIn(BaseModel):
    ok: bool = True
    note: str = ""


class PostmortemIn(BaseModel):
    body: str = ""


@router.post("/{incident_id}/escalate", summary="Escalate now: page the next level without waiting")
async def escalate_now(incident_id: str, principal: Responder, svc: Svc) -> dict:
    return {"data": await svc.incidents.escalate_now(principal.tenant, incident_id, principal.subject)}


@router.post("/{incident_id}/escalation/pause", status_code=202, summary="Pause the escalation (keeps the time left)")
async def pause_escalation(incident_id: str, principal: Responder, svc: Svc) -> dict:
    return {"data": await svc.incidents.pause_escalation(principal.tenant, incident_id, principal.subject, True)}


@router.post("/{incident_id}/escalation/resume", status_code=202, summary="Resume a paused escalation")
async def resume_escalation(incident_id: str, principal: Responder, svc: Svc) -> dict:
    return {"data": await svc.incidents.pause_escalation(principal.tenant, incident_id, principal.subject, False)}


@router.post("/{incident_id}/remediations", summary="Run a catalogue runbook (or dry-run it to see the plan)",
             description="Gated steps must be approved by someone other than the requester (403 otherwise). Without "
                         "OBSERVER_INFRASTRUCTURE=kubernetes, scale and restart steps are a dry run and say so.")
async def start_remediation(incident_id: str, principal: Responder, svc: Svc, body: RemediationIn) -> dict:
    return {"data": await svc.incidents.remediate(principal.tenant, incident_id, principal.subject, body.runbook_id,
                                                  body.dry_run)}


@router.get("/{incident_id}/remediations/{run_id}", summary="A remediation run: steps, approvals, compensation")
async def remediation(incident_id: str, run_id: str, principal: Annotated[Principal, Depends(require(Permission.READ_INCIDENTS))],
                      svc: Svc) -> dict:
    return {"data": await svc.incidents.remediation_state(principal.tenant, incident_id, run_id)}


@router.post("/{incident_id}/remediations/{run_id}/steps/{step_id}/approve", status_code=202,
             summary="Approve a gated step (as your role)")
async def approve_step(incident_id: str, run_id: str, step_id: str, principal: Responder, svc: Svc) -> dict:
    await svc.incidents.decide_step(principal.tenant, incident_id, run_id, "approve", step_id, principal.subject,
                                    principal.role.value)
    return {"data": {"accepted": True}}


@router.post("/{incident_id}/remediations/{run_id}/steps/{step_id}/reject", status_code=202, summary="Reject a gated step")
async def reject_step(incident_id: str, run_id: str, step_id: str, principal: Responder, svc: Svc,
                      body: DecisionIn | None = None) -> dict:
    await svc.incidents.decide_step(principal.tenant, incident_id, run_id, "reject", step_id, principal.subject,
                                    principal.role.value, body.reason if body else "")
    return {"data": {"accepted": True}}


@router.post("/{incident_id}/remediations/{run_id}/steps/{step_id}/complete", status_code=202,
             summary="Report a manual step done (or failed)")
async def complete_step(incident_id: str, run_id: str, step_id: str, principal: Responder, svc: Svc,
                        body: CompletionIn | None = None) -> dict:
    body = body or CompletionIn()
    await svc.incidents.decide_step(principal.tenant, incident_id, run_id, "complete_step", step_id, principal.subject,
                                    body.ok, body.note)
    return {"data": {"accepted": True}}


@router.post("/{incident_id}/postmortem/publish", summary="Publish the postmortem: closes the incident",
             description="Needs the permission closing needs (incidents:manage): publishing closes the incident.")
async def publish_postmortem(incident_id: str, principal: Manager, svc: Svc, body: PostmortemIn | None = None) -> dict:
    return {"data": await svc.incidents.publish_postmortem(principal.tenant, incident_id, principal.subject,
                                                           body.body if body else "")}
