"""Alerts and silences (alert rules: routes/rules.py)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field

from adapters.http.deps import ApiServices, require, services
from adapters.http.params import format_value, parse_duration_ms, parse_time_ms
from domain.alerts.history import AlertDecision
from domain.alerts.silences import Recurrence, Silence
from domain.alerts.state import Alert
from domain.errors import ValidationError
from domain.identity.permissions import Permission
from domain.identity.principal import Principal
from domain.metrics.labels import LABEL_NAME_RE
from domain.metrics.matchers import Matcher
from services.alerting import new_id

router = APIRouter(prefix="/api/v1", tags=["alerts"])


def _iso(ms: int | None) -> str | None:
    if ms is None:
        return None
    from datetime import datetime, timezone

    return datetime.fromtimestamp(ms / 1000, tz=timezone.utc).isoformat().replace("+00:00", "Z")


def alert_out(a: Alert) -> dict:
    return {
        "fingerprint": a.fingerprint,
        "rule_id": a.rule_id,
        "labels": a.labels.as_dict(),
        "annotations": dict(a.annotations),
        "state": a.state.value,
        "activeAt": _iso(a.active_at_ms),
        "firedAt": _iso(a.fired_at_ms),
        "resolvedAt": _iso(a.resolved_at_ms),
        "value": format_value(a.value),
    }


@router.get("/alerts", summary="Current alerts (Prometheus /api/v1/alerts shape)")
async def list_alerts(
    principal: Annotated[Principal, Depends(require(Permission.READ_ALERTS))],
    svc: Annotated[ApiServices, Depends(services)],
    state: Annotated[list[Literal["pending", "firing", "resolved", "inactive"]], Query()] = [],
) -> dict:
    alerts = await svc.alerts.alerts(principal.tenant, state)
    return {"status": "success", "data": {"alerts": [alert_out(a) for a in alerts]}}


def decision_out(d: AlertDecision) -> dict:
    return {
        "at": _iso(d.at_ms), "at_ms": d.at_ms, "stage": d.stage.value, "outcome": d.outcome.value, "reason": d.reason,
        "receiver": d.receiver or None, "group_key": d.group_key or None, "idempotency_key": d.key or None,
    }


@router.get("/alerts/{fingerprint}/history", summary="Why an alert was (not) notified: every pipeline decision")
async def alert_history(
    fingerprint: str,
    principal: Annotated[Principal, Depends(require(Permission.READ_ALERTS))],
    svc: Annotated[ApiServices, Depends(services)],
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> dict:
    """Oldest first: deduplicated, silenced (by which silence), inhibited (by which alert),
    routed and grouped (to whom), queued, delivered or failed (on which channel)."""
    decisions = await svc.alerts.history(principal.tenant, fingerprint, limit)
    return {"data": {"fingerprint": fingerprint, "decisions": [decision_out(d) for d in decisions]}}


class MatcherIn(BaseModel):
    name: str
    value: str
    isRegex: bool = False
    isEqual: bool = True


class RecurrenceIn(BaseModel):
    timezone: str
    weekdays: list[int] = Field(description="0 = Monday … 6 = Sunday")
    start_time: str = Field(description="HH:MM local time")
    duration: str = Field(description="each occurrence at most OBSERVER_MAX_MAINTENANCE_WINDOW_S (3 days)")


class SilenceIn(BaseModel):
    """Alertmanager's silence shape, plus an optional recurrence (maintenance windows).

    The author is the authenticated caller; a ``createdBy`` in the body is accepted (so
    Alertmanager clients such as amtool work unchanged) and ignored."""

    matchers: list[MatcherIn] = Field(min_length=1)
    startsAt: str
    endsAt: str = Field(description="at most OBSERVER_MAX_SILENCE_DURATION_S (30 days) after startsAt; a maintenance "
                                    "window (with recurrence) at most OBSERVER_MAX_MAINTENANCE_SPAN_S (a year)")
    createdBy: str | None = Field(None, description="ignored: the author is the authenticated caller (the answer "
                                                   "shows it); accepted for Alertmanager compatibility")
    comment: str
    recurrence: RecurrenceIn | None = None


def silence_out(s: Silence, now_ms: int) -> dict:
    return {
        "id": s.id,
        "matchers": [{"name": m.name, "value": m.value, "isRegex": m.op.value in ("=~", "!~"), "isEqual": m.op.value in ("=", "=~")} for m in s.matchers],
        "startsAt": _iso(s.starts_at_ms), "endsAt": _iso(s.ends_at_ms),
        "createdBy": s.created_by, "comment": s.comment,
        "status": {"state": s.state_at(now_ms).value},
        "recurrence": None if s.recurrence is None else {
            "timezone": s.recurrence.timezone, "weekdays": sorted(s.recurrence.weekdays),
            "start_time": s.recurrence.start_time, "duration_ms": s.recurrence.duration_ms,
        },
    }


@router.get("/silences", summary="Silences and maintenance windows")
async def list_silences(
    principal: Annotated[Principal, Depends(require(Permission.READ_ALERTS))],
    svc: Annotated[ApiServices, Depends(services)],
) -> dict:
    now = svc.clock.now_ms()
    return {"data": [silence_out(s, now) for s in await svc.alerts.silences(principal.tenant)]}


@router.post("/silences", status_code=201, summary="Create a silence")
async def create_silence(
    body: SilenceIn,
    principal: Annotated[Principal, Depends(require(Permission.MANAGE_SILENCES))],
    svc: Annotated[ApiServices, Depends(services)],
) -> dict:
    matchers = []
    for i, m in enumerate(body.matchers):
        op = ("=~" if m.isRegex else "=") if m.isEqual else ("!~" if m.isRegex else "!=")
        try:
            matchers.append(Matcher.of(m.name, op, m.value))
        except ValidationError as exc:  # a bad label name, or a regex RE2 refuses
            part = "value" if LABEL_NAME_RE.match(m.name) else "name"
            raise ValidationError(exc.message, field=f"matchers[{i}].{part}") from None
    recurrence = None
    if body.recurrence is not None:
        r = body.recurrence
        recurrence = Recurrence(timezone=r.timezone, weekdays=frozenset(r.weekdays), start_time=r.start_time,
                                duration_ms=parse_duration_ms(r.duration, field="recurrence.duration"))
    try:
        silence = Silence(
            id=new_id("sil"), tenant=principal.tenant, matchers=tuple(matchers),
            starts_at_ms=parse_time_ms(body.startsAt, field="startsAt"), ends_at_ms=parse_time_ms(body.endsAt, field="endsAt"),
            created_by=principal.subject, comment=body.comment, recurrence=recurrence,
        )
        await svc.alerts.add_silence(silence)
    except ValidationError as exc:  # the domain's field names, as the body spells them
        raise exc.renamed(_SILENCE_FIELDS.get(exc.field or "", exc.field)) from None
    return {"data": silence_out(silence, svc.clock.now_ms())}


_SILENCE_FIELDS = {"ends_at_ms": "endsAt", "starts_at_ms": "startsAt", "recurrence.duration_ms": "recurrence.duration"}


@router.post("/silences/{silence_id}/expire", summary="End a silence now")
async def expire_silence(
    silence_id: str,
    principal: Annotated[Principal, Depends(require(Permission.MANAGE_SILENCES))],
    svc: Annotated[ApiServices, Depends(services)],
) -> dict:
    s = await svc.alerts.expire_silence(principal.tenant, silence_id)
    return {"data": silence_out(s, svc.clock.now_ms())}
