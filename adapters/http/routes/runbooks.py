"""The remediation runbook catalogue: admins write runbooks, responders run them by id
(``POST /api/v1/incidents/{id}/remediations`` with ``runbook_id``)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Response
from pydantic import BaseModel, ConfigDict, Field

from adapters.http.deps import ApiServices, require, services
from domain.errors import NotFound
from domain.identity.permissions import Permission
from domain.identity.principal import Principal
from ports.runbooks import RunbookRecord
from services.runbooks import RunbookService

router = APIRouter(prefix="/api/v1/runbooks", tags=["runbooks"])

Reader = Annotated[Principal, Depends(require(Permission.READ_INCIDENTS))]
Admin = Annotated[Principal, Depends(require(Permission.MANAGE_RUNBOOKS))]
Svc = Annotated[ApiServices, Depends(services)]


class RunbookIn(BaseModel):
    """A runbook document (docs: domain/remediation/runbook.py): steps of kind http,
    task, scale, restart, wait or manual, each optionally behind an approval gate and
    undone by a compensation."""

    model_config = ConfigDict(extra="forbid")
    id: str = Field(min_length=1, max_length=200, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
    name: str | None = Field(None, max_length=500)
    steps: list[dict[str, Any]] = Field(description="the steps, in order")


class RunbookUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    version: int = Field(ge=1, description="the version you read: a write over a newer one is refused with 409")
    name: str | None = Field(None, max_length=500)
    steps: list[dict[str, Any]]


def runbook_out(r: RunbookRecord) -> dict[str, Any]:
    return {"id": r.id, "name": r.name, "version": r.version, "steps": r.definition.get("steps", []),
            "updated_by": r.updated_by, "updated_at_ms": r.updated_at_ms}


def _catalogue(svc: ApiServices) -> RunbookService:
    if svc.runbooks is None:
        raise NotFound("the runbook catalogue is not configured")
    return svc.runbooks


def _document(body: RunbookIn | RunbookUpdate, runbook_id: str) -> dict[str, Any]:
    return {"id": runbook_id, "name": body.name or runbook_id, "steps": body.steps}


@router.get("", summary="The tenant's runbooks")
async def list_runbooks(principal: Reader, svc: Svc) -> dict:
    return {"data": [runbook_out(r) for r in await _catalogue(svc).list(principal.tenant)]}


@router.post("", status_code=201, summary="Add a runbook to the catalogue (admin)")
async def create_runbook(body: RunbookIn, principal: Admin, svc: Svc, response: Response) -> dict:
    record = await _catalogue(svc).create(principal.tenant, principal.subject, _document(body, body.id))
    response.headers["ETag"] = f'"{record.version}"'
    return {"data": runbook_out(record)}


@router.get("/{runbook_id}", summary="One runbook with its version")
async def get_runbook(runbook_id: str, principal: Reader, svc: Svc, response: Response) -> dict:
    record = await _catalogue(svc).get(principal.tenant, runbook_id)
    response.headers["ETag"] = f'"{record.version}"'
    return {"data": runbook_out(record)}


@router.put("/{runbook_id}", summary="Replace a runbook (admin; name the version you read)")
async def update_runbook(runbook_id: str, body: RunbookUpdate, principal: Admin, svc: Svc, response: Response) -> dict:
    record = await _catalogue(svc).update(principal.tenant, principal.subject, runbook_id, _document(body, runbook_id),
                                          body.version)
    response.headers["ETag"] = f'"{record.version}"'
    return {"data": runbook_out(record)}


@router.delete("/{runbook_id}", status_code=204, summary="Remove a runbook (admin)")
async def delete_runbook(runbook_id: str, principal: Admin, svc: Svc,
                         version: Annotated[int | None, Query(ge=1, description="refuse (409) unless still at this version")] = None) -> Response:
    await _catalogue(svc).delete(principal.tenant, runbook_id, version)
    return Response(status_code=204)
