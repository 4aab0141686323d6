"""Who is on call (viewers read it): ``/api/v1/schedules/{id}/oncall`` (now and next),
``/api/v1/schedules/{id}/shifts`` (the rendered schedule of a range) and
``/api/v1/oncall`` (every schedule now and next, or one person's shifts across them).
Times are Unix seconds or RFC 3339 (``at``, ``start``, ``end``); answers carry both
milliseconds and ISO 8601 in the schedule's time zone."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from adapters.http.deps import ApiServices, require, services
from adapters.http.params import parse_time_ms
from adapters.http.routes.oncall import oncall_config
from domain.identity.permissions import Permission
from domain.identity.principal import Principal
from services.oncall_views import DAY_MS, OnCallViews

router = APIRouter(tags=["on call"])
Reader = Annotated[Principal, Depends(require(Permission.READ_INCIDENTS))]
Svc = Annotated[ApiServices, Depends(services)]
Time = Annotated[str | None, Query(max_length=64, description="Unix seconds or RFC 3339; default now")]


def _views(svc: ApiServices) -> OnCallViews:
    return OnCallViews(oncall_config(svc))


def _at(svc: ApiServices, text: str | None, field: str) -> int:
    return svc.clock.now_ms() if text is None else parse_time_ms(text, field=field)


@router.get("/api/v1/schedules/{schedule_id}/oncall", summary="Who is on call at a time (default now), and next")
async def schedule_oncall(schedule_id: str, principal: Reader, svc: Svc, at: Time = None) -> dict:
    return {"data": await _views(svc).now_and_next(principal.tenant, schedule_id, _at(svc, at, "at"))}


@router.get("/api/v1/schedules/{schedule_id}/shifts", summary="The schedule's shifts over a range (gaps included)")
async def schedule_shifts(schedule_id: str, principal: Reader, svc: Svc, start: Time = None,
                          end: Annotated[str | None, Query(max_length=64, description="default: start + 7 days")] = None
                          ) -> dict:
    start_ms = _at(svc, start, "start")
    end_ms = start_ms + 7 * DAY_MS if end is None else parse_time_ms(end, field="end")
    return {"data": await _views(svc).shifts(principal.tenant, schedule_id, start_ms, end_ms)}


@router.get("/api/v1/oncall", summary="Who is on call now and next in every schedule, or one person's shifts")
async def oncall(principal: Reader, svc: Svc, at: Time = None,
                 user: Annotated[str | None, Query(min_length=1, max_length=255,
                                                   description="a user id or username: that person's schedules")] = None
                 ) -> dict:
    views, at_ms = _views(svc), _at(svc, at, "at")
    if user is None:
        return {"data": await views.everyone(principal.tenant, at_ms)}
    return {"data": await views.of_user(principal.tenant, user, at_ms), "user": user}
