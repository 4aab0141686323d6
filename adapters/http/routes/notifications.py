"""The delivery audit and the configured receivers (names and channel types only:
settings hold secrets).

The audit answers "who was told what, when, and did it arrive" for every notification,
whatever sent it: an alert group's to a receiver's channel, a page, reminder or
approval request to a person (docs/adr/0014-one-alert-path.md). Filters: ``status``,
``to`` (a receiver or a person), ``incident``, ``group_key``, ``since``/``until``
(Unix seconds or RFC 3339, on the time it was queued)."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query

from adapters.http.deps import ApiServices, require, services
from adapters.http.params import parse_time_ms
from domain.errors import NotFound
from domain.identity.permissions import Permission
from domain.identity.principal import Principal
from domain.notifications.delivery import Delivery, DeliveryStatus
from ports.repositories import DeliveryQuery
from services.notifications import NotificationService

router = APIRouter(prefix="/api/v1/notifications", tags=["notifications"])


def _iso(ms: int | None) -> str | None:
    if ms is None:
        return None
    return datetime.fromtimestamp(ms / 1000, tz=timezone.utc).isoformat().replace("+00:00", "Z")


def delivery_out(d: Delivery) -> dict:
    return {
        # ``receiver`` and ``group_key`` stay strings (empty for a person's delivery), as before
        # people were on this path; ``to`` is whoever it was for, receiver or person.
        "idempotency_key": d.key, "status": d.status.value, "to": d.to, "receiver": d.receiver,
        "recipient": d.recipient or None, "incident_id": d.incident_id or None, "subject": d.subject,
        "channel": d.channel, "channel_type": d.channel_type, "group_key": d.group_key, "alerts": list(d.alerts),
        "notification_at": _iso(d.notification_at_ms), "created_at": _iso(d.created_at_ms), "updated_at": _iso(d.updated_at_ms),
        "attempts": [
            {"number": a.number, "at": _iso(a.at_ms), "outcome": a.outcome.value, "status_code": a.status_code,
             "detail": a.detail, "duration_ms": a.duration_ms}
            for a in d.attempts
        ],
    }


def _notifications(svc: ApiServices) -> NotificationService:
    if svc.notifications is None:
        raise NotFound("notifications are not configured in this process")
    return svc.notifications


@router.get("/deliveries", summary="Who was notified of what, when, and did it arrive: newest first")
async def list_deliveries(
    principal: Annotated[Principal, Depends(require(Permission.READ_ALERTS))],
    svc: Annotated[ApiServices, Depends(services)],
    status: Annotated[list[Literal["queued", "retrying", "sent", "failed"]], Query()] = [],
    to: Annotated[str | None, Query(description="a receiver or a person")] = None,
    receiver: Annotated[str | None, Query(description="the same as to (kept for older clients)")] = None,
    incident: str | None = None,
    group_key: str | None = None,
    since: Annotated[str | None, Query(description="queued at or after: Unix seconds or RFC 3339")] = None,
    until: Annotated[str | None, Query(description="queued before: Unix seconds or RFC 3339")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> dict:
    query = DeliveryQuery(
        statuses=[DeliveryStatus(s) for s in status], to=to or receiver, group_key=group_key, incident_id=incident,
        since_ms=None if since is None else parse_time_ms(since, field="since"),
        until_ms=None if until is None else parse_time_ms(until, field="until"), limit=limit)
    return {"data": [delivery_out(d) for d in await _notifications(svc).deliveries(principal.tenant, query)]}


@router.get("/deliveries/{key}", summary="One delivery and its attempts")
async def get_delivery(
    key: str,
    principal: Annotated[Principal, Depends(require(Permission.READ_ALERTS))],
    svc: Annotated[ApiServices, Depends(services)],
) -> dict:
    return {"data": delivery_out(await _notifications(svc).delivery(principal.tenant, key))}


@router.get("/receivers", summary="Configured receivers and their channel types (no settings)")
async def list_receivers(
    principal: Annotated[Principal, Depends(require(Permission.READ_ALERTS))],
    svc: Annotated[ApiServices, Depends(services)],
) -> dict:
    return {"data": await _notifications(svc).receivers(principal.tenant)}
