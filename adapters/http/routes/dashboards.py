"""A tenant's saved dashboards as versioned configuration resources (docs/adr/0017):
``/api/v1/dashboards`` (services/dashboards.py).

Reads need ``telemetry:read`` (viewers), writes ``dashboards:manage`` (responders and
admins). A body is a dashboard's *definition* as ``GET .../export`` writes it (``schema``,
``title``, ``description``, ``panels``), so importing an exported file is a ``POST`` of
it. Single dashboards answer with their version as ``ETag``; PUT and DELETE name the
version they read (``version`` in the body or query, or ``If-Match``): 428 without one,
409 naming ``current_version`` when it is stale. Every change is audited.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Query, Request, Response
from fastapi.responses import JSONResponse

from adapters.http.deps import ApiServices, require, services
from adapters.http.resources import IfMatch, Paging, expected_version, page, paging, set_etag
from adapters.http.routes.auth import actor_of
from domain.dashboards.dashboard import Dashboard, dashboard_definition, dashboard_view
from domain.errors import NotFound, ValidationError
from domain.identity.permissions import Permission
from domain.identity.principal import Principal
from services.alerting import new_id
from services.dashboards import DashboardService

router = APIRouter(prefix="/api/v1/dashboards", tags=["dashboards"])
Reader = Annotated[Principal, Depends(require(Permission.READ_TELEMETRY))]
Writer = Annotated[Principal, Depends(require(Permission.MANAGE_DASHBOARDS))]
Svc = Annotated[ApiServices, Depends(services)]
Definition = Annotated[dict[str, Any], Body(
    description="schema (optional), title, description, panels: [{title, queries: [PromQL], chart: "
                "line|area|stacked|table, range: {from, to, timezone}, step}]; on create also id, on PUT version")]
VersionQuery = Annotated[int | None, Query(ge=1, description="the version you read (or send If-Match)")]


def _svc(svc: ApiServices) -> DashboardService:
    if svc.dashboards is None:
        raise NotFound("dashboards are not configured")
    return svc.dashboards


def _one(response: Response, dashboard: Dashboard) -> dict[str, Any]:
    set_etag(response, dashboard.version)
    return {"data": dashboard_view(dashboard)}


def _summary(d: Dashboard) -> dict[str, Any]:
    view = dashboard_view(d)
    view["panels"] = len(d.panels)
    return view


@router.get("", summary="The tenant's dashboards, by title (q: substring of the title or description)")
async def list_dashboards(principal: Reader, svc: Svc, p: Annotated[Paging, Depends(paging)],
                          q: Annotated[str | None, Query(max_length=200)] = None) -> dict:
    found = await _svc(svc).list(principal.tenant, q)
    return page(found, p, lambda d: f"{d.title.lower()}\x1f{d.id}", _summary)


@router.post("", status_code=201, summary="Create a dashboard, or import an exported one")
async def create_dashboard(body: Definition, request: Request, principal: Writer, svc: Svc,
                           response: Response) -> dict:
    doc = dict(body)
    raw_id = doc.pop("id", None)
    if raw_id is not None and not isinstance(raw_id, str):
        raise ValidationError("must be text", field="id")
    dashboard = _svc(svc).build(principal.tenant, raw_id or new_id("dash"), doc)
    return _one(response, await _svc(svc).create(actor_of(request, principal), dashboard))


@router.get("/{dashboard_id}", summary="One dashboard (its version as ETag)")
async def get_dashboard(dashboard_id: str, principal: Reader, svc: Svc, response: Response) -> dict:
    return _one(response, await _svc(svc).get(principal.tenant, dashboard_id))


@router.get("/{dashboard_id}/export", summary="A dashboard's definition as a JSON file (what POST imports)")
async def export_dashboard(dashboard_id: str, principal: Reader, svc: Svc) -> JSONResponse:
    dashboard = await _svc(svc).get(principal.tenant, dashboard_id)
    name = re.sub(r"[^A-Za-z0-9_.-]+", "-", dashboard.title).strip("-") or dashboard.id
    return JSONResponse(dashboard_definition(dashboard),
                        headers={"Content-Disposition": f'attachment; filename="{name}.dashboard.json"'})


@router.put("/{dashboard_id}", summary="Replace a dashboard's title, description and panels (name the version you read)")
async def replace_dashboard(dashboard_id: str, body: Definition, request: Request, principal: Writer, svc: Svc,
                            response: Response, if_match: IfMatch = None) -> dict:
    doc = dict(body)
    raw_version = doc.pop("version", None)
    if raw_version is not None and (isinstance(raw_version, bool) or not isinstance(raw_version, int) or raw_version < 1):
        raise ValidationError("must be an integer >= 1", field="version")
    version = expected_version(raw_version, if_match)
    dashboard = _svc(svc).build(principal.tenant, dashboard_id, doc)
    return _one(response, await _svc(svc).replace(actor_of(request, principal), dashboard, version))


@router.delete("/{dashboard_id}", status_code=204, summary="Delete a dashboard (name the version you read)")
async def delete_dashboard(dashboard_id: str, request: Request, principal: Writer, svc: Svc,
                           version: VersionQuery = None, if_match: IfMatch = None) -> Response:
    await _svc(svc).delete(actor_of(request, principal), principal.tenant, dashboard_id,
                           expected_version(version, if_match))
    return Response(status_code=204)
