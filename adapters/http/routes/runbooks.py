"""The remediation runbook catalogue: admins write runbooks, responders run them by id
(``POST /api/v1/incidents/{id}/remediations`` with ``runbook_id``).

Versioned (docs/adr/0017-configuration-resources.md): every write keeps a new version
(``/{id}/versions``, ``/{id}/versions/{n}``); PUT and DELETE name the version they read
(``version`` in the body or query, or ``If-Match``): 428 without, 409 naming
``current_version`` when stale. Every change is audited with before and after."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from adapters.http.deps import ApiServices, require, services
from adapters.http.resources import IfMatch, expected_version
from adapters.http.routes.auth import actor_of
from domain.errors import NotFound
from domain.identity.permissions import Permission
from domain.identity.principal import Principal
from ports.runbooks import RunbookRecord
from services.runbooks import RunbookService, runbook_view

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
    version: int | None = Field(None, ge=1, description="the version you read (or send If-Match): a write over a "
                                                        "newer one is refused with 409")
    name: str | None = Field(None, max_length=500)
    steps: list[dict[str, Any]]


def runbook_out(r: RunbookRecord) -> dict[str, Any]:
    return runbook_view(r)


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
async def create_runbook(body: RunbookIn, request: Request, principal: Admin, svc: Svc, response: Response) -> dict:
    record = await _catalogue(svc).create(principal.tenant, actor_of(request, principal), _document(body, body.id))
    response.headers["ETag"] = f'"{record.version}"'
    return {"data": runbook_out(record)}


@router.get("/{runbook_id}", summary="One runbook with its version")
async def get_runbook(runbook_id: str, principal: Reader, svc: Svc, response: Response) -> dict:
    record = await _catalogue(svc).get(principal.tenant, runbook_id)
    response.headers["ETag"] = f'"{record.version}"'
    return {"data": runbook_out(record)}


@router.put("/{runbook_id}", summary="Replace a runbook (admin; name the version you read): a new version")
async def update_runbook(runbook_id: str, body: RunbookUpdate, request: Request, principal: Admin, svc: Svc,
                         response: Response, if_match: IfMatch = None) -> dict:
    version = expected_version(body.version, if_match)
    record = await _catalogue(svc).update(principal.tenant, actor_of(request, principal), runbook_id,
                                          _document(body, runbook_id), version)
    response.headers["ETag"] = f'"{record.version}"'
    return {"data": runbook_out(record)}


@router.delete("/{runbook_id}", status_code=204, summary="Remove a runbook and its versions (admin; name the version "
                                                         "you read)")
async def delete_runbook(runbook_id: str, request: Request, principal: Admin, svc: Svc, if_match: IfMatch = None,
                         version: Annotated[int | None, Query(ge=1, description="refuse (409) unless still at this version")] = None) -> Response:
    await _catalogue(svc).delete(principal.tenant, runbook_id, expected_version(version, if_match),
                                 actor_of(request, principal))
    return Response(status_code=204)


@router.get("/{runbook_id}/versions", summary="Every version of a runbook kept, oldest first")
async def runbook_versions(runbook_id: str, principal: Reader, svc: Svc) -> dict:
    return {"data": [runbook_out(r) for r in await _catalogue(svc).versions(principal.tenant, runbook_id)]}


@router.get("/{runbook_id}/versions/{version}", summary="One version of a runbook")
async def runbook_version(runbook_id: str, version: Annotated[int, Path(ge=1)], principal: Reader, svc: Svc,
                          response: Response) -> dict:
    record = await _catalogue(svc).version(principal.tenant, runbook_id, version)
    response.headers["ETag"] = f'"{record.version}"'
    return {"data": runbook_out(record)}
