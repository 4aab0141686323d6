"""Incidents and the responder actions on them."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field

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
    return {"data": incident_out(await svc.incidents.get(principal.tenant, incident_id), timeline=True)}


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
