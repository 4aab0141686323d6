"""Escalation policies and on-call schedules as configuration resources
(docs/adr/0017-configuration-resources.md, docs/adr/0019-on-call.md):

- ``/api/v1/escalation-policies`` and ``/api/v1/schedules``: list (paged), create, read,
  replace and delete; admins (``oncall:manage``) write, viewers read. A write names the
  version it read (``version`` in the body or query, or ``If-Match``).
- ``/api/v1/schedules/{id}/overrides``: responders (``oncall:overrides``) add and remove
  overrides (who takes the schedule from when to when) without naming a version.

The documents' shapes are in ``domain/incidents/oncall_documents.py``; an invalid one is
refused with problem+json naming the field (``layers[0].rotation.users[1]``).
"""

# No ``from __future__ import annotations``: the routes made in ``_crud`` annotate their
# parameters with the closure's types, which FastAPI must see as objects, not strings.
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Path, Query, Request, Response

from adapters.http.deps import ApiServices, require, services
from adapters.http.resources import IfMatch, Paging, expected_version, page, paging, set_etag
from adapters.http.routes.auth import actor_of
from domain.errors import NotFound, ValidationError
from domain.identity.permissions import Permission
from domain.identity.principal import Principal
from ports.oncall_store import POLICY, SCHEDULE, OnCallRecord
from services.oncall_config import OnCallConfigService

router = APIRouter(tags=["on call"])
Reader = Annotated[Principal, Depends(require(Permission.READ_INCIDENTS))]
Admin = Annotated[Principal, Depends(require(Permission.MANAGE_ONCALL))]
Responder = Annotated[Principal, Depends(require(Permission.MANAGE_OVERRIDES))]
Svc = Annotated[ApiServices, Depends(services)]
Page = Annotated[Paging, Depends(paging)]
Version = Annotated[int | None, Query(ge=1, description="the version you read (or send If-Match)")]

PolicyBody = Annotated[dict[str, Any], Body(description="an escalation policy", examples=[{
    "id": "web", "name": "Web team", "severities": ["SEV1", "SEV2"], "repeat": 1,
    "levels": [{"timeout_ms": 900000, "targets": [{"kind": "schedule", "ref": "web-primary"}]},
               {"timeout_ms": 900000, "targets": [{"kind": "user", "ref": "ada"}]}]}])]
ScheduleBody = Annotated[dict[str, Any], Body(description="an on-call schedule", examples=[{
    "id": "web-primary", "name": "Web primary", "timezone": "Europe/Berlin",
    "layers": [{"name": "weekly", "rotation": {"users": ["ada", "bob"], "start_ms": 1798761600000,
                                               "handoff_time": "09:00", "timezone": "Europe/Berlin",
                                               "length": "weekly"},
                "restrictions": []}],
    "overrides": []}])]
OverrideBody = Annotated[dict[str, Any], Body(description="who takes the schedule over [start_ms, end_ms)", examples=[{
    "user": "carol", "start_ms": 1798794000000, "end_ms": 1798822800000}])]


def oncall_config(svc: ApiServices) -> OnCallConfigService:
    if svc.oncall is None:
        raise NotFound("on-call configuration is not served by this process")
    return svc.oncall


def record_out(r: OnCallRecord) -> dict[str, Any]:
    return {**r.document, "version": r.version, "updated_by": r.updated_by, "updated_at_ms": r.updated_at_ms}


def _body_version(body: dict[str, Any]) -> tuple[dict[str, Any], int | None]:
    """The document without ``version``, and the version it names."""
    version = body.get("version")
    if version is not None and (isinstance(version, bool) or not isinstance(version, int) or version < 1):
        raise ValidationError("version must be the positive integer you read", field="version")
    return {k: v for k, v in body.items() if k not in ("version", "updated_by", "updated_at_ms")}, version


def _one(response: Response, record: OnCallRecord) -> dict[str, Any]:
    set_etag(response, record.version)
    return {"data": record_out(record)}


def _crud(kind: str, prefix: str, param: str, body_type: Any, what: str) -> None:
    """The five routes of one resource kind (the two kinds share every rule)."""
    ResourceId = Annotated[str, Path(alias=param, max_length=200)]

    @router.get(prefix, summary=f"The tenant's {what}s (paged by id)", name=f"list_{kind}s")
    async def list_all(principal: Reader, svc: Svc, p: Page) -> dict:
        records = await oncall_config(svc).list(principal.tenant, kind)
        return page(records, p, key=lambda r: r.id, render=record_out)

    @router.post(prefix, status_code=201, summary=f"Create a {what} (admin)", name=f"create_{kind}")
    async def create(body: body_type, principal: Admin, svc: Svc, request: Request, response: Response) -> dict:
        document, _ = _body_version(body)
        record = await oncall_config(svc).create(actor_of(request, principal), principal.tenant, kind, document)
        return _one(response, record)

    @router.get(f"{prefix}/{{{param}}}", summary=f"One {what} with its version (ETag)", name=f"get_{kind}")
    async def get_one(resource_id: ResourceId, principal: Reader, svc: Svc, response: Response) -> dict:
        record = await oncall_config(svc).get(principal.tenant, kind, resource_id)
        return _one(response, record)

    @router.put(f"{prefix}/{{{param}}}", summary=f"Replace a {what} (admin; name the version you read)",
                name=f"replace_{kind}")
    async def replace(resource_id: ResourceId, body: body_type, principal: Admin, svc: Svc, request: Request, response: Response,
                      if_match: IfMatch = None) -> dict:
        document, version = _body_version(body)
        expected = expected_version(version, if_match)
        record = await oncall_config(svc).replace(actor_of(request, principal), principal.tenant, kind,
                                                  resource_id, document, expected)
        return _one(response, record)

    @router.delete(f"{prefix}/{{{param}}}", status_code=204, summary=f"Delete a {what} (admin; name the version)",
                   name=f"delete_{kind}")
    async def delete(resource_id: ResourceId, principal: Admin, svc: Svc, request: Request, version: Version = None,
                     if_match: IfMatch = None) -> Response:
        expected = expected_version(version, if_match)
        await oncall_config(svc).delete(actor_of(request, principal), principal.tenant, kind,
                                        resource_id, expected)
        return Response(status_code=204)


_crud(POLICY, "/api/v1/escalation-policies", "policy_id", PolicyBody, "escalation policy")
_crud(SCHEDULE, "/api/v1/schedules", "schedule_id", ScheduleBody, "schedule")


@router.post("/api/v1/schedules/{schedule_id}/overrides", status_code=201,
             summary="Add an override: someone takes the schedule for a while (responder)")
async def add_override(schedule_id: str, body: OverrideBody, principal: Responder, svc: Svc, request: Request,
                       response: Response) -> dict:
    record, override_id = await oncall_config(svc).add_override(actor_of(request, principal), principal.tenant,
                                                                schedule_id, body)
    set_etag(response, record.version)
    override = next(o for o in record.document["overrides"] if o["id"] == override_id)
    return {"data": override, "schedule_version": record.version}


@router.delete("/api/v1/schedules/{schedule_id}/overrides/{override_id}", status_code=204,
               summary="Remove an override (responder)")
async def delete_override(schedule_id: str, override_id: str, principal: Responder, svc: Svc,
                          request: Request) -> Response:
    await oncall_config(svc).delete_override(actor_of(request, principal), principal.tenant, schedule_id, override_id)
    return Response(status_code=204)
