"""The delivery audit (every notification, every attempt, status and response code)
and the configured receivers (names and channel types only: settings hold secrets)."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query

from adapters.http.deps import ApiServices, require, services
from domain.errors import NotFound
from domain.identity.permissions import Permission
from domain.identity.principal import Principal
from domain.notifications.delivery import Delivery, DeliveryStatus
from services.notifications import NotificationService

router = APIRouter(prefix="/api/v1/notifications", tags=["notifications"])


def _iso(ms: int | None) -> str | None:
    if ms is None:
        return None
    return datetime.fromtimestamp(ms / 1000, tz=timezone.utc).isoformat().replace("+00:00", "Z")


def delivery_out(d: Delivery) -> dict:
    return {
        "idempotency_key": d.key, "status": d.status.value, "receiver": d.receiver, "channel": d.channel,
        "channel_type": d.channel_type, "group_key": d.group_key, "alerts": list(d.alerts),
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


@router.get("/deliveries", summary="The delivery audit, newest first")
async def list_deliveries(
    principal: Annotated[Principal, Depends(require(Permission.READ_ALERTS))],
    svc: Annotated[ApiServices, Depends(services)],
    status: Annotated[list[Literal["queued", "retrying", "sent", "failed"]], Query()] = [],
    receiver: str | None = None,
    group_key: str | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> dict:
    found = await _notifications(svc).deliveries(
        principal.tenant, statuses=[DeliveryStatus(s) for s in status], receiver=receiver, group_key=group_key, limit=limit
    )
    return {"data": [delivery_out(d) for d in found]}


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
    return {"data": _notifications(svc).receivers()}
