"""Maintenance windows as versioned configuration resources (docs/adr/0017):
``/api/v1/maintenance-windows``. Reads need ``alerts:read``, writes ``silences:manage``.

A window names the alerts it mutes (matchers), when (a schedule: ``once``, ``weekly`` or
an ``rrule``, in a time zone) and why (``comment``, required); who set it up is the
caller. PUT and DELETE name the version they read (body/query ``version`` or
``If-Match``): 428 without one, 409 naming ``current_version`` when stale.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from adapters.http.deps import ApiServices, require, services
from adapters.http.params import parse_duration_ms, parse_time_ms
from adapters.http.resources import IfMatch, Paging, expected_version, page, paging, set_etag
from adapters.http.routes.auth import actor_of
from domain.alerts.maintenance import MaintenanceWindow, Schedule, WindowState
from domain.alerts.rrule import RRule
from domain.errors import NotFound, ValidationError
from domain.identity.permissions import Permission
from domain.identity.principal import Principal
from domain.metrics.labels import LABEL_NAME_RE
from domain.metrics.matchers import Matcher
from services.alerting import new_id
from services.maintenance_windows import MaintenanceWindowService, WindowFilter, window_view

router = APIRouter(prefix="/api/v1/maintenance-windows", tags=["maintenance windows"])
Reader = Annotated[Principal, Depends(require(Permission.READ_ALERTS))]
Manager = Annotated[Principal, Depends(require(Permission.MANAGE_SILENCES))]
Svc = Annotated[ApiServices, Depends(services)]


class MatcherIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str
    op: Literal["=", "!=", "=~", "!~"] = "="
    value: str


class ScheduleIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: Literal["once", "weekly", "rrule"]
    timezone: str = Field("UTC", description="an IANA time zone, e.g. Europe/Berlin")
    starts_at: str = Field(description="once: when it starts; weekly, rrule: valid from (RFC 3339 or epoch seconds)")
    ends_at: str = Field(description="once: when it ends; weekly, rrule: valid until")
    weekdays: list[int] | None = Field(None, description="weekly: 0 = Monday ... 6 = Sunday")
    start_time: str | None = Field(None, description="weekly, rrule: local start of each occurrence, HH:MM")
    duration: str | None = Field(None, description="weekly, rrule: how long each occurrence lasts, e.g. 4h")
    rrule: str | None = Field(None, description="rrule: e.g. FREQ=MONTHLY;BYDAY=1SU (dates from starts_at's on)")


class WindowIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=200)
    matchers: list[MatcherIn] = Field(min_length=1)
    schedule: ScheduleIn
    comment: str = Field(description="why alerts are muted (required)")


class WindowCreate(WindowIn):
    id: str | None = Field(None, min_length=1, max_length=200, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


class WindowReplace(WindowIn):
    version: int | None = Field(None, ge=1, description="the version you read (or send If-Match)")


_FIELDS = {"schedule.starts_at_ms": "schedule.starts_at", "schedule.ends_at_ms": "schedule.ends_at",
           "schedule.duration_ms": "schedule.duration"}


def build_window(tenant: str, window_id: str, created_by: str, body: WindowIn) -> MaintenanceWindow:
    matchers = []
    for i, m in enumerate(body.matchers):
        try:
            matchers.append(Matcher.of(m.name, m.op, m.value))
        except ValidationError as exc:  # a bad label name, or a regex RE2 refuses
            raise exc.renamed(f"matchers[{i}].{'value' if LABEL_NAME_RE.fullmatch(m.name) else 'name'}") from None
    s = body.schedule
    try:
        schedule = Schedule(
            s.kind, parse_time_ms(s.starts_at, field="schedule.starts_at"),
            parse_time_ms(s.ends_at, field="schedule.ends_at"), s.timezone, frozenset(s.weekdays or ()),
            s.start_time or "", parse_duration_ms(s.duration, field="schedule.duration") if s.duration else 0,
            RRule.parse(s.rrule, field="schedule.rrule") if s.rrule else None)
        return MaintenanceWindow(id=window_id, tenant=tenant, name=body.name, matchers=tuple(matchers),
                                 schedule=schedule, comment=body.comment, created_by=created_by)
    except ValidationError as exc:  # the domain's field names, as the body spells them
        raise exc.renamed(_FIELDS.get(exc.field or "", exc.field)) from None


def _windows(svc: ApiServices) -> MaintenanceWindowService:
    if svc.maintenance_windows is None:
        raise NotFound("maintenance windows are not configured")
    return svc.maintenance_windows


def _one(response: Response, svc: MaintenanceWindowService, w: MaintenanceWindow) -> dict[str, Any]:
    set_etag(response, w.version)
    return {"data": window_view(w, svc.now_ms())}


@router.get("", summary="Maintenance windows, by id (filters: state, q)")
async def list_windows(
    principal: Reader, svc: Svc, p: Annotated[Paging, Depends(paging)],
    state: Annotated[WindowState | None, Query(description="active (muting now), upcoming or expired")] = None,
    q: Annotated[str | None, Query(max_length=200, description="substring of the name or comment")] = None,
) -> dict:
    windows = _windows(svc)
    now = windows.now_ms()
    found = await windows.list(principal.tenant, WindowFilter(state, q))
    return page(found, p, lambda w: w.id, lambda w: window_view(w, now))


@router.get("/{window_id}", summary="One maintenance window (its version as ETag)")
async def get_window(window_id: str, principal: Reader, svc: Svc, response: Response) -> dict:
    windows = _windows(svc)
    return _one(response, windows, await windows.get(principal.tenant, window_id))


@router.post("", status_code=201, summary="Create a maintenance window")
async def create_window(body: WindowCreate, request: Request, principal: Manager, svc: Svc, response: Response) -> dict:
    windows = _windows(svc)
    window = build_window(principal.tenant, body.id or new_id("mw"), principal.subject, body)
    return _one(response, windows, await windows.create(actor_of(request, principal), window))


@router.put("/{window_id}", summary="Replace a maintenance window (name the version you read)")
async def replace_window(window_id: str, body: WindowReplace, request: Request, principal: Manager, svc: Svc,
                         response: Response, if_match: IfMatch = None) -> dict:
    version = expected_version(body.version, if_match)
    windows = _windows(svc)
    window = build_window(principal.tenant, window_id, principal.subject, body)
    return _one(response, windows, await windows.replace(actor_of(request, principal), window, version))


@router.delete("/{window_id}", status_code=204, summary="Delete a maintenance window (name the version you read)")
async def delete_window(window_id: str, request: Request, principal: Manager, svc: Svc, if_match: IfMatch = None,
                        version: Annotated[int | None, Query(ge=1, description="the version you read")] = None,
                        ) -> Response:
    await _windows(svc).delete(actor_of(request, principal), principal.tenant, window_id,
                               expected_version(version, if_match))
    return Response(status_code=204)
